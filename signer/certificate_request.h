// A PKCS#10 certification request (RFC 2986) as issuance needs it: subject, public key,
// requested subjectAltName, and proof of possession.
//
// Why not X509_REQ: OpenSSL 3.0 decodes the SubjectPublicKeyInfo inside d2i_X509_REQ through
// its provider decoder framework, which builds a decoder chain on every call (90-170 µs, an
// eighth of a P-384 certificate signature). Here the request is read with OpenSSL's ASN.1
// template macros declaring the same RFC 2986 structure, keeping the key undecoded, and the key
// is made from its parts with EVP_PKEY_fromdata for the two key types the CPS allows (RSA,
// EC named curves); any other type goes through d2i_PUBKEY. The signature is checked by
// ASN1_item_verify over the received encoding of certificationRequestInfo.
#pragma once

#include <openssl/x509.h>

#include <memory>
#include <string>

#include "x509/bytes.h"
#include "x509/openssl_ptr.h"

extern "C" {

struct PKIREPO_SPKI {
  X509_ALGOR* algorithm;
  ASN1_BIT_STRING* public_key;
};

struct PKIREPO_REQ_INFO {
  ASN1_ENCODING enc;  // the received bytes, which the signature covers
  ASN1_INTEGER* version;
  X509_NAME* subject;
  PKIREPO_SPKI* subject_public_key_info;
  STACK_OF(X509_ATTRIBUTE) * attributes;  // [0] IMPLICIT, optional as OpenSSL reads it
};

struct PKIREPO_REQ {
  PKIREPO_REQ_INFO* info;
  X509_ALGOR* signature_algorithm;
  ASN1_BIT_STRING* signature;
};

DECLARE_ASN1_FUNCTIONS(PKIREPO_SPKI)
DECLARE_ASN1_FUNCTIONS(PKIREPO_REQ_INFO)
DECLARE_ASN1_FUNCTIONS(PKIREPO_REQ)

}  // extern "C"

namespace pkirepo::signer {

class CertificateRequest {
 public:
  // PEM ("CERTIFICATE REQUEST" or "NEW CERTIFICATE REQUEST") or DER with nothing after it.
  // Returns nullptr with a one-line `why` when the input is not a request or its public key
  // cannot be decoded.
  static std::unique_ptr<CertificateRequest> parse(ByteView data, std::string& why);

  // Proof of possession (CPS 3.2.1): the request's signature verifies with its own key.
  [[nodiscard]] bool signature_verifies() const;
  [[nodiscard]] const X509_NAME* subject() const { return req_->info->subject; }
  [[nodiscard]] EVP_PKEY* public_key() const { return key_.get(); }
  [[nodiscard]] const X509_ALGOR* key_algorithm() const;
  [[nodiscard]] const ASN1_BIT_STRING* key_bits() const;
  // The subjectAltName of the extensionRequest attribute, or nullptr.
  [[nodiscard]] X509ExtensionPtr subject_alt_name() const;

 private:
  using ReqPtr = std::unique_ptr<PKIREPO_REQ, OpenSslDeleter<PKIREPO_REQ_free>>;
  CertificateRequest(ReqPtr req, EvpPkeyPtr key) : req_(std::move(req)), key_(std::move(key)) {}

  ReqPtr req_;
  EvpPkeyPtr key_;
};

}  // namespace pkirepo::signer
