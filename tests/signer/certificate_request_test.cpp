// CertificateRequest against OpenSSL's own X509_REQ: the same key, subject and SAN from the
// same bytes, the same verdict on the signature, and the same refusals.
#include "signer/certificate_request.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include "support/test_support.h"
#include "x509/der.h"

using namespace pkirepo;
using namespace pkirepo::signer;

namespace {

Bytes der_of(const X509_EXTENSION* e) {
  unsigned char* p = nullptr;
  const int len = i2d_X509_EXTENSION(const_cast<X509_EXTENSION*>(e), &p);
  REQUIRE(len > 0);
  Bytes out(p, p + len);
  OPENSSL_free(p);
  return out;
}

X509ExtensionPtr openssl_san(X509_REQ* req) {
  STACK_OF(X509_EXTENSION)* exts = X509_REQ_get_extensions(req);
  X509ExtensionPtr san;
  for (int i = 0; i < sk_X509_EXTENSION_num(exts); ++i) {
    X509_EXTENSION* e = sk_X509_EXTENSION_value(exts, i);
    if (OBJ_obj2nid(X509_EXTENSION_get_object(e)) == NID_subject_alt_name) {
      san.reset(X509_EXTENSION_dup(e));
    }
  }
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  return san;
}

}  // namespace

TEST_CASE("certificate requests read like OpenSSL's X509_REQ reads them", "[issue][csr]") {
  for (std::string alg : {"ec-p256", "ec-p384", "ec-p521", "rsa-2048", "ed25519"}) {
    INFO(alg);
    EvpPkeyPtr key = test::make_key(alg);
    X509ReqPtr made =
        test::make_csr(key.get(), "host.example.com", {"host.example.com", "www.example.com"});
    const Bytes der = to_der(made.get());
    const std::string pem_text = to_pem(made.get());
    for (ByteView input : {ByteView(der), as_bytes(pem_text)}) {
      std::string why;
      auto req = CertificateRequest::parse(input, why);
      REQUIRE(req);
      CHECK(why.empty());
      X509ReqPtr reference = parse_csr_der(der);
      REQUIRE(reference);
      CHECK(EVP_PKEY_eq(req->public_key(), X509_REQ_get0_pubkey(reference.get())) == 1);
      CHECK(req->signature_verifies());
      CHECK(X509_NAME_cmp(req->subject(), X509_REQ_get_subject_name(reference.get())) == 0);
      X509ExtensionPtr san = req->subject_alt_name();
      X509ExtensionPtr expected = openssl_san(reference.get());
      REQUIRE(san);
      REQUIRE(expected);
      CHECK(der_of(san.get()) == der_of(expected.get()));
    }
  }
}

TEST_CASE("certificate requests: broken signatures and bad input are told apart", "[issue][csr]") {
  EvpPkeyPtr key = test::make_key("ec-p256");
  X509ReqPtr made = test::make_csr(key.get(), "host.example.com");
  const Bytes der = to_der(made.get());
  std::string why;

  SECTION("no SAN requested: none returned") {
    auto req = CertificateRequest::parse(der, why);
    REQUIRE(req);
    CHECK_FALSE(req->subject_alt_name());
  }
  SECTION("a changed subject byte breaks the proof of possession") {
    Bytes changed = der;
    const std::string cn = "host.example.com";
    auto at = std::search(changed.begin(), changed.end(), cn.begin(), cn.end());
    REQUIRE(at != changed.end());
    *at = 'H';
    auto req = CertificateRequest::parse(changed, why);
    REQUIRE(req);
    CHECK_FALSE(req->signature_verifies());
  }
  SECTION("trailing bytes after the DER are not a request") {
    Bytes longer = der;
    longer.push_back(0);
    CHECK_FALSE(CertificateRequest::parse(longer, why));
    CHECK_THAT(why, Catch::Contains("not a certificate signing request"));
  }
  SECTION("garbage, an empty file and a certificate PEM are not requests") {
    CHECK_FALSE(CertificateRequest::parse(as_bytes("hello, world"), why));
    CHECK_THAT(why, Catch::Contains("not a certificate signing request"));
    CHECK_FALSE(CertificateRequest::parse(ByteView(), why));
    CHECK_FALSE(CertificateRequest::parse(
        as_bytes("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), why));
  }
  SECTION("a version other than v1 is refused") {
    X509ReqPtr v2 = test::make_csr(key.get(), "host.example.com");
    REQUIRE(X509_REQ_set_version(v2.get(), 1) == 1);
    REQUIRE(X509_REQ_sign(v2.get(), key.get(), EVP_sha256()) > 0);
    CHECK_FALSE(CertificateRequest::parse(to_der(v2.get()), why));
    CHECK_THAT(why, Catch::Contains("version 1"));
  }
  SECTION("an EC point that is not on the curve cannot be decoded") {
    Bytes changed = der;
    // The point's bytes as OpenSSL read them; flip a bit of the last coordinate byte.
    X509ReqPtr parsed = parse_csr_der(der);
    const unsigned char* point = nullptr;
    int point_len = 0;
    REQUIRE(X509_PUBKEY_get0_param(nullptr, &point, &point_len, nullptr,
                                   X509_REQ_get_X509_PUBKEY(parsed.get())) == 1);
    auto at = std::search(changed.begin(), changed.end(), point, point + point_len);
    REQUIRE(at != changed.end());
    *(at + point_len - 1) ^= 0x01;
    CHECK_FALSE(CertificateRequest::parse(changed, why));
    CHECK_THAT(why, Catch::Contains("public key cannot be decoded"));
  }
}
