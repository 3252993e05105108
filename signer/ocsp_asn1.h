// The outer layers of an OCSP response (RFC 6960 4.2.1: OCSPResponse, ResponseBytes,
// BasicOCSPResponse), declared with OpenSSL's ASN.1 template macros exactly as OpenSSL's
// ocsp_asn.c declares them, except that tbsResponseData is held already encoded (ASN1_ANY).
//
// Why: the signer must encode tbsResponseData to sign it; OpenSSL's own BasicOCSPResponse would
// encode it twice more when the response is packed, a fifth of the cost of a response beside
// the signature itself. With these types the encoder copies the signed bytes instead. Used only
// by OcspSigningContext's fast path; everything else uses OpenSSL's OCSP types.
#pragma once

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include <memory>

#include "x509/openssl_ptr.h"

extern "C" {

struct PKIREPO_OCSP_BASIC {
  ASN1_TYPE* tbs_response_data;  // V_ASN1_SEQUENCE: the whole DER of ResponseData
  X509_ALGOR* signature_algorithm;
  ASN1_BIT_STRING* signature;
  STACK_OF(X509) * certs;  // [0] EXPLICIT, optional
};

struct PKIREPO_OCSP_BYTES {
  ASN1_OBJECT* response_type;   // id-pkix-ocsp-basic
  ASN1_OCTET_STRING* response;  // the DER of a BasicOCSPResponse
};

struct PKIREPO_OCSP_RESPONSE {
  ASN1_ENUMERATED* response_status;
  PKIREPO_OCSP_BYTES* response_bytes;  // [0] EXPLICIT, optional
};

DECLARE_ASN1_FUNCTIONS(PKIREPO_OCSP_BASIC)
DECLARE_ASN1_FUNCTIONS(PKIREPO_OCSP_BYTES)
DECLARE_ASN1_FUNCTIONS(PKIREPO_OCSP_RESPONSE)

}  // extern "C"

namespace pkirepo::signer {

using OcspBasicAsn1Ptr =
    std::unique_ptr<PKIREPO_OCSP_BASIC, OpenSslDeleter<PKIREPO_OCSP_BASIC_free>>;
using OcspResponseBytesPtr =
    std::unique_ptr<PKIREPO_OCSP_BYTES, OpenSslDeleter<PKIREPO_OCSP_BYTES_free>>;
using OcspResponseAsn1Ptr =
    std::unique_ptr<PKIREPO_OCSP_RESPONSE, OpenSslDeleter<PKIREPO_OCSP_RESPONSE_free>>;

}  // namespace pkirepo::signer
