// Regression: a request that asks for its extensions more than once is refused. The reader took
// the last subjectAltName of every extensionRequest/msExtReq attribute, while OpenSSL's
// X509_REQ_get_extensions (what `openssl req -text` prints) reads the first attribute only: a
// request could show one name to its reviewer and have another issued. Found while writing the
// differential check of fuzz/csr_fuzzer.cpp.
#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "signer/certificate_request.h"
#include "support/test_support.h"
#include "x509/der.h"

using namespace pkirepo;
using namespace pkirepo::signer;

namespace {

// A request for CN=good.example.com with one extension-request attribute per entry of
// `attrs` (its NID and the SANs it holds), in order; signed by `key`.
Bytes request(EVP_PKEY* key, const std::vector<std::pair<int, std::vector<const char*>>>& attrs) {
  X509ReqPtr req = test::make_csr(key, "good.example.com");
  for (const auto& [nid, values] : attrs) {
    STACK_OF(X509_EXTENSION)* extensions = sk_X509_EXTENSION_new_null();
    for (const char* value : values) {
      sk_X509_EXTENSION_push(extensions,
                             X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, value));
    }
    const int added = X509_REQ_add_extensions_nid(req.get(), extensions, nid);
    sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
    REQUIRE(added == 1);
  }
  REQUIRE(X509_REQ_sign(req.get(), key, EVP_sha256()) > 0);
  return to_der(req.get());
}

// `der` with its msExtReq attribute renamed extensionRequest and signed again: two
// extensionRequest attributes, which OpenSSL's X509_REQ_add_extensions would not add.
Bytes two_extension_requests(ByteView der, EVP_PKEY* key) {
  using ReqPtr = std::unique_ptr<PKIREPO_REQ, OpenSslDeleter<PKIREPO_REQ_free>>;
  ReqPtr req = parse_exact<PKIREPO_REQ, ReqPtr>(der, d2i_PKIREPO_REQ);
  REQUIRE(req);
  for (int i = 0; i < sk_X509_ATTRIBUTE_num(req->info->attributes); ++i) {
    X509_ATTRIBUTE* a = sk_X509_ATTRIBUTE_value(req->info->attributes, i);
    if (OBJ_obj2nid(X509_ATTRIBUTE_get0_object(a)) == NID_ms_ext_req) {
      REQUIRE(X509_ATTRIBUTE_set1_object(a, OBJ_nid2obj(NID_ext_req)) == 1);
    }
  }
  req->info->enc.modified = 1;
  REQUIRE(ASN1_item_sign(ASN1_ITEM_rptr(PKIREPO_REQ_INFO), req->signature_algorithm, nullptr,
                         req->signature, req->info, key, EVP_sha256()) > 0);
  unsigned char* p = nullptr;
  const int len = i2d_PKIREPO_REQ(req.get(), &p);
  REQUIRE(len > 0);
  Bytes out(p, p + len);
  OPENSSL_free(p);
  return out;
}

// The DNS names of the subjectAltName OpenSSL's X509_REQ_get_extensions finds in `der`.
std::vector<std::string> openssl_san_dns(ByteView der) {
  X509ReqPtr req = parse_csr_der(der);
  REQUIRE(req);
  STACK_OF(X509_EXTENSION)* extensions = X509_REQ_get_extensions(req.get());
  std::vector<std::string> out;
  for (int i = 0; i < sk_X509_EXTENSION_num(extensions); ++i) {
    X509_EXTENSION* e = sk_X509_EXTENSION_value(extensions, i);
    if (OBJ_obj2nid(X509_EXTENSION_get_object(e)) != NID_subject_alt_name) {
      continue;
    }
    GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(e)));
    for (int k = 0; k < sk_GENERAL_NAME_num(names.get()); ++k) {
      int type = 0;
      auto* value = static_cast<ASN1_IA5STRING*>(
          GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(names.get(), k), &type));
      if (type == GEN_DNS) {
        out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                         static_cast<size_t>(ASN1_STRING_length(value)));
      }
    }
  }
  sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
  return out;
}

}  // namespace

TEST_CASE("certificate requests: extensions asked for more than once are refused", "[issue][csr]") {
  EvpPkeyPtr key = test::make_key("ec-p256");
  std::string why;

  SECTION("one extensionRequest with one subjectAltName is read") {
    auto req = CertificateRequest::parse(
        request(key.get(), {{NID_ext_req, {"DNS:good.example.com"}}}), why);
    REQUIRE(req);
    CHECK(req->subject_alt_name());
  }
  // DER sorts the attributes' SET OF: extensionRequest's OID comes before msExtReq's, so the
  // reader took msExtReq's SAN (the last) where OpenSSL shows extensionRequest's (the first).
  const Bytes both = request(key.get(), {{NID_ms_ext_req, {"DNS:evil.example.com"}},
                                         {NID_ext_req, {"DNS:good.example.com"}}});
  SECTION("an msExtReq besides an extensionRequest") {
    CHECK(openssl_san_dns(both) == std::vector<std::string>{"good.example.com"});
    CHECK_FALSE(CertificateRequest::parse(both, why));
    CHECK_THAT(why, Catch::Contains("extensions more than once"));
  }
  SECTION("two extensionRequest attributes") {
    // OpenSSL shows the first in DER order (here evil's, whose encoding sorts first); the
    // reader took the last.
    const Bytes two = two_extension_requests(both, key.get());
    CHECK(openssl_san_dns(two) == std::vector<std::string>{"evil.example.com"});
    CHECK_FALSE(CertificateRequest::parse(two, why));
    CHECK_THAT(why, Catch::Contains("extensions more than once"));
  }
  SECTION("two subjectAltNames in one extensionRequest") {
    CHECK_FALSE(CertificateRequest::parse(
        request(key.get(), {{NID_ext_req, {"DNS:good.example.com", "DNS:evil.example.com"}}}),
        why));
    CHECK_THAT(why, Catch::Contains("extensions more than once"));
  }
}
