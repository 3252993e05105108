// Offline CAs and their ceremonies, through the real binaries on two "machines" (two folders
// with the same config): the offline one holds the root's key and a copy of the store, the
// online one the store and every other key. The store travels by `export`, the signed objects
// by the ceremony bundle. Time is simulated (PKIREPO_NOW) and moves forward at every step, as
// the audit log asks.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../responder/responder_process.h"
#include "cli_support.h"
#include "run_support.h"
#include "signer/ceremony_bundle.h"
#include "support/softhsm.h"
#include "x509/der.h"
#include "x509/time.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

// The test PKI with its root marked offline (and `extra` appended).
void mark_root_offline(const TestPki& pki) {
  std::string text = read_text_file(pki.config);
  const std::string root_validity = "validity = \"20y\"\n";
  const size_t at = text.find(root_validity);
  REQUIRE(at != std::string::npos);
  text.insert(at + root_validity.size(), "offline = true\n");
  write_text(pki.config, text);
}

struct TwoMachines {
  explicit TwoMachines(const std::string& extra = "") : offline(extra), online(extra) {
    mark_root_offline(offline);
    mark_root_offline(online);
  }

  void at(const std::string& time) {
    offline.env["PKIREPO_NOW"] = time;
    online.env["PKIREPO_NOW"] = time;
  }

  // `export` on `from`, installed as the store of `to` (what an operator carries on media).
  static void carry_store(const TestPki& from, const TestPki& to) {
    const auto copy = from.dir / "carried.mdb";
    std::filesystem::remove(copy);
    RunResult r = from.signer({"export", "--out", copy.string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::filesystem::create_directories(to.dir / "store");
    std::filesystem::remove(to.dir / "store" / "lock.mdb");
    std::filesystem::copy_file(copy, to.dir / "store" / "data.mdb",
                               std::filesystem::copy_options::overwrite_existing);
  }

  // The root ceremony: `init` on the offline machine creates the root (only: the issuing CA
  // under it is left to `ca request`), and the online host starts from its store.
  void create_root() {
    RunResult init = offline.signer({"init"});
    INFO(init.out << init.err);
    REQUIRE(init.exit_code == 0);
    CHECK_THAT(init.out, Catch::Contains("created root CA root"));
    CHECK_THAT(init.out, !Catch::Contains("issuing CA tls"));
    CHECK_THAT(init.err, Catch::Contains("parent root is offline"));
    CHECK_FALSE(std::filesystem::exists(offline.dir / "keys" / "tls.pem"));
    carry_store(offline, online);
  }

  // A ceremony on the offline machine over `args`, into `name` in the offline folder.
  std::filesystem::path ceremony(const std::string& name, std::vector<std::string> args = {}) {
    const auto out = offline.dir / name;
    args.insert(args.begin(), {"ceremony", "--ca", "root", "--out", out.string()});
    RunResult r = offline.signer(args);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("ceremony of CA root"));
    return out;
  }

  // The issuing CA "tls" brought in: key and request online, certificate at a ceremony.
  std::filesystem::path create_tls(const std::string& request_time,
                                   const std::string& ceremony_time) {
    at(request_time);
    const auto csr = online.dir / "tls.csr";
    RunResult req = online.signer({"ca", "request", "tls", "--out", csr.string()});
    INFO(req.out << req.err);
    REQUIRE(req.exit_code == 0);
    CHECK(std::filesystem::exists(online.dir / "keys" / "tls.pem"));
    carry_store(online, offline);
    at(ceremony_time);
    return ceremony("tls.json", {"--new-ca", "tls", "--csr", csr.string()});
  }

  RunResult import(const std::filesystem::path& bundle) const {
    return online.signer({"import", bundle.string()});
  }

  TestPki offline;
  TestPki online;
};

// The bundle's JSON, edited by `edit`, written next to it as `name`.
std::filesystem::path edited(const std::filesystem::path& bundle, const std::string& name,
                             const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json j = nlohmann::json::parse(read_text_file(bundle));
  edit(j);
  const auto out = bundle.parent_path() / name;
  write_text(out, j.dump(2));
  return out;
}

Bytes der_of(const nlohmann::json& obj) {
  Bytes out;
  REQUIRE(signer::base64_decode(obj["der"].get<std::string>(), out));
  return out;
}

// The store is byte for byte what it was: every record, and the data file itself.
struct Unchanged {
  explicit Unchanged(const TestPki& pki)
      : pki_(pki), records_(snapshot(pki.dir / "store")), file_(read_file(data_file())) {}
  void check() const {
    CHECK(snapshot(pki_.dir / "store") == records_);
    CHECK(read_file(data_file()) == file_);
  }

