// Key files as the CPS promises them (x509/key_file.h): strong derivation for new files,
// refusals that say how to fix them, `keys rewrap`, a signer that cannot be dumped, and the CA
// certificates out of the signer (`ca list`, `ca show`).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "cli_support.h"
#include "x509/cert_info.h"
#include "x509/der.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

// The production cost: an empty value is "not set" for the programs (key_file.h).
constexpr const char* kKdf = "PKIREPO_TEST_KDF_ITERATIONS";

std::string asn1parse(const std::filesystem::path& key) {
  auto r = run({"openssl", "asn1parse", "-in", key.string()});
  REQUIRE(r.exit_code == 0);
  return r.out;
}

// 600,000 = 0x927C0, as `openssl asn1parse` prints the PBKDF2 iteration count.
bool strong(const std::filesystem::path& key) {
  const std::string text = asn1parse(key);
  return text.find(":0927C0") != std::string::npos &&
         text.find("hmacWithSHA256") != std::string::npos;
}

std::vector<std::filesystem::path> key_files(const TestPki& pki) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(pki.dir / "keys")) {
    out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("new key files: PBKDF2-HMAC-SHA256 at 600,000 iterations, and they load",
          "[signer][keys]") {
  TestPki pki;
  pki.env[kKdf] = "";
  auto init = pki.signer({"init"});
  INFO(init.err);
  REQUIRE(init.exit_code == 0);
  const auto keys = key_files(pki);
  REQUIRE(keys.size() >= 3);
  for (const auto& key : keys) {
    INFO(key);
    CHECK(strong(key));
  }
  auto issued = pki.signer({"issue", "--ca", "tls", "--profile", "tls-server", "--csr",
                            pki.csr("www.example.com").string()});
  INFO(issued.err);
  CHECK(issued.exit_code == 0);
  auto doctor = pki.signer({"doctor"});
  CHECK_THAT(doctor.out, !Catch::Contains("keys rewrap"));
  CHECK_THAT(doctor.out, Catch::Contains("signer process is not dumpable"));
}

TEST_CASE(
    "a key file readable by group, or in clear, is refused with the fix; the store is "
    "unchanged; keys rewrap repairs both",
    "[signer][keys]") {
  TestPki pki;
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  const auto key = pki.dir / "keys/tls.pem";
  const std::string csr = pki.csr("www.example.com").string();
  const auto before = snapshot(pki.dir / "store");

  REQUIRE(::chmod(key.c_str(), 0640) == 0);
  auto r = pki.signer({"issue", "--ca", "tls", "--profile", "tls-server", "--csr", csr});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains(key.string() + ": readable by group or others (mode 0640)"));
  CHECK_THAT(r.err, Catch::Contains("chmod 600 " + key.string()));
  CHECK(snapshot(pki.dir / "store") == before);

  REQUIRE(::chmod(key.c_str(), 0600) == 0);
  auto clear = run({"openssl", "pkey", "-in", key.string(), "-passin",
                    "env:PKIREPO_TEST_PASSPHRASE", "-out", (pki.dir / "clear.pem").string()},
                   pki.env);
  REQUIRE(clear.exit_code == 0);
  std::filesystem::rename(pki.dir / "clear.pem", key);
  REQUIRE(::chmod(key.c_str(), 0600) == 0);
  r = pki.signer({"issue", "--ca", "tls", "--profile", "tls-server", "--csr", csr});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains(key.string() + ": the private key is stored in clear"));
  CHECK_THAT(r.err, Catch::Contains("pkirepo-signer keys rewrap"));
  CHECK(snapshot(pki.dir / "store") == before);
  auto doctor = pki.signer({"doctor"});
  CHECK(doctor.exit_code == 1);
  CHECK_THAT(doctor.out, Catch::Contains("is stored in clear"));

  auto rewrap = pki.signer({"keys", "rewrap"});
  INFO(rewrap.err);
  REQUIRE(rewrap.exit_code == 0);
  CHECK_THAT(rewrap.out, Catch::Contains(key.string() + ": clear -> PBKDF2-HMAC-SHA256"));
  CHECK_THAT(read_text_file(key), Catch::Contains("BEGIN ENCRYPTED PRIVATE KEY"));
  r = pki.signer({"issue", "--ca", "tls", "--profile", "tls-server", "--csr", csr});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  auto audit = pki.signer({"audit", "export", "--format", "jsonl"});
  CHECK_THAT(audit.out, Catch::Contains("\"event\":\"key_file_rewrapped\""));
  CHECK(pki.signer({"audit", "verify"}).exit_code == 0);
}

