// Every issuance rule of the BRs and the CPS, one row each: the request or config that breaks
// it, the exact refusal, and the store left as it was but for the rejection's audit record.
// Driven through the real pkirepo-signer binary.
#include <openssl/core_names.h>

#include <catch2/catch.hpp>
#include <cctype>
#include <functional>
#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "cli_support.h"
#include "x509/cert_info.h"
#include "x509/der.h"

// Table rows name only the fields that differ from the defaults; the rest keep their member
// initializers, which is what GCC's -Wmissing-field-initializers warns about.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

// A request as a test describes it: subject, SAN in OpenSSL's config syntax ("" for none;
// "critical," in front makes it critical), key algorithm, and a change made before signing.
struct CsrSpec {
  std::string subject = "CN=www.example.com";
  std::string san = "DNS:www.example.com";
  std::string key = "ec-p256";
  std::function<void(X509_REQ*, EVP_PKEY*)> tweak;
};

std::filesystem::path write_csr(const TestPki& pki, const std::string& file, const CsrSpec& spec) {
  EvpPkeyPtr key = make_key(spec.key);
  X509ReqPtr req(X509_REQ_new());
  X509_REQ_set_version(req.get(), 0);
  X509NamePtr subject = parse_name(spec.subject);
  X509_REQ_set_subject_name(req.get(), subject.get());
  if (spec.tweak) {
    spec.tweak(req.get(), key.get());  // may replace the key: it is set below only when not
  }
  if (X509_REQ_get0_pubkey(req.get()) == nullptr) {
    X509_REQ_set_pubkey(req.get(), key.get());
  }
  if (!spec.san.empty()) {
    STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
    sk_X509_EXTENSION_push(
        exts, X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, spec.san.c_str()));
    X509_REQ_add_extensions(req.get(), exts);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  }
  REQUIRE(X509_REQ_sign(req.get(), key.get(), EVP_sha256()) > 0);
  std::filesystem::path p = pki.dir / "csr" / file;
  write_text(p, to_pem(req.get()));
  return p;
}

// The store minus the audit trail (records and their meta keys).
StoreSnapshot without_audit(StoreSnapshot s) {
  s.erase("audit");
  auto& meta = s["meta"];
  for (auto it = meta.begin(); it != meta.end();) {
    const std::string name(it->first.begin(), it->first.end());
    it = name.starts_with("audit_") ? meta.erase(it) : std::next(it);
  }
  return s;
}

nlohmann::json last_audit_record(const TestPki& pki) {
  StoreSnapshot s = snapshot(pki.dir / "store");
  const Bytes& last = s.at("audit").rbegin()->second;
  return nlohmann::json::parse(std::string(last.begin(), last.end()));
}

std::string ca_serial(const TestPki& pki, const std::string& id) {
  store::ReadStore st(pki.dir / "store");
  store::ReadTxn txn = st.begin_read();
  X509Ptr c = parse_cert_der(store::get_ca(txn, id)->cert_der);
  return serial_hex(c.get());
}

int64_t inclusive_validity_of(const X509* cert) {
  return not_after(cert) - not_before(cert) + 1;
}

std::string upper(std::string s) {
  for (char& c : s) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return s;
}

// The CA's current full CRL, as `openssl crl -text` shows it.
RunResult run_openssl_crl(const TestPki& pki, const std::string& ca_id) {
  Bytes der;
  {
    store::ReadStore st(pki.dir / "store");
    store::ReadTxn txn = st.begin_read();
    der = store::get_crl(txn, ca_id, 0)->der;
  }
  const auto file = pki.dir / (ca_id + ".crl");
  write_text(file, std::string(der.begin(), der.end()));
  return run({"openssl", "crl", "-inform", "DER", "-noout", "-text", "-in", file.string()});
}

EvpPkeyPtr explicit_ec_key() {
  EvpPkeyPtr key = make_key("ec-p256");
  REQUIRE(EVP_PKEY_set_utf8_string_param(key.get(), OSSL_PKEY_PARAM_EC_ENCODING,
                                         OSSL_PKEY_EC_ENCODING_EXPLICIT) == 1);
  return key;
}

}  // namespace