 private:
  [[nodiscard]] std::filesystem::path data_file() const { return pki_.dir / "store" / "data.mdb"; }
  const TestPki& pki_;
  StoreSnapshot records_;
  Bytes file_;
};

}  // namespace

TEST_CASE(
    "ceremony round trip: an offline root signs a new issuing CA and its CRL, the online "
    "signer imports them, the responder serves the CRL, OpenSSL verifies the chain",
    "[signer][ceremony][offline]") {
  TwoMachines m;
  m.at("2026-11-22T00:00:00Z");
  m.create_root();
  CHECK_FALSE(std::filesystem::exists(m.online.dir / "keys" / "root.pem"));
  const auto bundle = m.create_tls("2026-11-22T01:00:00Z", "2026-11-22T02:00:00Z");

  // The offline store copy was only read.
  const auto offline_copy = snapshot(m.offline.dir / "store");

  m.at("2026-11-22T03:00:00Z");
  RunResult imported = m.import(bundle);
  INFO(imported.out << imported.err);
  REQUIRE(imported.exit_code == 0);
  CHECK_THAT(imported.out, Catch::Contains("CRL number 1"));
  CHECK_THAT(imported.out, Catch::Contains("new CA tls"));
  CHECK(snapshot(m.offline.dir / "store") == offline_copy);

  // The online store has the new CA and the audit records.
  RunResult list = m.online.signer({"ca", "list"});
  CHECK_THAT(list.out, Catch::Contains("tls"));
  RunResult audit = m.online.signer({"audit", "export", "--format", "jsonl"});
  CHECK_THAT(audit.out, Catch::Contains("ceremony_imported"));
  CHECK_THAT(audit.out, Catch::Contains("ca_certificate_issued"));

  // `run` works for the new CA (its responder certificate, its CRL) and only reports the root.
  RunResult run1 = m.online.signer({"run"});
  INFO(run1.out << run1.err);
  REQUIRE(run1.exit_code == 0);
  CHECK_THAT(run1.out, Catch::Contains("rotated the responder certificate of CA tls"));
  CHECK_THAT(run1.out,
             Catch::Contains("offline CA root: CRL next update 2027-11-22T02:00:00Z; sign at a "
                             "ceremony"));
  const auto leaf = m.online.dir / "leaf.pem";
  RunResult issued =
      m.online.signer({"issue", "--profile", "tls-server", "--csr",
                       m.online.csr("www.example.com").string(), "--out", leaf.string()});
  INFO(issued.out << issued.err);
  REQUIRE(issued.exit_code == 0);
  RunResult status = m.online.signer({"status"});
  INFO(status.out);
  CHECK(status.exit_code == 0);

  // The responder serves the root's CRL exactly as the ceremony signed it.
  ResponderProcess responder(m.online.config, m.online.env);
  const auto root_crl = m.online.dir / "root.crl";
  const auto tls_crl = m.online.dir / "tls.crl";
  RunResult got = curl({"-f", "-o", root_crl.string(), responder.url("/crl/root.crl")});
  INFO(got.err);
  REQUIRE(got.exit_code == 0);
  REQUIRE(curl({"-f", "-o", tls_crl.string(), responder.url("/crl/tls.crl")}).exit_code == 0);
  const nlohmann::json b = nlohmann::json::parse(read_text_file(bundle));
  CHECK(read_file(root_crl) == der_of(b["crl"]));

  // OpenSSL: leaf -> tls -> root, each checked against its issuer's CRL, at the simulated time.
  const std::string root_pem = m.online.ca_pem("root");
  const std::string tls_pem = m.online.ca_pem("tls");
  for (const auto& crl : {root_crl, tls_crl}) {
    REQUIRE(run({"openssl", "crl", "-inform", "DER", "-in", crl.string(), "-out",
                 crl.string() + ".pem"})
                .exit_code == 0);
  }
  const std::string at = std::to_string(*parse_rfc3339("2026-11-22T04:00:00Z"));
  RunResult verify = run({"openssl", "verify", "-attime", at, "-crl_check_all", "-CAfile", root_pem,
                          "-untrusted", tls_pem, "-CRLfile", root_crl.string() + ".pem", "-CRLfile",
                          tls_crl.string() + ".pem", leaf.string()});
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);
  CHECK_THAT(verify.out, Catch::Contains(": OK"));
}

