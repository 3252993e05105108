// Test websites (BR 2.2; CCADB "Test Website URL - Valid/Revoked/Expired"): the config keys and
// their errors, the --strict findings (each with a failing and a passing case) and where the
// pages and ca.json show the URLs. Certificates and CRLs are made here with OpenSSL: the checks
// read only their serials, names, notAfter and CRL entries.
#include "publisher/test_websites.h"

#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

#include "publisher/builder.h"
#include "publisher/compliance.h"
#include "publisher/site_source.h"
#include "support/config_snippets.h"
#include "support/test_support.h"
#include "x509/der.h"

using namespace pkirepo;
using namespace pkirepo::publisher;

namespace {

UnixTime at(const char* text) {
  return *parse_rfc3339(text);
}

constexpr const char* kNow = "2026-06-01T00:00:00Z";

const std::string kConfigHead =
    R"([repository]
name = "N"
store = "store"
base_url = "http://pki.example.test"
)" + test::profile_toml({.id = "tls-server", .validity = "47d", .eku = {"serverAuth"}}) +
    test::profile_toml({.id = "code-signing", .validity = "365d", .eku = {"codeSigning"}}) +
    test::ca_toml({.id = "root",
                   .role = "root",
                   .parent = "",
                   .validity = "20y",
                   .eku = {},
                   .extra = "tls_dedicated = false"}) +
    test::ca_toml({.id = "tls", .profiles = {"tls-server"}, .eku = {"serverAuth"}}) +
    test::ca_toml({.id = "code", .profiles = {"code-signing"}, .eku = {"codeSigning"}});

// A certificate for `cn` (a DNS SAN of the same name unless `ca`), signed by a throwaway key.
Bytes make_cert(const std::string& cn, long serial, const char* not_before, const char* not_after,
                bool ca = false) {
  EvpPkeyPtr key = test::make_key("ec-p256");
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set1_notBefore(cert.get(), make_x509_time(at(not_before)).get());
  X509_set1_notAfter(cert.get(), make_x509_time(at(not_after)).get());
  X509_set_pubkey(cert.get(), key.get());
  if (!ca) {
    X509ExtensionPtr san(
        X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, ("DNS:" + cn).c_str()));
    REQUIRE(san);
    REQUIRE(X509_add_ext(cert.get(), san.get(), -1) == 1);
  }
  REQUIRE(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0);
  return to_der(cert.get());
}

// A CRL listing `serials`.
Bytes make_crl(const std::vector<long>& serials) {
  EvpPkeyPtr key = test::make_key("ec-p256");
  X509CrlPtr crl(X509_CRL_new());
  X509_CRL_set_version(crl.get(), 1);
  X509NamePtr issuer(X509_NAME_new());
  X509_NAME_add_entry_by_txt(issuer.get(), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("tls"), -1, -1, 0);
  X509_CRL_set_issuer_name(crl.get(), issuer.get());
  Asn1TimePtr tu = make_x509_time(at("2026-05-30T00:00:00Z"));
  Asn1TimePtr nu = make_x509_time(at("2026-06-06T00:00:00Z"));
  X509_CRL_set1_lastUpdate(crl.get(), tu.get());
  X509_CRL_set1_nextUpdate(crl.get(), nu.get());
  for (long s : serials) {
    X509RevokedPtr entry(X509_REVOKED_new());
    Asn1IntegerPtr serial(ASN1_INTEGER_new());
    ASN1_INTEGER_set(serial.get(), s);
    X509_REVOKED_set_serialNumber(entry.get(), serial.get());
    X509_REVOKED_set_revocationDate(entry.get(), tu.get());
    REQUIRE(X509_CRL_add0_revoked(crl.get(), entry.get()) == 1);
    entry.release();  // the CRL owns it now
  }
  REQUIRE(X509_CRL_sign(crl.get(), key.get(), EVP_sha256()) > 0);
  return to_der(crl.get());
}

CaEntry ca_entry(const std::string& id, CaRole role, std::vector<std::string> chain) {
  CaEntry e;
  e.id = id;
  e.role = role;
  e.parent = chain.empty() ? "" : chain.front();
  e.chain = std::move(chain);
  e.der = make_cert("CA " + id, 1, "2026-01-01T00:00:00Z", "2036-01-01T00:00:00Z", true);
  e.facts = cert_facts(e.der, id);
  CaCertificate own;
  own.issuer_ca = e.parent.empty() ? id : e.parent;
  own.current = true;
  own.held_by = id;
  own.der = e.der;
  own.facts = e.facts;
  own.status = "good";
  e.same_key.push_back(own);
  return e;
}

