// `lint` on certificates made elsewhere: one failing certificate per issuance rule, each found
// and cited. The certificates are built here with OpenSSL's own API (not our builder), as
// another CA's software would make them, and signed by a throwaway CA key.
#include <openssl/core_names.h>
#include <openssl/rand.h>

#include <catch2/catch.hpp>
#include <functional>

#include "policy/rules.h"
#include "support/test_support.h"
#include "x509/cert_info.h"
#include "x509/key.h"
#include "x509/time.h"

// Table rows name only the fields that differ from the defaults; the rest keep their member
// initializers, which is what GCC's -Wmissing-field-initializers warns about.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using namespace pkirepo;
using namespace pkirepo::policy;

namespace {

constexpr UnixTime kNov2026 = 1793491200;  // 2026-11-01T00:00:00Z
constexpr UnixTime kJun2025 = 1748736000;  // 2025-06-01T00:00:00Z

// A subscriber certificate as a test describes it.
struct CertSpec {
  std::string subject = "CN=www.example.com";
  std::string san = "DNS:www.example.com";  // OpenSSL config syntax; "" for none
  std::string eku = "serverAuth,clientAuth";
  std::string policies = kDomainValidatedPolicy;
  std::string cdp = "URI:http://crl.example.com/ca.crl";  // "" for none
  UnixTime not_before = kNov2026;
  int64_t days = 90;  // inclusive validity
  std::string key = "ec-p256";
  std::function<void(X509*, EVP_PKEY*)> tweak;  // after the key is set, before signing
};

X509Ptr make_cert(const CertSpec& spec) {
  static EvpPkeyPtr ca_key = generate_key("ec-p384");
  EvpPkeyPtr key = test::make_key(spec.key);
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] = static_cast<unsigned char>((serial[0] & 0x7f) | 0x40);
  BignumPtr bn(BN_bin2bn(serial, sizeof serial, nullptr));
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()));
  X509NamePtr subject = parse_name(spec.subject);
  X509NamePtr issuer = parse_name("CN=Elsewhere CA,O=Elsewhere,C=US");
  X509_set_subject_name(cert.get(), subject.get());
  X509_set_issuer_name(cert.get(), issuer.get());
  Asn1TimePtr nb = make_x509_time(spec.not_before);
  Asn1TimePtr na = make_x509_time(spec.not_before + spec.days * 86400 - 1);
  X509_set1_notBefore(cert.get(), nb.get());
  X509_set1_notAfter(cert.get(), na.get());
  X509_set_pubkey(cert.get(), key.get());
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, nullptr, cert.get(), nullptr, nullptr, 0);
  ConfPtr conf(NCONF_new(nullptr));
  X509V3_set_nconf(&ctx, conf.get());
  std::vector<std::pair<int, std::string>> exts = {{NID_basic_constraints, "critical,CA:FALSE"},
                                                   {NID_key_usage, "critical,digitalSignature"}};
  if (!spec.eku.empty()) {
    exts.emplace_back(NID_ext_key_usage, spec.eku);
  }
  if (!spec.policies.empty()) {
    exts.emplace_back(NID_certificate_policies, spec.policies);
  }
  if (!spec.san.empty()) {
    exts.emplace_back(NID_subject_alt_name, spec.san);
  }
  if (!spec.cdp.empty()) {
    exts.emplace_back(NID_crl_distribution_points, spec.cdp);
  }
  for (const auto& [nid, value] : exts) {
    X509ExtensionPtr ext(X509V3_EXT_nconf_nid(conf.get(), &ctx, nid, value.c_str()));
    REQUIRE(ext);
    X509_add_ext(cert.get(), ext.get(), -1);
  }
  if (spec.tweak) {
    spec.tweak(cert.get(), key.get());
  }
  REQUIRE(X509_sign(cert.get(), ca_key.get(), EVP_sha384()) > 0);
  return cert;
}