TEST_CASE("issue refuses each request that breaks a rule, and records only the rejection",
          "[signer][issue][rules]") {
  struct Row {
    const char* rule;
    CsrSpec spec;
    const char* refusal;  // what stderr and the audit record say
  };
  const std::string label64(64, 'a');
  const std::vector<Row> rows = {
      {"BR 7.1.4.2 wildcard on a public suffix", {"CN=*.com", "DNS:*.com"}, "public suffix"},
      {"BR 7.1.4.2 wildcard on a multi-label public suffix",
       {"CN=*.co.uk", "DNS:*.co.uk"},
       "public suffix"},
      {"BR 7.1.4.2 internal name", {"CN=localhost", "DNS:localhost"}, "Internal Name"},
      {"BR 7.1.4.2 reserved TLD",
       {"CN=shop.example.test", "DNS:shop.example.test"},
       "Internal Name"},
      {"BR 7.1.4.2 underscore",
       {"CN=a_b.example.com", "DNS:a_b.example.com"},
       "label \"a_b\" holds '_'"},
      {"BR 7.1.4.2 label over 63 octets",
       {"CN=www.example.com", "DNS:www.example.com,DNS:" + label64 + ".example.com"},
       "63"},
      {"BR 7.1.4.2 wildcard not alone in the left-most label",
       {"CN=www.example.com", "DNS:www.example.com,DNS:*.*.example.com"},
       "'*' is allowed only as the whole left-most label"},
      {"BR 7.1.4.2 reserved IP address", {"CN=10.0.0.1", "IP:10.0.0.1"}, "10.0.0.0/8"},
      {"BR 7.1.2.7.12 URI in a TLS certificate",
       {"CN=www.example.com", "DNS:www.example.com,URI:javascript:alert(1)"},
       "dNSName and iPAddress only"},
      {"RFC 5280 4.2.1.6 critical SAN beside a subject",
       {"CN=www.example.com", "critical,DNS:www.example.com"},
       "critical"},
      {"BR 7.1.2.7.2 organisation in a DV subject",
       {"CN=www.google.com,O=Google LLC", "DNS:www.google.com"},
       "O=Google LLC"},
      {"BR 7.1.4.3 CN not among the SANs",
       {"CN=evil.example.org", "DNS:www.example.com"},
       "evil.example.org"},
      {"BR 7.1.2.7.12 no SAN", {"CN=www.example.com", ""}, "subjectAltName"},
      {"BR 7.1.3.1 EC key with explicit curve parameters",
       {"CN=www.example.com", "DNS:www.example.com", "ec-p256",
        [](X509_REQ* req, EVP_PKEY*) {
          EvpPkeyPtr key = explicit_ec_key();
          X509_REQ_set_pubkey(req, key.get());
        }},
       "id-ecPublicKey with explicit curve parameters is not one the BRs allow"},
      {"BR 7.1.3.1 RSA key whose parameters are INTEGER 5",
       {"CN=www.example.com", "DNS:www.example.com", "rsa-2048",
        [](X509_REQ* req, EVP_PKEY* key) {
          X509_REQ_set_pubkey(req, key);
          X509_ALGOR* algorithm = nullptr;
          REQUIRE(X509_PUBKEY_get0_param(nullptr, nullptr, nullptr, &algorithm,
                                         X509_REQ_get_X509_PUBKEY(req)) == 1);
          ASN1_INTEGER* five = ASN1_INTEGER_new();
          ASN1_INTEGER_set(five, 5);
          REQUIRE(X509_ALGOR_set0(algorithm, OBJ_nid2obj(NID_rsaEncryption), V_ASN1_INTEGER,
                                  five) == 1);
        }},
       "rsaEncryption with parameters other than NULL"},
  };
  TestPki pki;
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  for (const Row& row : rows) {
    DYNAMIC_SECTION(row.rule) {
      const StoreSnapshot before = snapshot(pki.dir / "store");
      const auto csr = write_csr(pki, "row.csr", row.spec);
      const RunResult r = pki.signer({"issue", "--profile", "tls-server", "--csr", csr.string()});
      INFO(r.err);
      CHECK(r.exit_code == 1);
      CHECK_THAT(r.err, Catch::Contains("row.csr: refused: ") && Catch::Contains(row.refusal));
      const StoreSnapshot after = snapshot(pki.dir / "store");
      CHECK(without_audit(after) == without_audit(before));
      CHECK(after.at("audit").size() == before.at("audit").size() + 1);
      const nlohmann::json rec = last_audit_record(pki);
      CHECK(rec["event"] == "certificate_request_rejected");
      CHECK_THAT(rec["details"]["reason"].get<std::string>(), Catch::Contains(row.refusal));
    }
  }
  CHECK(pki.signer({"audit", "verify"}).exit_code == 0);
}