TEST_CASE(
    "ceremony with the new issuing CA's key in a PKCS#11 token: requested, certified, imported "
    "and signing, with no key file",
    "[signer][ceremony][offline][pkcs11]") {
  SoftHsm hsm;
  hsm.init_token("issuing", "2222");
  // Responder keys stay files: with the CA key in a token they need a folder of their own.
  TwoMachines m("\n[pkcs11]\nmodule = \"" + std::string(kSoftHsmModule) +
                "\"\n\n[ocsp]\nresponder_key_dir = \"responder-keys\"\n");
  for (TestPki* pki : {&m.offline, &m.online}) {
    std::string text = read_text_file(pki->config);
    const std::string file_key = "file = \"keys/tls.pem\"";
    const size_t at = text.find(file_key);
    REQUIRE(at != std::string::npos);
    text.replace(at, file_key.size(),
                 "pkcs11 = \"pkcs11:token=issuing;object=tls-2026\", pin_env = \"TEST_TLS_PIN\"");
    write_text(pki->config, text);
    pki->env["TEST_TLS_PIN"] = "2222";
  }
  m.at("2026-11-22T00:00:00Z");
  m.create_root();
  m.at("2026-11-22T01:00:00Z");
  const auto csr = m.online.dir / "tls.csr";
  RunResult req = m.online.signer({"ca", "request", "tls", "--out", csr.string()});
  INFO(req.out << req.err);
  REQUIRE(req.exit_code == 0);
  CHECK_THAT(req.out, Catch::Contains("generated key pkcs11:token=issuing;object=tls-2026"));
  TwoMachines::carry_store(m.online, m.offline);
  m.at("2026-11-22T02:00:00Z");
  const auto bundle = m.ceremony("tls.json", {"--new-ca", "tls", "--csr", csr.string()});
  m.at("2026-11-22T03:00:00Z");
  RunResult imported = m.import(bundle);
  INFO(imported.out << imported.err);
  REQUIRE(imported.exit_code == 0);
  RunResult run1 = m.online.signer({"run"});
  INFO(run1.out << run1.err);
  REQUIRE(run1.exit_code == 0);
  RunResult issued = m.online.signer(
      {"issue", "--profile", "tls-server", "--csr", m.online.csr("www.example.com").string()});
  INFO(issued.err);
  CHECK(issued.exit_code == 0);
  CHECK_FALSE(std::filesystem::exists(m.online.dir / "keys" / "tls.pem"));
}

