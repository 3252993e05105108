// TOML tables that tests add to the test PKI (write_demo_config's `extra`, TestPki's
// extra_config): how a CA or a profile is spelled in pkirepo.toml lives here, so that a test
// names only what its case is about.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace pkirepo::test {

// Every member has a default initializer, so that a designated initializer may leave any out
// (GCC's -Wmissing-field-initializers warns about members without one).
struct CaToml {
  std::string id{};
  std::string role = "issuing";
  std::string parent = "root";        // empty: no parent (a root)
  std::string subject{};              // empty: "CN=<id>,O=Test,C=US"
  std::string algorithm = "ec-p384";  // of the key in keys/<id>.pem
  std::string validity = "5y";
  std::optional<int> path_len{};
  std::vector<std::string> profiles{};            // empty: no profiles key
  std::vector<std::string> eku = {"serverAuth"};  // empty: no eku key
  std::string extra{};                            // further keys, verbatim, one a line
};

struct ProfileToml {
  std::string id{};
  std::string validity{};
  std::vector<std::string> eku = {"serverAuth"};
  std::string extra{};  // further keys, verbatim, one a line
};

// "\n[[ca]]\n..." with the keys in the order the example configs use.
std::string ca_toml(const CaToml& ca);
// "\n[[profile]]\n...".
std::string profile_toml(const ProfileToml& profile);

}  // namespace pkirepo::test