TEST_CASE("issue checks names again when it builds the certificate, and never copies the SAN",
          "[signer][issue][rules]") {
  TestPki pki;
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  // Accepted: a wildcard on a registrable domain, an IDN A-label, a public IPv4 address.
  const auto csr = write_csr(pki, "ok.csr",
                             {"CN=www.example.com",
                              "DNS:www.example.com,DNS:*.example.com,DNS:xn--bcher-kva.example.com,"
                              "IP:8.8.8.8"});
  const RunResult r = pki.signer({"issue", "--profile", "tls-server", "--csr", csr.string(),
                                  "--out", (pki.dir / "ok.pem").string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  X509Ptr cert = parse_cert_any(read_file(pki.dir / "ok.pem"));
  REQUIRE(cert);
  int critical = -1;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, &critical, nullptr)));
  REQUIRE(names);
  CHECK(critical == 0);
  CHECK(sk_GENERAL_NAME_num(names.get()) == 4);
  // BR 6.3.2: a 47-day profile gives 47 days counted inclusively, not a second more.
  CHECK(inclusive_validity_of(cert.get()) == 47 * 86400);
  // The certificate passes the same lint an operator runs on certificates made elsewhere.
  const RunResult lint = pki.signer({"lint", (pki.dir / "ok.pem").string()});
  CHECK(lint.exit_code == 0);
}

TEST_CASE("a revoked or expired CA issues nothing and signs no new good status",
          "[signer][issue][rules][lifecycle]") {
  TestPki pki;
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  const auto early = write_csr(pki, "early.csr", {});
  REQUIRE(pki.signer({"issue", "--profile", "tls-server", "--csr", early.string()}).exit_code == 0);
  REQUIRE(pki.signer({"run"}).exit_code == 0);
  REQUIRE(pki.signer({"status"}).exit_code == 0);

  SECTION("the issuing CA's certificate is revoked by its root") {
    const std::string serial = ca_serial(pki, "tls");
    REQUIRE(pki.signer({"revoke", "--ca", "root", "--serial", serial, "--reason", "cACompromise"})
                .exit_code == 0);
    const std::string why = "CA tls's certificate (serial " + serial + ") was revoked at ";
    const StoreSnapshot before = snapshot(pki.dir / "store");
    const auto csr = write_csr(pki, "late.csr", {});
    const RunResult issue = pki.signer({"issue", "--profile", "tls-server", "--csr", csr.string()});
    CHECK(issue.exit_code == 1);
    CHECK_THAT(issue.err, Catch::Contains("refused: CA tls issues nothing: " + why) &&
                              Catch::Contains("(cACompromise)"));
    CHECK(without_audit(snapshot(pki.dir / "store")) == without_audit(before));

    // Two days on, when the early certificate's response is due again: `run` signs the root's
    // CRL with the revoked CA on it but no new "good" for the early certificate.
    pki.env["PKIREPO_NOW"] = "2026-11-24T06:00:00Z";
    const RunResult run = pki.signer({"run"});
    CHECK(run.exit_code == 1);
    CHECK_THAT(run.err, Catch::Contains(why) && Catch::Contains("signs no new \"good\" status"));
    const RunResult status = pki.signer({"status"});
    CHECK(status.exit_code == 1);
    CHECK_THAT(status.out, Catch::Contains(why) && Catch::Contains("CA tls issues nothing"));
    CHECK_THAT(status.out, Catch::Contains("OCSP 0 fresh"));
    // The root's CRL lists the issuing CA with its reason (CCADB 3.2).
    const RunResult crl = run_openssl_crl(pki, "root");
    CHECK_THAT(crl.out, Catch::Contains("Serial Number: " + upper(serial)) &&
                            Catch::Contains("CA Compromise"));
  }
  SECTION("the issuing CA's certificate has expired") {
    pki.env["PKIREPO_NOW"] = "2031-11-23T00:00:00Z";  // the 5y issuing CA ends 2031-11-21
    const auto csr = write_csr(pki, "expired-ca.csr", {});
    const RunResult issue = pki.signer({"issue", "--profile", "tls-server", "--csr", csr.string()});
    CHECK(issue.exit_code == 1);
    CHECK_THAT(issue.err, Catch::Contains("CA tls issues nothing: CA tls's certificate expired at "
                                          "2031-11-21T00:00:00Z"));
    const RunResult status = pki.signer({"status"});
    CHECK(status.exit_code == 1);
    CHECK_THAT(status.out, Catch::Contains("CA tls's certificate expired at"));
  }
}