TestCertEntry test_cert(const std::string& kind, long serial, const char* not_after,
                        const std::string& url) {
  TestCertEntry t;
  t.ca_id = "tls";
  t.kind = kind;
  t.der = make_cert(kind + ".test.example.com", serial, "2026-05-01T00:00:00Z", not_after);
  t.facts = cert_facts(t.der, kind);
  t.status = kind == "valid" ? "good" : kind;
  t.url = url;
  return t;
}

// The passing case: root -> tls (serverAuth) and root -> code (codeSigning); tls has all three
// websites, the revoked one (serial 0x22) on its CRL, the expired one expired.
StoreSnapshot good_snapshot() {
  StoreSnapshot snap;
  snap.cas = {ca_entry("root", CaRole::root, {}), ca_entry("tls", CaRole::issuing, {"root"}),
              ca_entry("code", CaRole::issuing, {"root"})};
  snap.test_certificates = {
      test_cert("valid", 0x11, "2026-07-01T00:00:00Z", "https://valid.test.example.com/"),
      test_cert("revoked", 0x22, "2026-07-01T00:00:00Z", "https://revoked.test.example.com:8444/"),
      test_cert("expired", 0x33, "2026-05-03T00:00:00Z", "https://expired.test.example.com/x")};
  CrlEntry crl;
  crl.ca_id = "tls";
  crl.path = "crl/tls.crl";
  crl.record.der = make_crl({0x05, 0x22});
  snap.crls.push_back(crl);
  return snap;
}

