// Direct tests of signer/cert_builder: what build_certificate() writes is what the CertSpec
// says (names, serial, times, key, extensions, signature), read back with OpenSSL's own X509
// accessors; the AKI/SKI come out right; a request's key is copied as it was; a bad extension
// is refused by name; random_serial() keeps the BR 7.1 shape.
#include "signer/cert_builder.h"

#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <set>
#include <stdexcept>

#include "signer/certificate_request.h"
#include "support/test_support.h"
#include "x509/cert_info.h"
#include "x509/der.h"
#include "x509/key.h"

using namespace pkirepo;
using namespace pkirepo::signer;

namespace {

constexpr UnixTime kNotBefore = 1795313729;  // 2026-11-22T02:15:29Z
constexpr UnixTime kNotAfter = kNotBefore + 5 * 365 * 86400;

const std::vector<std::pair<int, std::string>> kCaExtensions = {
    {NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
    {NID_key_usage, "critical,keyCertSign,cRLSign"},
    {NID_subject_key_identifier, "hash"}};

struct Ca {
  EvpPkeyPtr key = generate_key("ec-p384");
  X509NamePtr name = parse_name("CN=Builder Test CA,O=Test,C=US");
  Bytes serial = random_serial();
  X509Ptr cert;

  Ca() {
    CertSpec spec;
    spec.subject = name.get();
    spec.public_key = key.get();
    spec.not_before = kNotBefore;
    spec.not_after = kNotAfter;
    spec.serial = serial;
    spec.signing_key = key.get();
    spec.extensions = kCaExtensions;
    cert = build_certificate(spec);
  }
};

bool critical(const X509* cert, int nid) {
  const int at = X509_get_ext_by_NID(cert, nid, -1);
  REQUIRE(at >= 0);
  return X509_EXTENSION_get_critical(X509_get_ext(cert, at)) == 1;
}

Bytes octets(const ASN1_OCTET_STRING* s) {
  REQUIRE(s != nullptr);
  const unsigned char* data = ASN1_STRING_get0_data(s);
  return Bytes(data, data + ASN1_STRING_length(s));
}

// The DER of a certificate's SubjectPublicKeyInfo.
Bytes spki_der(const X509* cert) {
  unsigned char* der = nullptr;
  const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  REQUIRE(len > 0);
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

std::vector<std::string> dns_names(const X509* cert) {
  GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  std::vector<std::string> out;
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), i);
    if (n->type == GEN_DNS) {
      const ASN1_IA5STRING* s = n->d.dNSName;
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<size_t>(ASN1_STRING_length(s)));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("cert_builder: a self-signed CA has the spec's fields and extensions",
          "[signer][cert_builder]") {
  const Ca ca;
  const X509* c = ca.cert.get();
  CHECK(X509_get_version(c) == X509_VERSION_3);
  CHECK(subject_string(c) == "CN=Builder Test CA,O=Test,C=US");
  CHECK(issuer_string(c) == subject_string(c));
  CHECK(serial_bytes(c) == ca.serial);
  CHECK(not_before(c) == kNotBefore);
  CHECK(not_after(c) == kNotAfter);
  CHECK(EVP_PKEY_eq(X509_get0_pubkey(c), ca.key.get()) == 1);
  CHECK(X509_verify(const_cast<X509*>(c), ca.key.get()) == 1);
  // ECDSA with the digest the key calls for (P-384: SHA-384).
  CHECK(X509_get_signature_nid(c) == NID_ecdsa_with_SHA384);

  CHECK(X509_get_ext_count(c) == 3);
  CHECK(X509_check_ca(const_cast<X509*>(c)) == 1);
  CHECK(X509_get_pathlen(const_cast<X509*>(c)) == 0);
  CHECK(critical(c, NID_basic_constraints));
  CHECK(X509_get_key_usage(const_cast<X509*>(c)) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  CHECK(critical(c, NID_key_usage));
  CHECK_FALSE(critical(c, NID_subject_key_identifier));
  const Sha1Digest key_id = key_id_sha1(c);
  CHECK(octets(X509_get0_subject_key_id(const_cast<X509*>(c))) ==
        Bytes(key_id.begin(), key_id.end()));
}

TEST_CASE(
    "cert_builder: a subscriber certificate names its issuer, carries the AKI and copies "
    "the request's key",
    "[signer][cert_builder]") {
  const Ca ca;
  EvpPkeyPtr leaf_key = test::make_key("ec-p256");
  X509ReqPtr csr =
      test::make_csr(leaf_key.get(), "www.example.com", {"www.example.com", "example.com"});
  std::string why;
  const auto request = CertificateRequest::parse(to_der(csr.get()), why);
  INFO(why);
  REQUIRE(request);
  const X509ExtensionPtr san = request->subject_alt_name();
  REQUIRE(san);

  X509NamePtr subject = parse_name("CN=www.example.com");
  CertSpec spec;
  spec.subject = subject.get();
  spec.public_key_algorithm = request->key_algorithm();
  spec.public_key_bits = request->key_bits();
  spec.not_before = kNotBefore;
  spec.not_after = kNotBefore + 47 * 86400;
  spec.serial = random_serial();
  spec.issuer = ca.cert.get();
  spec.signing_key = ca.key.get();
  const SigningTemplate signing(ca.key.get());
  spec.signing_template = &signing;
  spec.extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                     {NID_key_usage, "critical,digitalSignature"},
                     {NID_ext_key_usage, "serverAuth"},
                     {NID_authority_key_identifier, "keyid:always"},
                     {NID_certificate_policies, "2.23.140.1.2.1"}};
  spec.extra_extensions = {san.get()};
  X509Ptr leaf = build_certificate(spec);
  REQUIRE(leaf);
  const X509* c = leaf.get();

  CHECK(subject_string(c) == "CN=www.example.com");
  CHECK(issuer_string(c) == "CN=Builder Test CA,O=Test,C=US");
  CHECK(X509_check_issued(ca.cert.get(), const_cast<X509*>(c)) == X509_V_OK);
  CHECK(X509_verify(const_cast<X509*>(c), ca.key.get()) == 1);
  CHECK(X509_verify(const_cast<X509*>(c), leaf_key.get()) != 1);
  CHECK(not_after(c) - not_before(c) == 47 * 86400);
  // The key is the request's, byte for byte, and is the key that signed the request.
  unsigned char* request_spki = nullptr;
  const int request_spki_len = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(csr.get()), &request_spki);
  REQUIRE(request_spki_len > 0);
  const Bytes expected(request_spki, request_spki + request_spki_len);
  OPENSSL_free(request_spki);
  CHECK(spki_der(c) == expected);
  CHECK(EVP_PKEY_eq(request->public_key(), leaf_key.get()) == 1);

  CHECK(X509_check_ca(const_cast<X509*>(c)) == 0);
  CHECK(X509_get_key_usage(const_cast<X509*>(c)) == KU_DIGITAL_SIGNATURE);
  CHECK(X509_get_extended_key_usage(const_cast<X509*>(c)) == XKU_SSL_SERVER);
  CHECK_FALSE(critical(c, NID_ext_key_usage));
  CHECK(octets(X509_get0_authority_key_id(const_cast<X509*>(c))) ==
        octets(X509_get0_subject_key_id(ca.cert.get())));
  CertificatePoliciesPtr policies(static_cast<CERTIFICATEPOLICIES*>(
      X509_get_ext_d2i(c, NID_certificate_policies, nullptr, nullptr)));
  REQUIRE(policies);
  REQUIRE(sk_POLICYINFO_num(policies.get()) == 1);
  char oid[64];
  OBJ_obj2txt(oid, sizeof oid, sk_POLICYINFO_value(policies.get(), 0)->policyid, 1);
  CHECK(std::string(oid) == "2.23.140.1.2.1");
  CHECK(dns_names(c) == std::vector<std::string>{"www.example.com", "example.com"});
  // The extensions in the order given, the copied ones last.
  REQUIRE(X509_get_ext_count(c) == 6);
  CHECK(OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(c, 0))) == NID_basic_constraints);
  CHECK(OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(c, 5))) == NID_subject_alt_name);
}