TEST_CASE("import refuses a tampered, stale, incomplete or foreign bundle and changes nothing",
          "[signer][ceremony][import][offline]") {
  // A second offline root, whose ceremony supplies a CRL with the wrong issuer.
  TwoMachines m(
      "\n[[ca]]\nid = \"other\"\nrole = \"root\"\nsubject = \"CN=Other Root CA,O=Test,C=US\"\n"
      "key = { algorithm = \"ec-p384\", file = \"keys/other.pem\" }\nvalidity = \"20y\"\n"
      "offline = true\n");
  m.at("2026-11-22T00:00:00Z");
  m.create_root();
  const auto first = m.create_tls("2026-11-22T01:00:00Z", "2026-11-22T02:00:00Z");
  m.at("2026-11-22T03:00:00Z");
  REQUIRE(m.import(first).exit_code == 0);

  SECTION("a tampered CRL signature") {
    m.at("2026-11-23T00:00:00Z");
    TwoMachines::carry_store(m.online, m.offline);
    const auto good = m.ceremony("second.json");
    const auto bad = edited(good, "tampered.json", [](nlohmann::json& j) {
      Bytes der = der_of(j["crl"]);
      der.back() ^= 0x01;  // the last byte of the signature value
      j["crl"]["der"] = signer::base64_encode(der);
    });
    const Unchanged unchanged(m.online);
    RunResult r = m.import(bad);
    CHECK(r.exit_code == 1);
    CHECK(r.err == "pkirepo-signer: " + bad.string() +
                       ": crl: the signature does not verify with CA root's key; nothing "
                       "imported\n");
    unchanged.check();
    CHECK(m.import(good).exit_code == 0);  // the untampered bundle still goes in
  }

  SECTION("a CRL number that does not increase (the same ceremony twice, or an old bundle)") {
    m.at("2026-11-23T00:00:00Z");
    TwoMachines::carry_store(m.online, m.offline);
    const auto second = m.ceremony("second.json");
    REQUIRE(m.import(second).exit_code == 0);
    m.at("2026-11-24T00:00:00Z");
    const Unchanged unchanged(m.online);
    RunResult r = m.import(second);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::StartsWith("pkirepo-signer: " + second.string() +
                                        ": crl: cRLNumber 2 is not greater than the store's 2"));
    unchanged.check();
  }

  SECTION("a revoked CA certificate missing from the CRL (revoked after the export)") {
    m.at("2026-11-23T00:00:00Z");
    TwoMachines::carry_store(m.online, m.offline);
    const auto stale = m.ceremony("stale.json");
    m.at("2026-11-23T01:00:00Z");
    const std::string tls_serial =
        nlohmann::json::parse(m.online.signer({"ca", "show", "tls"}).out)["serial"];
    RunResult revoked = m.online.signer({"revoke", "--ca", "root", "--serial", tls_serial,
                                         "--reason", "cACompromise", "--publish"});
    INFO(revoked.out << revoked.err);
    REQUIRE(revoked.exit_code == 0);
    CHECK_THAT(revoked.out,
               Catch::Contains("CA root is offline: the revocation is recorded; its CRL and OCSP "
                               "response must be re-signed at a ceremony and imported by "
                               "2026-11-24T01:00:00Z"));
    // The 24-hour rule: an error until a ceremony's CRL lists it.
    RunResult status = m.online.signer({"status"});
    CHECK(status.exit_code == 1);
    CHECK_THAT(status.out, Catch::Contains("error: offline CA root: serial " + tls_serial +
                                           " was revoked at 2026-11-23T01:00:00Z and is not on "
                                           "its CRL: a ceremony must re-sign it by "
                                           "2026-11-24T01:00:00Z"));

    m.at("2026-11-23T02:00:00Z");
    const Unchanged unchanged(m.online);
    RunResult r = m.import(stale);
    CHECK(r.exit_code == 1);
    CHECK(r.err == "pkirepo-signer: " + stale.string() + ": crl: serial " + tls_serial +
                       ", revoked at 2026-11-23T01:00:00Z in the store, is not on it (a "
                       "revocation after the export?); nothing imported\n");
    unchanged.check();

    // A ceremony over a fresh copy lists it, and its response says revoked: all clear.
    TwoMachines::carry_store(m.online, m.offline);
    m.at("2026-11-23T03:00:00Z");
    const auto fresh = m.ceremony("fresh.json");
    RunResult ok = m.import(fresh);
    INFO(ok.err);
    REQUIRE(ok.exit_code == 0);
    RunResult after = m.online.signer({"status"});
    CHECK_THAT(after.out, !Catch::Contains("error: offline CA root"));
  }

  SECTION("a CRL with another issuer") {
    m.at("2026-11-23T00:00:00Z");
    TwoMachines::carry_store(m.online, m.offline);
    const auto good = m.ceremony("second.json");
    const auto other_out = m.offline.dir / "other.json";
    RunResult other = m.offline.signer({"ceremony", "--ca", "other", "--out", other_out.string()});
    INFO(other.err);
    REQUIRE(other.exit_code == 0);
    const nlohmann::json other_json = nlohmann::json::parse(read_text_file(other_out));
    const auto bad =
        edited(good, "foreign.json", [&](nlohmann::json& j) { j["crl"] = other_json["crl"]; });
    const Unchanged unchanged(m.online);
    RunResult r = m.import(bad);
    CHECK(r.exit_code == 1);
    CHECK(r.err == "pkirepo-signer: " + bad.string() +
                       ": crl: issuer CN=Other Root CA,O=Test,C=US is not CA root's subject "
                       "CN=Test Root CA,O=Test,C=US; nothing imported\n");
    unchanged.check();
  }

  SECTION("not a bundle") {
    const auto junk = m.online.dir / "junk.json";
    write_text(junk, "{\"format\": \"something else\"}");
    const Unchanged unchanged(m.online);
    RunResult r = m.import(junk);
    CHECK(r.exit_code == 1);
    CHECK(r.err == "pkirepo-signer: " + junk.string() +
                       ": format \"something else\" is not pkirepo-ceremony-bundle/1\n");
    unchanged.check();
  }
}