TEST_CASE("keys rewrap brings 2,048-iteration key files up to 600,000, each replaced whole",
          "[signer][keys]") {
  TestPki pki;
  pki.env[kKdf] = "2048";  // files as an older release wrote them
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  const auto keys = key_files(pki);
  for (const auto& key : keys) {
    CHECK_FALSE(strong(key));
  }
  pki.env[kKdf] = "";
  auto doctor = pki.signer({"doctor"});
  CHECK_THAT(doctor.out, Catch::Contains("2048 iterations, weaker than PBKDF2-HMAC-SHA256 at "
                                         "600000 iterations: run `pkirepo-signer keys rewrap`"));

  std::map<std::filesystem::path, std::string> old;
  for (const auto& key : keys) {
    old[key] = read_text_file(key);
  }
  const auto audit_before = pki.records("audit");
  auto dry = pki.signer({"keys", "rewrap", "--dry-run"});
  REQUIRE(dry.exit_code == 0);
  CHECK_THAT(dry.out, Catch::Contains("would be rewrapped"));
  for (const auto& key : keys) {
    CHECK(read_text_file(key) == old[key]);
  }
  CHECK(pki.records("audit") == audit_before);

  auto rewrap = pki.signer({"keys", "rewrap"});
  INFO(rewrap.err);
  REQUIRE(rewrap.exit_code == 0);
  for (const auto& key : key_files(pki)) {  // same names, nothing left beside them
    INFO(key);
    CHECK(strong(key));
    struct stat sb {};
    REQUIRE(::stat(key.c_str(), &sb) == 0);
    CHECK((sb.st_mode & 0777) == 0600);
  }
  CHECK(key_files(pki) == keys);
  CHECK(pki.records("audit") > audit_before);
  auto again = pki.signer({"keys", "rewrap"});
  CHECK_THAT(again.out, Catch::Contains("0 key file(s) rewrapped"));
  auto ran = pki.signer({"run"});
  INFO(ran.err);
  CHECK(ran.exit_code == 0);
}

TEST_CASE("ca list and ca show hand out the CA certificates from the store", "[signer][ca]") {
  TestPki pki;
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  const std::string root_pem = pki.ca_pem("root");
  const std::string tls_pem = pki.ca_pem("tls");

  auto list = pki.signer({"ca", "list"});
  REQUIRE(list.exit_code == 0);
  auto fp = run({"openssl", "x509", "-in", root_pem, "-noout", "-fingerprint", "-sha256"});
  const std::string fingerprint = fp.out.substr(fp.out.find('=') + 1, 95);
  CHECK_THAT(list.out, Catch::Contains("root  root  active"));
  CHECK_THAT(list.out, Catch::Contains("SHA-256 " + fingerprint));
  auto json = pki.signer({"ca", "list", "--json"});
  CHECK_THAT(json.out, Catch::Contains("\"id\":\"tls\""));
  CHECK_THAT(json.out, Catch::Contains("\"role\":\"issuing\""));

  auto pem = pki.signer({"ca", "show", "root", "--pem"});
  REQUIRE(pem.exit_code == 0);
  CHECK(pem.out == read_text_file(root_pem));
  auto der = pki.signer({"ca", "show", "tls", "--der"});
  X509Ptr tls = parse_cert_der(as_bytes(der.out));
  REQUIRE(tls);
  CHECK(to_pem(tls.get()) == read_text_file(tls_pem));

  auto chain = pki.signer({"ca", "show", "tls", "--chain"});
  REQUIRE(chain.exit_code == 0);
  const auto chain_file = pki.dir / "chain.pem";
  std::ofstream(chain_file) << chain.out;
  CHECK(chain.out.find(read_text_file(tls_pem)) == 0);  // leaf first
  CHECK_THAT(chain.out, Catch::EndsWith(read_text_file(root_pem)));
  CHECK(run({"openssl", "verify", "-CAfile", root_pem, "-untrusted", chain_file.string(), tls_pem})
            .exit_code == 0);

  auto missing = pki.signer({"ca", "show", "nope"});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Catch::Contains("ca show nope: no CA with this id"));
  auto both = pki.signer({"ca", "show", "tls", "--pem", "--der"});
  CHECK(both.exit_code == 2);
}

