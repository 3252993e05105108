#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "cli_support.h"
#include "support/config_snippets.h"
#include "x509/cert_info.h"
#include "x509/der.h"

using namespace pkirepo;
using namespace pkirepo::test;

TEST_CASE("init creates the hierarchy, openssl verifies it and sees the profile",
          "[signer][init]") {
  TestPki pki;
  auto r = pki.signer({"init"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("created root CA root"));
  CHECK_THAT(r.out, Catch::Contains("created issuing CA tls"));

  // Keys: encrypted PKCS#8, mode 0600, never plain.
  struct stat sb {};
  REQUIRE(::stat((pki.dir / "keys/tls.pem").c_str(), &sb) == 0);
  CHECK((sb.st_mode & 0777) == 0600);
  std::string key_text = read_text_file(pki.dir / "keys/tls.pem");
  CHECK_THAT(key_text, Catch::Contains("BEGIN ENCRYPTED PRIVATE KEY"));

  std::string root = pki.ca_pem("root");
  std::string tls = pki.ca_pem("tls");
  auto v = run({"openssl", "verify", "-CAfile", root, tls});
  CHECK(v.exit_code == 0);

  auto text = run({"openssl", "x509", "-in", tls, "-noout", "-text"});
  CHECK_THAT(text.out, Catch::Contains("CA:TRUE, pathlen:0"));
  CHECK_THAT(text.out, Catch::Contains("Certificate Sign, CRL Sign"));
  CHECK_THAT(text.out, Catch::Contains("CA Issuers - URI:http://pki.test.example/ca/root.crt"));
  CHECK_THAT(text.out, Catch::Contains("URI:http://pki.test.example/crl/root.crl"));
  CHECK_THAT(text.out, Catch::Contains("TLS Web Server Authentication"));

  // The delegated responder certificate is shaped as BR 7.1.2.8 asks.
  std::string resp = pki.responder_pem("tls");
  auto rt = run({"openssl", "x509", "-in", resp, "-noout", "-text"});
  CHECK_THAT(rt.out, Catch::Contains("OCSP Signing"));
  CHECK_THAT(rt.out, Catch::Contains("OCSP No Check"));
  CHECK_THAT(rt.out, Catch::Contains("Digital Signature"));
  CHECK_THAT(rt.out, !Catch::Contains("CRL Distribution"));
  CHECK_THAT(rt.out, !Catch::Contains("Authority Information Access"));
  CHECK(
      run({"openssl", "verify", "-CAfile", root, "-untrusted", tls, "-purpose", "ocsphelper", resp})
          .exit_code == 0);
  // Our own lint agrees: no error findings on anything init made.
  auto lint = pki.signer({"lint", "--issuer", tls, resp});
  CHECK(lint.exit_code == 0);

  auto audit = pki.signer({"audit", "verify"});
  CHECK(audit.exit_code == 0);
  auto exported = pki.signer({"audit", "export", "--format", "jsonl"});
  CHECK_THAT(exported.out, Catch::Contains("\"event\":\"ca_key_generated\""));
  CHECK_THAT(exported.out, Catch::Contains("\"operator\":\"tester\""));
  CHECK_THAT(exported.out, !Catch::Contains("PRIVATE KEY"));
}

TEST_CASE("init twice refuses, a new CA in the config is added alone", "[signer][init]") {
  TestPki pki;
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  StoreSnapshot before = snapshot(pki.dir / "store");
  auto again = pki.signer({"init"});
  CHECK(again.exit_code == 1);
  CHECK_THAT(again.err, Catch::Contains("already initialized"));
  CHECK(snapshot(pki.dir / "store") == before);

  write_text(pki.config, read_text_file(pki.config) +
                             ca_toml({.id = "tls2",
                                      .subject = "CN=Test TLS Issuing CA 2,O=Test,C=US",
                                      .algorithm = "rsa-4096",
                                      .profiles = {"tls-server"}}));
  auto add = pki.signer({"init"});
  INFO(add.err);
  CHECK(add.exit_code == 0);
  CHECK_THAT(add.out, Catch::Contains("created issuing CA tls2"));
  CHECK_THAT(add.out, !Catch::Contains("created root CA"));
}

TEST_CASE("init refusals leave no store change and no key file", "[signer][init]") {
  SECTION("a P-256 root is refused by the CPS 6.1.5 table") {
    TestPki pki;
    std::string cfg = read_text_file(pki.config);
    cfg.replace(cfg.find("ec-p384"), 7, "ec-p256");
    write_text(pki.config, cfg);
    auto r = pki.signer({"init"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("CPS 6.1.5"));
    CHECK_FALSE(std::filesystem::exists(pki.dir / "keys/root.pem"));
    // The store did not exist before: it does not exist after (no empty LMDB left behind).
    CHECK_FALSE(std::filesystem::exists(pki.dir / "store"));
  }
  SECTION("a missing passphrase is named") {
    TestPki pki;
    pki.env.erase("PKIREPO_TEST_PASSPHRASE");
    auto r = pki.signer({"init"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("PKIREPO_TEST_PASSPHRASE is not set"));
  }
  SECTION("a bad config names file, line and key") {
    TestPki pki("\n[ocsp]\nvalidity = \"12d\"\n");
    auto r = pki.signer({"init"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("pkirepo.toml:"));
    CHECK_THAT(r.err, Catch::Contains("ocsp.validity"));
  }
  SECTION("usage errors exit 2") {
    TestPki pki;
    const RunResult unknown = pki.signer({"frobnicate"});
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.err ==
          "pkirepo-signer: unknown command \"frobnicate\" (commands: init, issue, revoke, list, "
          "show, lint, audit, run, status, export, doctor, keys, ca, incident, ceremony, "
          "import)\n");
    CHECK(pki.signer({"revoke", "--ca", "tls"}).exit_code == 2);
  }
}
