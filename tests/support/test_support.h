// What tests across areas share: a temporary directory that cleans up, running the real
// binaries with a captured exit code and output, and generating keys/CSRs with OpenSSL.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "x509/bytes.h"
#include "x509/openssl_ptr.h"

namespace pkirepo::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::filesystem::path operator/(const std::string& rel) const {
    return path_ / rel;
  }

 private:
  std::filesystem::path path_;
};

struct RunResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// This process's environment with `unset` removed and `env` added, as "K=V" strings (sorted).
std::vector<std::string> environment_with(const std::map<std::string, std::string>& env,
                                          const std::vector<std::string>& unset = {});

// A NULL-terminated char* array over its own copy of `strings`: argv and envp for posix_spawn.
class CStrings {
 public:
  explicit CStrings(std::vector<std::string> strings);
  CStrings(const CStrings&) = delete;
  CStrings& operator=(const CStrings&) = delete;
  [[nodiscard]] char* const* data() const { return pointers_.data(); }

 private:
  std::vector<std::string> strings_;
  std::vector<char*> pointers_;
};

// Runs argv[0] (a path or a name on PATH) with `env` added to the environment; no shell.
RunResult run(const std::vector<std::string>& argv,
              const std::map<std::string, std::string>& env = {});

// The value of an HTTP response header in `headers` (curl -D output), case-insensitive name;
// the last one when the output holds several responses. Empty when absent.
[[nodiscard]] std::string header_value(const std::string& headers, const std::string& name);

// Path of one of our built programs: "pkirepo-signer" -> <build>/signer/pkirepo-signer.
std::filesystem::path binary(const std::string& name);
std::filesystem::path source_dir();

// Key and CSR generation for tests. `algorithm` as in key.h ("ec-p256", "rsa-2048", ...).
EvpPkeyPtr make_key(const std::string& algorithm);
// A CSR signed by `key` (SHA-256), with CN and optional DNS SANs.
X509ReqPtr make_csr(EVP_PKEY* key, const std::string& cn,
                    const std::vector<std::string>& dns_names = {});
void write_text(const std::filesystem::path& path, const std::string& text);

// The text of tests/fixtures/NAME (the test PKI and the CA snippets beside it).
std::string fixture(const std::string& name);
// The same with every "@KEY@" of `vars` replaced by its value (paths a test decides at run time).
std::string fixture(const std::string& name, const std::map<std::string, std::string>& vars);
// The test PKI (tests/fixtures/pki.toml: root P-384 + issuing "tls" P-384 with a tls-server
// profile) written to dir/pkirepo.toml, store in dir/store, keys in dir/keys; `extra` is
// appended verbatim (e.g. fixture("ca-tls-rsa.toml")). Returns the config path.
std::filesystem::path write_demo_config(const std::filesystem::path& dir,
                                        const std::string& extra = "");
// The environment the signer needs for write_demo_config()'s keys.
std::map<std::string, std::string> signer_env();

// The test PKI of write_demo_config() (+ `extra`) in a temporary folder of its own, with the
// environment the signer needs (tests add to it, e.g. PKIREPO_NOW).
struct DemoRepo {
  explicit DemoRepo(const std::string& extra = "");

  TempDir dir;
  std::filesystem::path config;
  std::map<std::string, std::string> env = signer_env();
};

}  // namespace pkirepo::test
