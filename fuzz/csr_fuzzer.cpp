// libFuzzer target over the signer's CSR reader (signer/certificate_request.{h,cpp}): untrusted
// PKCS#10 bytes → CertificateRequest::parse → every accessor issuance uses, with a differential
// check against OpenSSL's own reader (d2i_X509_REQ / PEM_read_bio_X509_REQ) on the same bytes.
//
// The input is the whole file as `issue --csr` reads it. Seeds: fuzz/corpus/csr/ (made by
// fuzz/make_seed_corpus.sh). Build: -DPKIREPO_FUZZ=ON with clang.
//
// What must agree when both readers accept, and why (a disagreement traps after one line on
// stderr naming it):
// - The subject: X509_NAME_cmp == 0 and the same DER (both read it with the X509_NAME template).
// - The SubjectPublicKeyInfo as received: the same AlgorithmIdentifier and BIT STRING contents
//   (same templates; the key is what issuance copies into the certificate).
// - The public key: EVP_PKEY_eq == 1 whenever OpenSSL decoded one.
// - Proof of possession: signature_verifies() == X509_REQ_verify() with our key (isolates the
//   signed bytes and signature handling) and with OpenSSL's key when it decoded one.
// - The subjectAltName: present in both or in neither, and the same extension DER.
// What is deliberately not asserted is written where the check would be.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "signer/certificate_request.h"
#include "x509/cert_info.h"

namespace {

using namespace pkirepo;
using pkirepo::signer::CertificateRequest;

[[noreturn]] void disagree(const char* what) {
  std::fprintf(stderr, "csr_fuzzer: CertificateRequest and OpenSSL's X509_REQ disagree: %s\n",
               what);
  ERR_print_errors_fp(stderr);
  std::fflush(stderr);
  __builtin_trap();
}

void require(bool ok, const char* what) {
  if (!ok) {
    disagree(what);
  }
}

template <class T>
Bytes der_of(const T* obj, int (*i2d)(const T*, unsigned char**)) {
  unsigned char* p = nullptr;
  const int len = i2d(obj, &p);
  if (len <= 0) {
    return {};
  }
  Bytes out(p, p + len);
  OPENSSL_free(p);
  return out;
}

// The reader's documented rule (certificate_request.h, x509/der.h): PEM when the input holds a
// "-----BEGIN " marker, DER otherwise. Written out here rather than calling looks_like_pem so
// that a change there shows up as a disagreement.
bool holds_pem_marker(ByteView data) {
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  return text.find("-----BEGIN ") != std::string_view::npos;
}

// OpenSSL's reading of the same input: DER with every byte consumed, or the first PEM block
// named CERTIFICATE REQUEST / NEW CERTIFICATE REQUEST.
X509ReqPtr openssl_read(ByteView data, bool pem) {
  if (pem) {
    BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    return X509ReqPtr(bio ? PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  }
  const unsigned char* p = data.data();
  X509ReqPtr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(data.size())));
  if (req && p != data.data() + data.size()) {
    req.reset();
  }
  return req;
}

// Every accessor, the way issue.cpp uses them, under the sanitizers.
void exercise(const CertificateRequest& req) {
  const X509_NAME* subject = req.subject();
  require(subject != nullptr, "accepted request without a subject");
  (void)X509_NAME_get_index_by_NID(const_cast<X509_NAME*>(subject), NID_commonName, -1);
  (void)name_to_string(subject);
  (void)der_of<X509_NAME>(subject, i2d_X509_NAME);

  EVP_PKEY* key = req.public_key();
  require(key != nullptr, "accepted request without a public key");
  (void)EVP_PKEY_get_bits(key);
  (void)EVP_PKEY_get_security_bits(key);
  (void)EVP_PKEY_get_base_id(key);
  (void)der_of<EVP_PKEY>(key, i2d_PUBKEY);

  const X509_ALGOR* algorithm = req.key_algorithm();
  const ASN1_BIT_STRING* bits = req.key_bits();
  require(algorithm != nullptr && bits != nullptr, "accepted request without an SPKI");
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, algorithm);
  char oid_text[80];
  (void)OBJ_obj2txt(oid_text, sizeof oid_text, oid, 1);
  (void)der_of<X509_ALGOR>(algorithm, i2d_X509_ALGOR);
  (void)der_of<ASN1_BIT_STRING>(bits, i2d_ASN1_BIT_STRING);

  if (X509ExtensionPtr san = req.subject_alt_name()) {
    require(OBJ_obj2nid(X509_EXTENSION_get_object(san.get())) == NID_subject_alt_name,
            "subject_alt_name() returned another extension");
    GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(san.get())));
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
      int type = 0;
      (void)GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(names.get(), i), &type);
    }
    BioPtr sink(BIO_new(BIO_s_null()));
    (void)X509V3_EXT_print(sink.get(), san.get(), 0, 0);
    (void)der_of<X509_EXTENSION>(san.get(), i2d_X509_EXTENSION);
  }

  require(req.signature_verifies() == req.signature_verifies(),
          "signature_verifies() changes its answer");
}

bool is_extension_request(const X509_ATTRIBUTE* a) {
  const int nid = OBJ_obj2nid(X509_ATTRIBUTE_get0_object(const_cast<X509_ATTRIBUTE*>(a)));
  return nid == NID_ext_req || nid == NID_ms_ext_req;
}

int extension_request_count(const X509_REQ* req) {
  int n = 0;
  for (int i = 0; i < X509_REQ_get_attr_count(req); ++i) {
    n += is_extension_request(X509_REQ_get_attr(req, i)) ? 1 : 0;
  }
  return n;
}