TEST_CASE("TLS validity follows the BRs' dated steps over time", "[signer][issue][rules][time]") {
  // A 150-day TLS profile is fine under the 200-day step, warned about from 30 days before
  // 2027-03-15, and refused for issuance from then on; `run` keeps status going throughout.
  TestPki pki(R"(
[[profile]]
id = "tls-150"
validity = "150d"
eku = ["serverAuth"]
)");
  REQUIRE(pki.signer({"init"}).exit_code == 0);

  pki.env["PKIREPO_NOW"] = "2027-02-01T00:00:00Z";
  RunResult status = pki.signer({"status"});
  CHECK_THAT(status.out, !Catch::Contains("tls-150"));

  pki.env["PKIREPO_NOW"] = "2027-02-20T00:00:00Z";
  const auto csr = write_csr(pki, "w.csr", {});
  RunResult issue = pki.signer({"issue", "--profile", "tls-server", "--csr", csr.string()});
  CHECK(issue.exit_code == 0);
  CHECK_THAT(issue.err, Catch::Contains("warning: ") &&
                            Catch::Contains("profile[tls-150].validity: 150d exceeds the maximum "
                                            "of 100 days that applies from 2027-03-15 (in 23 "
                                            "days)"));
  status = pki.signer({"status"});
  CHECK_THAT(status.out, Catch::Contains("warning: ") && Catch::Contains("profile[tls-150]"));

  pki.env["PKIREPO_NOW"] = "2027-03-15T00:00:00Z";
  const StoreSnapshot before = snapshot(pki.dir / "store");
  issue = pki.signer({"issue", "--profile", "tls-server", "--csr", csr.string()});
  CHECK(issue.exit_code == 1);
  CHECK_THAT(issue.err, Catch::Contains("pkirepo.toml:") &&
                            Catch::Contains(": profile[tls-150].validity: 150d exceeds the maximum "
                                            "of 100 days for TLS server certificates issued from "
                                            "2027-03-15 (ballot SC-081)"));
  CHECK(snapshot(pki.dir / "store") == before);
  const RunResult run = pki.signer({"run"});
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.err, Catch::Contains("profile[tls-150]"));
  status = pki.signer({"status"});
  CHECK(status.exit_code == 1);
  CHECK_THAT(status.out, Catch::Contains("error: ") && Catch::Contains("profile[tls-150]"));
}

