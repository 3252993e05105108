#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli_support.h"
#include "support/config_snippets.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {
std::string issue_one(const TestPki& pki, const std::string& cn) {
  auto r = pki.signer({"issue", "--profile", "tls-server", "--csr", pki.csr(cn).string(), "--out",
                       (pki.dir / (cn + ".pem")).string()});
  REQUIRE(r.exit_code == 0);
  auto pos = r.out.find("serial ");
  return r.out.substr(pos + 7, 32);
}
}  // namespace

TEST_CASE("revoke records reason and time, show and list report it", "[signer][revoke]") {
  TestPki pki;
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  std::string serial = issue_one(pki, "r1.example.com");
  auto r = pki.signer({"revoke", "--ca", "tls", "--serial", serial, "--reason", "superseded",
                       "--invalidity-date", "2026-11-20T10:00:00Z"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto show = pki.signer({"show", "--serial", serial, "--json"});
  REQUIRE(show.exit_code == 0);
  auto j = nlohmann::json::parse(show.out);
  CHECK(j["status"] == "revoked");
  CHECK(j["reason"] == "superseded");
  CHECK(j["revocation_time"] == "2026-11-22T00:00:00Z");
  CHECK(j["invalidity_date"] == "2026-11-20T10:00:00Z");
  auto list = pki.signer({"list", "--status", "revoked"});
  CHECK_THAT(list.out, Catch::Contains(serial));

  SECTION("a second revocation is refused, but an upgrade to keyCompromise is allowed") {
    auto again =
        pki.signer({"revoke", "--ca", "tls", "--serial", serial, "--reason", "superseded"});
    CHECK(again.exit_code == 1);
    CHECK_THAT(again.err, Catch::Contains("already revoked"));
    auto up =
        pki.signer({"revoke", "--ca", "tls", "--serial", serial, "--reason", "keyCompromise"});
    CHECK(up.exit_code == 0);
    auto j2 = nlohmann::json::parse(pki.signer({"show", "--serial", serial, "--json"}).out);
    CHECK(j2["reason"] == "keyCompromise");
    CHECK(pki.signer({"revoke", "--ca", "tls", "--serial", serial, "--reason", "keyCompromise"})
              .exit_code == 1);
  }
}

TEST_CASE("revoke refusals name the input and change nothing", "[signer][revoke]") {
  TestPki pki;
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  std::string serial = issue_one(pki, "r2.example.com");
  const auto before = snapshot(pki.dir / "store");
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--ca", "tls", "--serial", "0badc0ffee0badc0ffee", "--reason", "superseded"},
       "--serial 0badc0ffee0badc0ffee: no certificate"},
      {{"--ca", "nope", "--serial", serial, "--reason", "superseded"}, "--ca nope: unknown CA"},
      {{"--ca", "tls", "--serial", "xyz", "--reason", "superseded"},
       "--serial xyz: not a hexadecimal"},
      {{"--ca", "tls", "--serial", serial, "--reason", "certificateHold"},
       "certificateHold is never used"},
      {{"--ca", "tls", "--serial", serial, "--reason", "cACompromise"},
       "not allowed for a subscriber"},
      {{"--ca", "tls", "--serial", serial, "--reason", "superseded", "--invalidity-date",
        "yesterday"},
       "not an RFC 3339 time"},
      {{"--ca", "tls", "--serial", serial, "--reason", "superseded", "--invalidity-date",
        "2030-01-01T00:00:00Z"},
       "lies in the future"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args{"revoke"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto r = pki.signer(args);
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains(c.message));
  }
  CHECK(snapshot(pki.dir / "store") == before);
}

TEST_CASE("an issuing CA certificate is revoked on its parent and needs a reason",
          "[signer][revoke]") {
  TestPki pki;
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  auto list = pki.signer({"list", "--ca", "root", "--json"});
  REQUIRE(list.exit_code == 0);
  auto j = nlohmann::json::parse(list.out.substr(0, list.out.find('\n')));
  std::string serial = j["serial"];
  CHECK(j["profile"] == "ca");
  auto unspecified =
      pki.signer({"revoke", "--ca", "root", "--serial", serial, "--reason", "unspecified"});
  CHECK(unspecified.exit_code == 1);
  CHECK_THAT(unspecified.err, Catch::Contains("must carry a reasonCode"));
  auto r = pki.signer({"revoke", "--ca", "root", "--serial", serial, "--reason", "cACompromise"});
  CHECK(r.exit_code == 0);
}

TEST_CASE("revoke --revocation-date backdates a code signing revocation and nothing else",
          "[signer][revoke][time]") {
  // A non-TLS hierarchy beside the test PKI's TLS root, with a code signing profile that
  // allows a revocationDate before the revocation (Code Signing BRs 4.9.1).
  TestPki pki(profile_toml({.id = "code-signing",
                            .validity = "365d",
                            .eku = {"codeSigning"},
                            .extra = "backdated_revocation = true\n"}) +
              ca_toml({.id = "code-root",
                       .role = "root",
                       .parent = "",
                       .subject = "CN=Test Code Root,O=Test,C=US",
                       .validity = "20y",
                       .eku = {},
                       .extra = "tls_dedicated = false\n"}) +
              ca_toml({.id = "code",
                       .parent = "code-root",
                       .subject = "CN=Test Code Signing CA,O=Test,C=US",
                       .path_len = 0,
                       .profiles = {"code-signing"},
                       .eku = {"codeSigning"}}));
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  const std::string tls_serial = issue_one(pki, "tls.example.com");
  auto issued = pki.signer({"issue", "--profile", "code-signing", "--csr",
                            pki.csr("Build Signer", "ec-p256", {"build.example.com"}).string()});
  INFO(issued.err);
  REQUIRE(issued.exit_code == 0);
  const std::string code_serial = issued.out.substr(issued.out.find("serial ") + 7, 32);
  pki.env["PKIREPO_NOW"] = "2026-11-25T00:00:00Z";
  const auto before = snapshot(pki.dir / "store");

  struct Refusal {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Refusal> refusals = {
      {{"--ca", "tls", "--serial", tls_serial, "--reason", "keyCompromise", "--revocation-date",
        "2026-11-23T00:00:00Z"},
       "--revocation-date 2026-11-23T00:00:00Z: the certificate's profile tls-server does not "
       "allow a revocation date before the revocation"},
      {{"--ca", "code", "--serial", code_serial, "--reason", "keyCompromise", "--revocation-date",
        "2026-11-26T00:00:00Z"},
       "--revocation-date 2026-11-26T00:00:00Z: lies in the future"},
      {{"--ca", "code", "--serial", code_serial, "--reason", "keyCompromise", "--revocation-date",
        "2026-11-01T00:00:00Z"},
       "--revocation-date 2026-11-01T00:00:00Z: before the certificate's notBefore "
       "2026-11-22T00:00:00Z"},
      {{"--ca", "code", "--serial", code_serial, "--reason", "keyCompromise", "--revocation-date",
        "yesterday"},
       "--revocation-date yesterday: not an RFC 3339 time"},
  };
  for (const Refusal& c : refusals) {
    std::vector<std::string> args = {"revoke"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const RunResult r = pki.signer(args);
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains(c.message));
    CHECK(snapshot(pki.dir / "store") == before);
  }

  const RunResult ok =
      pki.signer({"revoke", "--ca", "code", "--serial", code_serial, "--reason", "keyCompromise",
                  "--revocation-date", "2026-11-23T12:00:00Z", "--publish"});
  INFO(ok.err);
  REQUIRE(ok.exit_code == 0);
  CHECK_THAT(ok.out, Catch::Contains("at 2026-11-23T12:00:00Z"));
  auto j = nlohmann::json::parse(pki.signer({"show", "--serial", code_serial, "--json"}).out);
  CHECK(j["revocation_time"] == "2026-11-23T12:00:00Z");
  // The CRL carries the backdated revocationDate (openssl reads it independently).
  Bytes der;
  {
    store::ReadStore st(pki.dir / "store");
    store::ReadTxn txn = st.begin_read();
    der = store::get_crl(txn, "code", 0)->der;
  }
  write_text(pki.dir / "code.crl", std::string(der.begin(), der.end()));
  const RunResult crl = run({"openssl", "crl", "-inform", "DER", "-noout", "-text", "-in",
                             (pki.dir / "code.crl").string()});
  CHECK_THAT(crl.out, Catch::Contains("Revocation Date: Nov 23 12:00:00 2026 GMT"));
  CHECK_THAT(pki.signer({"audit", "export"}).out, Catch::Contains("\"revocation_date_set\":true"));
}