TEST_CASE("cert_builder: build_extensions makes the issuer's AKI once for a batch",
          "[signer][cert_builder]") {
  const Ca ca;
  std::vector<X509ExtensionPtr> built = build_extensions(
      {{NID_authority_key_identifier, "keyid:always"}, {NID_ext_key_usage, "clientAuth"}},
      ca.cert.get());
  REQUIRE(built.size() == 2);
  AuthorityKeyIdPtr aki(static_cast<AUTHORITY_KEYID*>(X509V3_EXT_d2i(built[0].get())));
  REQUIRE(aki);
  CHECK(octets(aki->keyid) == octets(X509_get0_subject_key_id(ca.cert.get())));

  EvpPkeyPtr key = test::make_key("ec-p256");
  X509NamePtr subject = parse_name("CN=client");
  CertSpec spec;
  spec.subject = subject.get();
  spec.public_key = key.get();
  spec.not_before = kNotBefore;
  spec.not_after = kNotBefore + 86400;
  spec.serial = random_serial();
  spec.issuer = ca.cert.get();
  spec.signing_key = ca.key.get();
  for (const auto& ext : built) {
    spec.extra_extensions.push_back(ext.get());
  }
  X509Ptr a = build_certificate(spec);
  X509Ptr b = build_certificate(spec);
  CHECK(X509_get_extended_key_usage(a.get()) == XKU_SSL_CLIENT);
  CHECK(octets(X509_get0_authority_key_id(a.get())) == octets(X509_get0_authority_key_id(b.get())));
  CHECK(X509_verify(b.get(), ca.key.get()) == 1);
}

TEST_CASE("cert_builder: a bad extension value is refused by name, nothing is signed",
          "[signer][cert_builder]") {
  const Ca ca;
  X509NamePtr subject = parse_name("CN=bad");
  CertSpec spec;
  spec.subject = subject.get();
  spec.public_key = ca.key.get();
  spec.not_before = kNotBefore;
  spec.not_after = kNotAfter;
  spec.serial = random_serial();
  spec.issuer = ca.cert.get();
  spec.signing_key = ca.key.get();
  spec.extensions = {{NID_basic_constraints, "critical,CA:maybe"}};
  CHECK_THROWS_WITH(build_certificate(spec),
                    Catch::StartsWith("cannot build extension basicConstraints = "
                                      "critical,CA:maybe"));
  spec.extensions = {{NID_ext_key_usage, "notAPurpose"}};
  CHECK_THROWS_AS(build_certificate(spec), std::runtime_error);
  CHECK_THROWS_WITH(build_extensions({{NID_key_usage, "sometimes"}}, ca.cert.get()),
                    Catch::Contains("keyUsage"));
}

TEST_CASE("cert_builder: random_serial is 16 bytes, positive, no leading zero, fresh each time",
          "[signer][cert_builder]") {
  std::set<Bytes> seen;
  for (int i = 0; i < 200; ++i) {
    const Bytes s = random_serial();
    REQUIRE(s.size() == 16);
    CHECK(s[0] != 0);
    CHECK((s[0] & 0x80) == 0);
    seen.insert(s);
  }
  CHECK(seen.size() == 200);
}