std::string findings_text(const std::vector<ComplianceFinding>& f) {
  std::string out;
  for (const auto& x : f) {
    out += x.subject + " [" + x.rule + "]: " + x.message + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("test websites: config keys, https only, host present, beside their serial",
          "[publisher][test-websites][config]") {
  const std::string head = kConfigHead + "\n[site]\n[[site.test_certificates]]\nca = \"tls\"\n";
  Config ok = parse_config(head +
                               "valid = \"11\"\nvalid_url = \"https://valid.test.example.com/\"\n"
                               "revoked = \"22\"\nrevoked_url = \"https://r.example.com:8444\"\n"
                               "expired = \"33\"\nexpired_url = \"https://192.0.2.1/e?x=1\"\n",
                           "pkirepo.toml");
  REQUIRE(ok.site.test_certificates.size() == 1);
  CHECK(ok.site.test_certificates[0].valid_url == "https://valid.test.example.com/");
  CHECK(ok.site.test_certificates[0].revoked_url == "https://r.example.com:8444");
  CHECK(ok.site.test_certificates[0].expired_url == "https://192.0.2.1/e?x=1");

  struct Bad {
    std::string keys;
    std::string error;
  };
  for (const Bad& b : std::vector<Bad>{
           {"valid = \"11\"\nvalid_url = \"http://valid.example.com/\"\n",
            "pkirepo.toml:47: site.test_certificates[0].valid_url: \"http://valid.example.com/\" "
            "must start with https://"},
           {"revoked = \"22\"\nrevoked_url = \"https:///path\"\n",
            "site.test_certificates[0].revoked_url: \"https:///path\" has no host"},
           {"expired = \"33\"\nexpired_url = \"https://e.example.com:0/\"\n",
            "site.test_certificates[0].expired_url: \"https://e.example.com:0/\" port \"0\" is "
            "not 1-65535"},
           {"valid = \"11\"\nvalid_url = \"https://u:p@valid.example.com/\"\n",
            "valid_url: \"https://u:p@valid.example.com/\" must not carry a user name"},
           {"valid = \"11\"\nvalid_url = \"https://val_id.example.com/\"\n",
            "host \"val_id.example.com\" is not a DNS name or an IPv4 address"},
           {"valid = \"11\"\nvalid_url = \"https://a..example.com/\"\n", "is not a DNS name"},
           {"revoked_url = \"https://revoked.example.com/\"\n",
            "site.test_certificates[0].revoked_url: needs revoked (the serial of the certificate "
            "it serves)"},
           {"valid = \"11\"\nvalid_url = 7\n",
            "site.test_certificates[0].valid_url: must be a string"},
       }) {
    INFO(b.keys);
    try {
      (void)parse_config(head + b.keys, "pkirepo.toml");
      FAIL("accepted");
    } catch (const ConfigError& e) {
      const std::string what = e.what();
      CHECK_THAT(what, Catch::Contains(b.error));
      CHECK(what.find('\n') == std::string::npos);
    }
  }
}

TEST_CASE("test websites: which websites stand for a CA, and which CAs need them",
          "[publisher][test-websites]") {
  Config config = parse_config(kConfigHead, "pkirepo.toml");
  StoreSnapshot snap = good_snapshot();
  // The issuing CA's own; the root's are the issuing CA's below it; the code signing CA has none
  // and needs none.
  auto tls = test_websites_for(snap, snap.cas[1]);
  CHECK(tls[0].url == "https://valid.test.example.com/");
  CHECK(tls[1].url == "https://revoked.test.example.com:8444/");
  CHECK(tls[2].url == "https://expired.test.example.com/x");
  auto root = test_websites_for(snap, snap.cas[0]);
  CHECK(root[1].url == "https://revoked.test.example.com:8444/");
  CHECK(root[1].ca_id == "tls");
  auto code = test_websites_for(snap, snap.cas[2]);
  CHECK(code[0].url.empty());
  CHECK(code[0].cert == nullptr);
  CHECK(needs_test_websites(config, snap, snap.cas[0]));
  CHECK(needs_test_websites(config, snap, snap.cas[1]));
  CHECK_FALSE(needs_test_websites(config, snap, snap.cas[2]));
  // A retired CA needs none, and a root needs none once no active TLS CA is below it.
  snap.cas[1].status = CaStatus::retired;
  CHECK_FALSE(needs_test_websites(config, snap, snap.cas[1]));
  CHECK_FALSE(needs_test_websites(config, snap, snap.cas[0]));
}

TEST_CASE("test websites: --strict findings, each failing and passing",
          "[publisher][test-websites][compliance]") {
  Config config = parse_config(kConfigHead, "pkirepo.toml");
  const UnixTime now = at(kNow);

  SECTION("passing: all three websites, revoked on the CRL, expired, hosts in the SAN") {
    auto f = check_test_websites(config, good_snapshot(), now);
    INFO(findings_text(f));
    CHECK(f.empty());
  }
  SECTION("failing: a missing website, for the issuing CA and the root above it") {
    StoreSnapshot snap = good_snapshot();
    snap.test_certificates[2].url.clear();
    auto f = check_test_websites(config, snap, now);
    const std::string text = findings_text(f);
    INFO(text);
    REQUIRE(f.size() == 2);
    CHECK_THAT(text, Catch::Contains("CA root [BR 2.2]: no test website for expired_url "
                                     "([[site.test_certificates]] of this root or a TLS CA "
                                     "below it)"));
    CHECK_THAT(text, Catch::Contains("CA tls [BR 2.2]: no test website for expired_url "
                                     "([[site.test_certificates]] with ca = \"tls\")"));
    snap.test_certificates.clear();
    f = check_test_websites(config, snap, now);
    CHECK_THAT(findings_text(f),
               Catch::Contains("CA tls [BR 2.2]: no test website for valid_url, revoked_url, "
                               "expired_url"));
    CHECK_THAT(findings_text(f), !Catch::Contains("CA code"));
  }
  SECTION("failing: the revoked test certificate is not on its CA's CRL") {
    StoreSnapshot snap = good_snapshot();
    snap.crls[0].record.der = make_crl({0x05});
    auto f = check_test_websites(config, snap, now);
    REQUIRE(f.size() == 1);
    CHECK(f[0].subject == "site.test_certificates tls revoked");
    CHECK(f[0].message ==
          "serial 22 is not on the current CRL of tls (pkirepo-signer run signs it)");
    snap.crls.clear();
    f = check_test_websites(config, snap, now);
    REQUIRE(f.size() == 1);
    CHECK_THAT(f[0].message, Catch::Contains("tls's CRL: the store holds none"));
    // Another CA's CRL listing the same serial does not count.
    snap = good_snapshot();
    snap.crls[0].ca_id = "code";
    f = check_test_websites(config, snap, now);
    REQUIRE(f.size() == 1);
  }
  SECTION("failing: the expired test certificate has not expired") {
    StoreSnapshot snap = good_snapshot();
    snap.test_certificates[2] =
        test_cert("expired", 0x33, "2026-06-01T00:00:01Z", "https://expired.test.example.com/x");
    auto f = check_test_websites(config, snap, now);
    REQUIRE(f.size() == 1);
    CHECK(f[0].subject == "site.test_certificates tls expired");
    CHECK(f[0].message == "serial 33 has not expired: valid until 2026-06-01T00:00:01Z");
    // Passing at the first second past notAfter.
    CHECK(check_test_websites(config, snap, at("2026-06-01T00:00:02Z")).empty());
  }
  SECTION("failing: the URL's host is not in the certificate's subjectAltName") {
    StoreSnapshot snap = good_snapshot();
    snap.test_certificates[0].url = "https://www.test.example.com/";
    snap.test_certificates[1].url = "https://192.0.2.7/";
    auto f = check_test_websites(config, snap, now);
    const std::string text = findings_text(f);
    INFO(text);
    REQUIRE(f.size() == 2);
    CHECK_THAT(text, Catch::Contains("site.test_certificates tls valid [BR 2.2]: "
                                     "https://www.test.example.com/: host www.test.example.com is "
                                     "not in the subjectAltName of serial 11"));
    CHECK_THAT(text, Catch::Contains("host 192.0.2.7 is not in the subjectAltName of serial 22"));
    // Case does not matter in DNS names.
    snap = good_snapshot();
    snap.test_certificates[0].url = "https://VALID.Test.Example.com/";
    CHECK(check_test_websites(config, snap, now).empty());
  }
}

TEST_CASE("test websites: beside the certificate files, on the CA pages and in ca.json",
          "[publisher][test-websites][ca-pages]") {
  Config config = parse_config(kConfigHead, "pkirepo.toml");
  StoreSnapshot snap = good_snapshot();
  SiteSource source;
  Templates templates(test::source_dir() / "site-templates");
  SiteFiles site = render_site(config, source, snap, templates, at(kNow));
  const auto& files = site.files();

  const std::string& tests = files.at("test-certificates.html");
  CHECK_THAT(tests, Catch::Contains("<tr id=\"test-tls-revoked\"><td>revoked</td>"));
  CHECK_THAT(tests,
             Catch::Contains("<a href=\"test/tls-revoked.pem\">PEM</a></td><td class=\"wrap\"><a "
                             "href=\"https://revoked.test.example.com:8444/\">"));

  const std::string& tls = files.at("ca/tls.html");
  CHECK_THAT(tls, Catch::Contains("<h2 id=\"test-websites\">Test websites</h2>"));
  CHECK_THAT(tls,
             Catch::Contains("<dt>expired</dt><dd><a href=\"https://expired.test.example.com/x\">"
                             "https://expired.test.example.com/x</a> · serves serial <a "
                             "href=\"../test-certificates.html#test-tls-expired\"><code>33</code>"
                             "</a> · <a href=\"../test/tls-expired.crt\">DER</a>"));
  // The root shows the issuing CA's, saying whose they are; the code signing CA shows none.
  CHECK_THAT(files.at("ca/root.html"),
             Catch::Contains("<code>11</code></a> issued by <a href=\"tls.html\">tls</a>"));
  CHECK_THAT(files.at("ca/code.html"), !Catch::Contains("Test websites"));

  const std::string& inventory = files.at("ca.json");
  CHECK_THAT(inventory, Catch::Contains(R"("test_websites": {
        "valid": "https://valid.test.example.com/",
        "revoked": "https://revoked.test.example.com:8444/",
        "expired": "https://expired.test.example.com/x"
      })"));
  CHECK_THAT(inventory, Catch::Contains(R"("test_websites": {
        "valid": null,
        "revoked": null,
        "expired": null
      })"));

  // A CA that needs them but has none says so on its page.
  snap.test_certificates.clear();
  SiteFiles bare = render_site(config, source, snap, templates, at(kNow));
  CHECK_THAT(bare.files().at("ca/tls.html"),
             Catch::Contains("<dt>valid</dt><dd>none configured</dd>"));
}