void compare(const CertificateRequest& ours, X509_REQ* theirs) {
  // Subject: the same template reads both, so the same name and the same bytes.
  const X509_NAME* their_subject = X509_REQ_get_subject_name(theirs);
  require(X509_NAME_cmp(ours.subject(), their_subject) == 0, "subject (X509_NAME_cmp != 0)");
  require(der_of<X509_NAME>(ours.subject(), i2d_X509_NAME) ==
              der_of<X509_NAME>(their_subject, i2d_X509_NAME),
          "subject DER");

  // The SubjectPublicKeyInfo as received (PKIREPO_SPKI and X509_PUBKEY_INTERNAL are the same
  // two fields).
  const unsigned char* their_bits = nullptr;
  int their_bits_len = 0;
  X509_ALGOR* their_algorithm = nullptr;
  require(X509_PUBKEY_get0_param(nullptr, &their_bits, &their_bits_len, &their_algorithm,
                                 X509_REQ_get_X509_PUBKEY(theirs)) == 1,
          "OpenSSL's request has no SubjectPublicKeyInfo");
  require(X509_ALGOR_cmp(ours.key_algorithm(), their_algorithm) == 0, "key AlgorithmIdentifier");
  const ASN1_BIT_STRING* our_bits = ours.key_bits();
  require(ASN1_STRING_length(our_bits) == their_bits_len &&
              (their_bits_len == 0 || std::memcmp(ASN1_STRING_get0_data(our_bits), their_bits,
                                                  static_cast<size_t>(their_bits_len)) == 0),
          "subjectPublicKey BIT STRING");

  // The key. X509_REQ keeps reading when it cannot decode the key (X509_REQ_get0_pubkey is
  // then nullptr) while our reader refuses the request, so "we decoded it, OpenSSL did not" is
  // not a disagreement; OpenSSL decoding a key that differs from ours is.
  EVP_PKEY* our_key = ours.public_key();
  EVP_PKEY* their_key = X509_REQ_get0_pubkey(theirs);
  if (their_key != nullptr) {
    require(EVP_PKEY_eq(our_key, their_key) == 1, "public key (EVP_PKEY_eq != 1)");
  }

  // Proof of possession. With our key, OpenSSL's X509_REQ_verify must give our verdict: the
  // same received certificationRequestInfo bytes, algorithm and signature go to the same
  // ASN1_item_verify. With OpenSSL's key too, which was just found equal to ours.
  const bool our_verdict = ours.signature_verifies();
  require((X509_REQ_verify(theirs, our_key) == 1) == our_verdict,
          "signature verdict (X509_REQ_verify with our key)");
  if (their_key != nullptr) {
    require((X509_REQ_verify(theirs, their_key) == 1) == our_verdict,
            "signature verdict (X509_REQ_verify with OpenSSL's key)");
  }

  // subjectAltName. X509_REQ_get_extensions reads the first extensionRequest attribute (or,
  // lacking one, the first msExtReq) only; our reader accepts a request only when it holds at
  // most one such attribute with at most one subjectAltName, so the readers cannot pick
  // different ones. (It used to take the last subjectAltName of every such attribute: the
  // first two checks below are how this target found that.)
  require(extension_request_count(theirs) <= 1, "accepted more than one extension request");
  STACK_OF(X509_EXTENSION)* extensions = X509_REQ_get_extensions(theirs);
  const X509_EXTENSION* their_san = nullptr;
  int their_san_count = 0;
  for (int i = 0; i < sk_X509_EXTENSION_num(extensions); ++i) {
    const X509_EXTENSION* e = sk_X509_EXTENSION_value(extensions, i);
    if (OBJ_obj2nid(X509_EXTENSION_get_object(const_cast<X509_EXTENSION*>(e))) ==
        NID_subject_alt_name) {
      their_san = e;
      ++their_san_count;
    }
  }
  X509ExtensionPtr our_san = ours.subject_alt_name();
  require(their_san_count <= 1, "accepted more than one subjectAltName");
  require((our_san != nullptr) == (their_san != nullptr), "subjectAltName presence");
  if (our_san) {
    require(der_of<X509_EXTENSION>(our_san.get(), i2d_X509_EXTENSION) ==
                der_of<X509_EXTENSION>(their_san, i2d_X509_EXTENSION),
            "subjectAltName DER");
  }
  sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A CSR is a few KB; larger inputs only make RSA arithmetic slower.
  if (size > 16 * 1024) {
    return 0;
  }
  const ByteView input(data, size);
  std::string why;
  std::unique_ptr<CertificateRequest> ours = CertificateRequest::parse(input, why);
  if (!ours) {
    // Refusals are one line naming the reason.
    require(!why.empty() && why.find('\n') == std::string::npos, "refusal without one-line why");
  } else {
    require(why.empty(), "accepted with a refusal reason");
    exercise(*ours);
  }

  X509ReqPtr theirs = openssl_read(input, holds_pem_marker(input));
  if (ours) {
    // Our templates declare the same structure as X509_REQ's, so whatever we accept, OpenSSL
    // accepts. The converse is not asserted; our reader refuses on purpose where X509_REQ
    // reads on: a key it cannot decode (X509_REQ keeps it undecoded; this includes an
    // id-ecPublicKey on the SM2 curve, which OpenSSL 3.0 decodes as an SM2 key and
    // EVP_PKEY_fromdata's EC keymgmt will not import, and an RSAPublicKey with bytes after
    // it; the CPS allows neither), a version other than v1, bytes after the DER inside a PEM
    // block, and extensions asked for more than once (see compare()).
    require(theirs != nullptr, "we accept a request OpenSSL's reader refuses");
    compare(*ours, theirs.get());
  }
  ERR_clear_error();
  return 0;
}