TEST_CASE(
    "a responder passphrase added later: run still signs, keys rewrap moves the responder "
    "keys onto it",
    "[signer][keys]") {
  TestPki pki;
  REQUIRE(pki.signer({"init"}).exit_code == 0);  // responder keys under the CA passphrase
  {
    std::ofstream cfg(pki.config, std::ios::app);
    cfg << "\n[ocsp]\nresponder_passphrase_env = \"PKIREPO_TEST_RESPONDER_PASSPHRASE\"\n";
  }
  pki.env["PKIREPO_TEST_RESPONDER_PASSPHRASE"] = "responder keys only";
  auto ran = pki.signer({"run", "--force"});
  INFO(ran.err);
  REQUIRE(ran.exit_code == 0);
  CHECK_THAT(ran.err, Catch::Contains("still encrypted under the CA passphrase"));

  auto rewrap = pki.signer({"keys", "rewrap"});
  INFO(rewrap.err);
  REQUIRE(rewrap.exit_code == 0);
  CHECK_THAT(rewrap.out, Catch::Contains("now under ocsp.responder_passphrase"));
  for (const auto& key : key_files(pki)) {
    const bool responder = key.filename().string().find("-ocsp-") != std::string::npos;
    INFO(key);
    auto opened = run({"openssl", "pkey", "-in", key.string(), "-noout", "-passin",
                       "env:PKIREPO_TEST_RESPONDER_PASSPHRASE"},
                      pki.env);
    CHECK((opened.exit_code == 0) == responder);
  }
  ran = pki.signer({"run", "--force"});
  CHECK(ran.exit_code == 0);
  CHECK_THAT(ran.err, !Catch::Contains("still encrypted under the CA passphrase"));
}

TEST_CASE("keys rewrap refuses a key file that holds another key before touching any file",
          "[signer][keys]") {
  TestPki pki;
  REQUIRE(pki.signer({"init"}).exit_code == 0);  // 2,048 iterations: every file needs a rewrap
  std::filesystem::path responder;
  for (const auto& key : key_files(pki)) {
    if (key.filename().string().starts_with("tls-ocsp-")) {
      responder = key;
    }
  }
  REQUIRE_FALSE(responder.empty());
  std::filesystem::copy_file(pki.dir / "keys/root.pem", responder,
                             std::filesystem::copy_options::overwrite_existing);
  std::map<std::filesystem::path, std::string> old;
  for (const auto& key : key_files(pki)) {
    old[key] = read_text_file(key);
  }
  const auto before = snapshot(pki.dir / "store");
  pki.env[kKdf] = "";
  auto rewrap = pki.signer({"keys", "rewrap"});
  CHECK(rewrap.exit_code == 1);
  CHECK_THAT(rewrap.err, Catch::Contains(responder.string() + ": does not hold the key of CA "
                                                              "tls's responder's certificate"));
  for (const auto& key : key_files(pki)) {
    INFO(key);
    CHECK(read_text_file(key) == old[key]);
  }
  CHECK(snapshot(pki.dir / "store") == before);
}