bool cites(const std::vector<Finding>& findings, const std::string& rule, const std::string& text) {
  for (const Finding& f : findings) {
    if (f.severity == Severity::error && f.rule == rule &&
        f.message.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::string describe(const std::vector<Finding>& findings) {
  std::string out;
  for (const Finding& f : findings) {
    out += f.rule + ": " + f.message + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("lint passes a certificate that follows every rule", "[lint][rules]") {
  const X509Ptr cert = make_cert({});
  const auto findings = lint_certificate(cert.get());
  INFO(describe(findings));
  CHECK_FALSE(has_errors(findings));
}

TEST_CASE("lint finds each issuance rule broken in a certificate made elsewhere", "[lint][rules]") {
  struct Row {
    const char* what;
    CertSpec spec;
    const char* rule;
    const char* text;
  };
  const std::string label64(64, 'a');
  const std::vector<Row> rows = {
      {"397 days issued after 2026-03-15",
       {.days = 397},
       "BR 6.3.2",
       "maximum of 200 days for TLS server certificates issued from 2026-03-15"},
      {"101 days issued after 2027-03-15",
       {.not_before = 1805068800, .days = 101},
       "BR 6.3.2",
       "maximum of 100 days"},
      {"wildcard on a public suffix",
       {.subject = "CN=*.com", .san = "DNS:*.com"},
       "BR 7.1.4.2",
       "*.com"},
      {"internal name",
       {.subject = "CN=localhost", .san = "DNS:localhost"},
       "BR 7.1.4.2",
       "localhost"},
      {"reserved IP address",
       {.subject = "CN=10.0.0.1", .san = "IP:10.0.0.1"},
       "BR 7.1.4.2",
       "10.0.0.1"},
      {"underscore",
       {.subject = "CN=a_b.example.com", .san = "DNS:a_b.example.com"},
       "BR 7.1.4.2",
       "a_b.example.com"},
      {"label over 63 octets",
       {.san = "DNS:www.example.com,DNS:" + label64 + ".example.com"},
       "BR 7.1.4.2",
       label64.c_str()},
      {"wildcard not alone in the left-most label",
       {.san = "DNS:www.example.com,DNS:*.*.example.com"},
       "BR 7.1.4.2",
       "*.*.example.com"},
      {"URI in a TLS certificate",
       {.san = "DNS:www.example.com,URI:javascript:alert(1)"},
       "BR 7.1.2.7.12",
       "javascript:alert(1)"},
      {"critical SAN beside a subject",
       {.san = "critical,DNS:www.example.com"},
       "RFC 5280 4.2.1.6",
       "critical"},
      {"organisation in a DV subject",
       {.subject = "CN=www.google.com,O=Google LLC", .san = "DNS:www.google.com"},
       "BR 7.1.2.7.2",
       "O=Google LLC"},
      {"CN not among the SANs",
       {.subject = "CN=evil.example.org"},
       "BR 7.1.4.3",
       "evil.example.org"},
      {"EC key with explicit curve parameters",
       {.tweak =
            [](X509* cert, EVP_PKEY*) {
              EvpPkeyPtr key = test::make_key("ec-p256");
              EVP_PKEY_set_utf8_string_param(key.get(), OSSL_PKEY_PARAM_EC_ENCODING,
                                             OSSL_PKEY_EC_ENCODING_EXPLICIT);
              X509_set_pubkey(cert, key.get());
            }},
       "BR 7.1.3.1",
       "explicit curve parameters"},
      {"RSA key whose parameters are INTEGER 5",
       {.key = "rsa-2048",
        .tweak =
            [](X509* cert, EVP_PKEY*) {
              X509_ALGOR* algorithm = nullptr;
              X509_PUBKEY_get0_param(nullptr, nullptr, nullptr, &algorithm,
                                     X509_get_X509_PUBKEY(cert));
              ASN1_INTEGER* five = ASN1_INTEGER_new();
              ASN1_INTEGER_set(five, 5);
              X509_ALGOR_set0(algorithm, OBJ_nid2obj(NID_rsaEncryption), V_ASN1_INTEGER, five);
            }},
       "BR 7.1.3.1",
       "rsaEncryption with parameters other than NULL"},
      {"no CRL distribution point and 8 days",
       {.cdp = "", .days = 8},
       "BR 7.1.2.7.7",
       "must be short-lived (at most 7 days"},
      {"no CRL distribution point and 11 days before 2026-03-15",
       {.cdp = "", .not_before = kJun2025, .days = 11},
       "BR 7.1.2.7.7",
       "at most 10 days"},
      {"TLS EKU mixed with code signing",
       {.eku = "serverAuth,codeSigning"},
       "Chrome policy 1.4 §4",
       "other than serverAuth and clientAuth"},
  };
  for (const Row& row : rows) {
    DYNAMIC_SECTION(row.what) {
      const X509Ptr cert = make_cert(row.spec);
      const auto findings = lint_certificate(cert.get());
      INFO(describe(findings));
      CHECK(cites(findings, row.rule, row.text));
    }
  }
}

TEST_CASE("lint judges validity by the step in force at notBefore", "[lint][rules][time]") {
  // 200 days was allowed before 2026-03-15 (up to 398): the same certificate is fine then.
  const X509Ptr older = make_cert({.not_before = kJun2025, .days = 398});
  CHECK_FALSE(has_errors(lint_certificate(older.get())));
  // Short-lived (no CRL distribution point needed): 10 days then, 7 days now.
  const X509Ptr short_then = make_cert({.cdp = "", .not_before = kJun2025, .days = 10});
  CHECK_FALSE(has_errors(lint_certificate(short_then.get())));
  const X509Ptr short_now = make_cert({.cdp = "", .not_before = kNov2026, .days = 7});
  CHECK_FALSE(has_errors(lint_certificate(short_now.get())));
  const X509Ptr ten_now = make_cert({.cdp = "", .not_before = kNov2026, .days = 10});
  CHECK(has_errors(lint_certificate(ten_now.get())));
  CHECK_FALSE(check_tls_validity(kJun2025, kJun2025 + 398 * 86400 - 1));
  CHECK(check_tls_validity(kJun2025, kJun2025 + 398 * 86400));
  CHECK(check_tls_validity(kNov2026, kNov2026 + 200 * 86400));
  CHECK_FALSE(check_tls_validity(kNov2026, kNov2026 + 200 * 86400 - 1));
  // Not a TLS certificate: the CPS's 15 months apply, not the BRs' dated steps.
  const X509Ptr client = make_cert({.eku = "clientAuth", .policies = "", .days = 365});
  CHECK_FALSE(has_errors(lint_certificate(client.get())));
}