TEST_CASE("status warns 30 days before an offline CA's CRL runs out and errors after",
          "[signer][ceremony][status][offline]") {
  TestPki offline;
  TestPki online;
  mark_root_offline(offline);
  mark_root_offline(online);
  auto at = [&](const std::string& t) {
    offline.env["PKIREPO_NOW"] = t;
    online.env["PKIREPO_NOW"] = t;
  };
  at("2026-11-22T00:00:00Z");
  REQUIRE(offline.signer({"init"}).exit_code == 0);
  // Online: the root without a CRL yet is an error, not something `run` could fix.
  TwoMachines::carry_store(offline, online);
  RunResult before = online.signer({"status"});
  CHECK(before.exit_code == 1);
  CHECK_THAT(before.out, Catch::Contains("error: offline CA root: no CRL in the store"));

  const auto bundle = offline.dir / "b.json";
  REQUIRE(offline.signer({"ceremony", "--ca", "root", "--out", bundle.string()}).exit_code == 0);
  REQUIRE(online.signer({"import", bundle.string()}).exit_code == 0);

  struct Step {
    std::string now;
    int exit_code;
    std::string line;
  };
  for (const Step& s :
       {Step{"2027-10-22T23:59:59Z", 0,
             "offline CA root: CRL next update 2027-11-22T00:00:00Z; sign at a ceremony\n"},
        Step{"2027-10-23T00:00:00Z", 0,
             "warning: offline CA root: CRL next update 2027-11-22T00:00:00Z (in 30 days); sign "
             "at a ceremony before\n"},
        Step{"2027-11-22T00:00:00Z", 1,
             "error: offline CA root: CRL number 1 ran out at 2027-11-22T00:00:00Z; relying "
             "parties reject it: sign one at a ceremony now\n"}}) {
    at(s.now);
    RunResult r = online.signer({"status"});
    INFO(s.now << "\n" << r.out << r.err);
    CHECK(r.exit_code == s.exit_code);
    CHECK_THAT(r.out, Catch::Contains(s.line));
    // `run` never opens the root's key (it is not here) and says the same.
    RunResult run_out = online.signer({"run"});
    CHECK(run_out.exit_code == s.exit_code);
    CHECK_THAT(run_out.out + run_out.err, Catch::Contains("offline CA root: CRL"));
  }
}

TEST_CASE("ca request and ceremony refuse what is not theirs to sign, writing nothing",
          "[signer][ceremony][offline]") {
  TwoMachines m;
  m.at("2026-11-22T00:00:00Z");
  m.create_root();

  // init online creates nothing under the offline root.
  RunResult init = m.online.signer({"init"});
  CHECK(init.exit_code == 1);
  CHECK_THAT(init.err, Catch::Contains("init: CA tls: parent root is offline; create it with "
                                       "`pkirepo-signer ca request tls` and a ceremony"));
  CHECK_FALSE(std::filesystem::exists(m.online.dir / "keys" / "tls.pem"));

  // ca request: only under an offline parent, only for a CA not yet in the store.
  RunResult root_request =
      m.online.signer({"ca", "request", "root", "--out", (m.online.dir / "root.csr").string()});
  CHECK(root_request.exit_code == 1);
  CHECK(root_request.err ==
        "pkirepo-signer: ca request root: only a CA whose parent is offline is requested; "
        "`pkirepo-signer init` creates this one\n");

  // ceremony: --ca must be offline; a request must carry the config's subject.
  m.at("2026-11-22T01:00:00Z");
  const auto out = m.offline.dir / "refused.json";
  const Unchanged unchanged(m.offline);
  const std::string stray = m.offline.csr("www.example.com").string();
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c :
       {Case{{"--ca", "tls"}, "--ca tls: not offline (offline = true in the config)"},
        Case{{"--ca", "root", "--new-ca", "tls", "--csr", stray},
             "--csr " + stray +
                 ": subject CN=www.example.com is not CA tls's subject CN=Test TLS Issuing "
                 "CA,O=Test,C=US (the request of another CA?)"},
        Case{{"--ca", "root", "--new-ca", "root", "--csr", stray},
             "--new-ca root: its parent in the config is \"\", not root"},
        Case{{"--ca", "root", "--new-ca", "tls"},
             "--new-ca and --csr come in pairs: 1 --new-ca, 0 --csr"}}) {
    std::vector<std::string> args = {"ceremony", "--out", out.string()};
    args.insert(args.end(), c.args.begin(), c.args.end());
    RunResult r = m.offline.signer(args);
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::StartsWith("pkirepo-signer: " + c.message));
    CHECK_FALSE(std::filesystem::exists(out));
  }
  unchanged.check();
}