TEST_CASE("configs that break the TLS rules are refused at load with file:line",
          "[signer][config][rules]") {
  struct Row {
    const char* rule;
    const char* extra;
    const char* refusal;
  };
  const std::vector<Row> rows = {
      {"BR 6.3.2 over 398 days",
       "[[profile]]\nid = \"tls-long\"\nvalidity = \"457d\"\neku = [\"serverAuth\"]\n",
       "profile[1].validity: 457d exceeds the BR 6.3.2 maximum of 398 days"},
      {"BR 6.3.2 over today's 200 days",
       "[[profile]]\nid = \"tls-397\"\nvalidity = \"397d\"\neku = [\"serverAuth\"]\n",
       "profile[tls-397].validity: 397d exceeds the maximum of 200 days for TLS server "
       "certificates issued from 2026-03-15"},
      {"Chrome 1.4 §4 code signing CA under the TLS root",
       "[[ca]]\nid = \"code\"\nrole = \"issuing\"\nparent = \"root\"\nsubject = \"CN=Code\"\n"
       "key = { algorithm = \"ec-p384\", file = \"keys/code.pem\" }\nvalidity = \"5y\"\n"
       "eku = [\"codeSigning\"]\n",
       "ca[code].eku: CA code is below the TLS-dedicated root root and must assert serverAuth (+ "
       "clientAuth) only"},
      {"Chrome 1.4 §4 intermediate without EKU under the TLS root",
       "[[ca]]\nid = \"int\"\nrole = \"intermediate\"\nparent = \"root\"\nsubject = \"CN=Int\"\n"
       "key = { algorithm = \"ec-p384\", file = \"keys/int.pem\" }\nvalidity = \"10y\"\n",
       "ca[int].eku: CA int is below the TLS-dedicated root root"},
      {"Chrome 1.4 §4 client-only profile under the TLS root",
       "[[profile]]\nid = \"client\"\nvalidity = \"365d\"\neku = [\"clientAuth\"]\n"
       "[[ca]]\nid = \"tls2\"\nrole = \"issuing\"\nparent = \"root\"\nsubject = \"CN=TLS 2\"\n"
       "key = { algorithm = \"ec-p384\", file = \"keys/tls2.pem\" }\nvalidity = \"5y\"\n"
       "profiles = [\"client\"]\neku = [\"serverAuth\", \"clientAuth\"]\n",
       "profile[client].eku: profile client is issued by tls2 below the TLS-dedicated root root"},
      {"Chrome 1.4 §4 a TLS CA key in a certificate with other EKUs",
       "[[ca]]\nid = \"other-root\"\nrole = \"root\"\nsubject = \"CN=Other Root\"\n"
       "key = { algorithm = \"ec-p384\", file = \"keys/other-root.pem\" }\nvalidity = \"20y\"\n"
       "tls_dedicated = false\n"
       "[[ca]]\nid = \"code\"\nrole = \"issuing\"\nparent = \"other-root\"\nsubject = "
       "\"CN=Code\"\nkey = { algorithm = \"ec-p384\", file = \"keys/tls.pem\" }\nvalidity = "
       "\"5y\"\neku = [\"codeSigning\"]\n",
       "ca[code].key: the key of code is also the key of tls with other extended key usages"},
      {"tls_dedicated only on a root",
       "[[ca]]\nid = \"tls3\"\nrole = \"issuing\"\nparent = \"root\"\nsubject = \"CN=TLS 3\"\n"
       "key = { algorithm = \"ec-p384\", file = \"keys/tls3.pem\" }\nvalidity = \"5y\"\n"
       "eku = [\"serverAuth\"]\ntls_dedicated = true\n",
       "tls_dedicated: only a root declares its hierarchy TLS-dedicated"},
  };
  for (const Row& row : rows) {
    DYNAMIC_SECTION(row.rule) {
      TestPki pki(std::string("\n") + row.extra);
      const RunResult r = pki.signer({"init"});
      INFO(r.err);
      CHECK(r.exit_code == 1);
      CHECK_THAT(r.err, Catch::Contains("pkirepo.toml:") && Catch::Contains(row.refusal));
      CHECK_FALSE(std::filesystem::exists(pki.dir / "store" / "data.mdb"));
    }
  }
}
