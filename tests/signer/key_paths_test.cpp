// Key files are found through the config on every command, never through a path frozen in the
// store at `init`: a store initialised with `-c pkirepo.toml` from the config's folder works
// from any other working directory, a moved key file is found where the config now says, a file
// holding another key is refused naming it, and new responder keys go to
// ocsp.responder_key_dir. Driven through the real pkirepo-signer.
#include <catch2/catch.hpp>
#include <fstream>

#include "cli_support.h"
#include "x509/cert_info.h"
#include "x509/der.h"
#include "x509/time.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

// pkirepo-signer ARGS run from the working directory `cwd` (through sh: run() has no cwd).
RunResult signer_in(const TestPki& pki, const std::filesystem::path& cwd, const std::string& args) {
  return run({"sh", "-c",
              "cd '" + cwd.string() + "' && exec '" + binary("pkirepo-signer").string() +
                  "' --operator tester " + args},
             pki.env);
}

void replace_in(const std::filesystem::path& file, const std::string& from, const std::string& to) {
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  REQUIRE(text.find(from) != std::string::npos);
  text.replace(text.find(from), from.size(), to);
  write_text(file, text);
}

}  // namespace

TEST_CASE("key files are found through the config from any working directory",
          "[signer][keys][config]") {
  TestPki pki;
  const RunResult init = signer_in(pki, pki.dir.path(), "-c pkirepo.toml init");
  INFO(init.out << init.err);
  REQUIRE(init.exit_code == 0);

  // Another working directory, the config by absolute path: the CA key is found.
  const std::filesystem::path elsewhere = pki.dir / "elsewhere";
  std::filesystem::create_directories(elsewhere);
  const std::string csr = pki.csr("www.example.com").string();
  RunResult issue =
      signer_in(pki, elsewhere,
                "-c '" + pki.config.string() + "' issue --profile tls-server --csr '" + csr +
                    "' --out '" + (pki.dir / "www.pem").string() + "'");
  INFO(issue.out << issue.err);
  REQUIRE(issue.exit_code == 0);
  RunResult run_cmd = signer_in(pki, elsewhere, "-c '" + pki.config.string() + "' run");
  INFO(run_cmd.out << run_cmd.err);
  CHECK(run_cmd.exit_code == 0);

  // The operator moves the issuing CA's key and says so in the config.
  std::filesystem::create_directories(pki.dir / "moved");
  std::filesystem::rename(pki.dir / "keys/tls.pem", pki.dir / "moved/tls.pem");
  replace_in(pki.config, "file = \"keys/tls.pem\"", "file = \"moved/tls.pem\"");
  issue = pki.signer({"issue", "--profile", "tls-server", "--csr", csr});
  INFO(issue.err);
  CHECK(issue.exit_code == 0);

  // A key file that holds another CA's key is refused, naming the file, and nothing changes.
  std::filesystem::copy_file(pki.dir / "keys/root.pem", pki.dir / "moved/other.pem");
  replace_in(pki.config, "file = \"moved/tls.pem\"", "file = \"moved/other.pem\"");
  const StoreSnapshot before = snapshot(pki.dir / "store");
  issue = pki.signer({"issue", "--profile", "tls-server", "--csr", csr});
  CHECK(issue.exit_code != 0);
  CHECK_THAT(issue.err, Catch::Contains("moved/other.pem: does not hold the key of CA tls's "
                                        "certificate"));
  CHECK(snapshot(pki.dir / "store") == before);
}

TEST_CASE("new responder keys go to ocsp.responder_key_dir", "[signer][keys][config][time]") {
  TestPki pki("\n[ocsp]\nresponder_key_dir = \"responder-keys\"\n");
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  auto responder_keys = [&] {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(pki.dir / "responder-keys")) {
      n += e.path().filename().string().find("-ocsp-") != std::string::npos ? 1 : 0;
    }
    return n;
  };
  CHECK(responder_keys() == 2);  // root and tls
  for (const auto& e : std::filesystem::directory_iterator(pki.dir / "keys")) {
    CHECK(e.path().filename().string().find("-ocsp-") == std::string::npos);
  }
  // 84 days on, the 90-day responder certificates are within 8 days of their end: rotated,
  // the new keys beside the old ones, and the run signs with them.
  pki.env["PKIREPO_NOW"] = rfc3339(*parse_rfc3339(pki.env["PKIREPO_NOW"]) + 84 * 86400);
  const RunResult run = pki.signer({"run"});
  INFO(run.out << run.err);
  CHECK(run.exit_code == 0);
  CHECK(responder_keys() == 4);
  CHECK(pki.signer({"status"}).exit_code == 0);
}
