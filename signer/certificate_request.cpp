#include "signer/certificate_request.h"

#include <openssl/asn1t.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "x509/der.h"

// RFC 8017 A.1.1 RSAPublicKey, read as crypto/rsa/rsa_asn1.c reads it (templates at the end).
extern "C" {
struct PKIREPO_RSA_PUBLIC_KEY {
  BIGNUM* modulus;
  BIGNUM* public_exponent;
};
DECLARE_ASN1_FUNCTIONS(PKIREPO_RSA_PUBLIC_KEY)
}

namespace pkirepo::signer {
namespace {

using ParamBuildPtr = std::unique_ptr<OSSL_PARAM_BLD, OpenSslDeleter<OSSL_PARAM_BLD_free>>;
using ParamsPtr = std::unique_ptr<OSSL_PARAM, OpenSslDeleter<OSSL_PARAM_free>>;
using RsaPublicKeyPtr =
    std::unique_ptr<PKIREPO_RSA_PUBLIC_KEY, OpenSslDeleter<PKIREPO_RSA_PUBLIC_KEY_free>>;

EvpPkeyPtr from_params(const char* type, const OSSL_PARAM* params) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, const_cast<OSSL_PARAM*>(params)) !=
          1) {
    return nullptr;
  }
  return EvpPkeyPtr(key);
}

EvpPkeyPtr rsa_key(ByteView bits) {
  RsaPublicKeyPtr rsa =
      parse_exact<PKIREPO_RSA_PUBLIC_KEY, RsaPublicKeyPtr>(bits, d2i_PKIREPO_RSA_PUBLIC_KEY);
  ParamBuildPtr build(OSSL_PARAM_BLD_new());
  if (!rsa || !build ||
      OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, rsa->modulus) != 1 ||
      OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, rsa->public_exponent) != 1) {
    return nullptr;
  }
  ParamsPtr params(OSSL_PARAM_BLD_to_param(build.get()));
  return params ? from_params("RSA", params.get()) : nullptr;
}

EvpPkeyPtr ec_key(int curve_nid, ByteView point) {
  const char* curve = OBJ_nid2sn(curve_nid);
  if (curve_nid == NID_undef || curve == nullptr) {
    return nullptr;
  }
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(curve), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, const_cast<uint8_t*>(point.data()),
                                        point.size()),
      OSSL_PARAM_construct_end()};
  return from_params("EC", params);
}

// The key of `spki`: RSA and named-curve EC keys from their parts, anything else (Ed25519,
// RSA-PSS, explicit curve parameters) through OpenSSL's generic SubjectPublicKeyInfo reader.
EvpPkeyPtr decode_key(const PKIREPO_SPKI& spki) {
  const ASN1_OBJECT* oid = nullptr;
  int param_type = V_ASN1_UNDEF;
  const void* param = nullptr;
  X509_ALGOR_get0(&oid, &param_type, &param, spki.algorithm);
  const ByteView bits(ASN1_STRING_get0_data(spki.public_key),
                      static_cast<size_t>(ASN1_STRING_length(spki.public_key)));
  switch (OBJ_obj2nid(oid)) {
    case NID_rsaEncryption:
      return rsa_key(bits);
    case NID_X9_62_id_ecPublicKey:
      if (param_type == V_ASN1_OBJECT) {
        return ec_key(OBJ_obj2nid(static_cast<const ASN1_OBJECT*>(param)), bits);
      }
      break;
    default:
      break;
  }
  unsigned char* der_out = nullptr;
  const int len = i2d_PKIREPO_SPKI(&spki, &der_out);
  const OpenSslBytesPtr der(der_out);
  if (len <= 0) {
    return nullptr;
  }
  const unsigned char* p = der.get();
  return EvpPkeyPtr(d2i_PUBKEY(nullptr, &p, len));
}

// Whether the request asks for its extensions more than one way: more than one extensionRequest
// (or msExtReq) attribute, more than one value in it, or more than one subjectAltName.
// X509_REQ_get_extensions, which `openssl req -text` prints, reads the first such attribute
// only; such a request could show one SAN to whoever reviews it and have another issued.
bool ambiguous_extensions(STACK_OF(X509_ATTRIBUTE) * attributes) {
  int requests = 0;
  for (int i = 0; i < sk_X509_ATTRIBUTE_num(attributes); ++i) {
    X509_ATTRIBUTE* a = sk_X509_ATTRIBUTE_value(attributes, i);
    const int nid = OBJ_obj2nid(X509_ATTRIBUTE_get0_object(a));
    if (nid != NID_ext_req && nid != NID_ms_ext_req) {
      continue;
    }
    if (++requests > 1 || X509_ATTRIBUTE_count(a) > 1) {
      return true;
    }
    const ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(a, 0);
    if (value == nullptr || value->type != V_ASN1_SEQUENCE) {
      continue;
    }
    const X509ExtensionStackPtr extensions(static_cast<STACK_OF(X509_EXTENSION)*>(
        ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_EXTENSIONS), value)));
    int sans = 0;
    for (int k = 0; k < sk_X509_EXTENSION_num(extensions.get()); ++k) {
      X509_EXTENSION* e = sk_X509_EXTENSION_value(extensions.get(), k);
      sans += OBJ_obj2nid(X509_EXTENSION_get_object(e)) == NID_subject_alt_name ? 1 : 0;
    }
    if (sans > 1) {
      return true;
    }
  }
  return false;
}

using ReqPtr = std::unique_ptr<PKIREPO_REQ, OpenSslDeleter<PKIREPO_REQ_free>>;

ReqPtr read_request(ByteView data) {
  if (!looks_like_pem(data)) {
    return parse_exact<PKIREPO_REQ, ReqPtr>(data, d2i_PKIREPO_REQ);
  }
  BioPtr bio = memory_bio(data);
  unsigned char* der_out = nullptr;
  long len = 0;
  char* name_out = nullptr;
  // PEM_STRING_X509_REQ also accepts "NEW CERTIFICATE REQUEST", as PEM_read_bio_X509_REQ does.
  const int read = bio ? PEM_bytes_read_bio(&der_out, &len, &name_out, PEM_STRING_X509_REQ,
                                            bio.get(), nullptr, nullptr)
                       : 0;
  const OpenSslBytesPtr der(der_out);
  const OpenSslCharsPtr name(name_out);
  if (read != 1) {
    return nullptr;
  }
  return parse_exact<PKIREPO_REQ, ReqPtr>(ByteView(der.get(), static_cast<size_t>(len)),
                                          d2i_PKIREPO_REQ);
}

}  // namespace

std::unique_ptr<CertificateRequest> CertificateRequest::parse(ByteView data, std::string& why) {
  ReqPtr req = read_request(data);
  if (!req) {
    (void)openssl_error();
    why = "not a certificate signing request (PEM or DER PKCS#10)";
    return nullptr;
  }
  if (ASN1_INTEGER_get(req->info->version) != 0) {
    why = "not a version 1 certificate signing request (RFC 2986 4.1)";
    return nullptr;
  }
  if (ambiguous_extensions(req->info->attributes)) {
    (void)openssl_error();
    why =
        "the request asks for extensions more than once (one extensionRequest with at most "
        "one subjectAltName)";
    return nullptr;
  }
  EvpPkeyPtr key = decode_key(*req->info->subject_public_key_info);
  if (!key) {
    (void)openssl_error();
    why = "the request's public key cannot be decoded";
    return nullptr;
  }
  return std::unique_ptr<CertificateRequest>(
      new CertificateRequest(std::move(req), std::move(key)));
}

bool CertificateRequest::signature_verifies() const {
  const int ok = ASN1_item_verify(ASN1_ITEM_rptr(PKIREPO_REQ_INFO), req_->signature_algorithm,
                                  req_->signature, req_->info, key_.get());
  if (ok != 1) {
    (void)openssl_error();
  }
  return ok == 1;
}

const X509_ALGOR* CertificateRequest::key_algorithm() const {
  return req_->info->subject_public_key_info->algorithm;
}

const ASN1_BIT_STRING* CertificateRequest::key_bits() const {
  return req_->info->subject_public_key_info->public_key;
}

X509ExtensionPtr CertificateRequest::subject_alt_name() const {
  STACK_OF(X509_ATTRIBUTE)* attributes = req_->info->attributes;
  X509ExtensionPtr san;
  for (int i = 0; i < sk_X509_ATTRIBUTE_num(attributes); ++i) {
    X509_ATTRIBUTE* a = sk_X509_ATTRIBUTE_value(attributes, i);
    const int nid = OBJ_obj2nid(X509_ATTRIBUTE_get0_object(a));
    if (nid != NID_ext_req && nid != NID_ms_ext_req) {
      continue;
    }
    const ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(a, 0);
    if (value == nullptr || value->type != V_ASN1_SEQUENCE) {
      continue;
    }
    const X509ExtensionStackPtr extensions(static_cast<STACK_OF(X509_EXTENSION)*>(
        ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_EXTENSIONS), value)));
    for (int k = 0; k < sk_X509_EXTENSION_num(extensions.get()); ++k) {
      X509_EXTENSION* e = sk_X509_EXTENSION_value(extensions.get(), k);
      if (OBJ_obj2nid(X509_EXTENSION_get_object(e)) == NID_subject_alt_name) {
        san.reset(X509_EXTENSION_dup(e));
      }
    }
  }
  return san;
}

}  // namespace pkirepo::signer

// The ASN.1 templates, last: clang-format cannot lay out these macros, and everything after
// them would be re-indented.
// RFC 2986 4, as OpenSSL's crypto/x509/x_req.c declares X509_REQ_INFO and X509_REQ, with the
// SubjectPublicKeyInfo as its two fields (x_pubkey.c's X509_PUBKEY_INTERNAL) instead of
// X509_PUBKEY, whose reader decodes the key.

// clang-format off
ASN1_SEQUENCE(PKIREPO_SPKI) = {
    ASN1_SIMPLE(PKIREPO_SPKI, algorithm, X509_ALGOR),
    ASN1_SIMPLE(PKIREPO_SPKI, public_key, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(PKIREPO_SPKI)

ASN1_SEQUENCE_enc(PKIREPO_REQ_INFO, enc, 0) = {
    ASN1_SIMPLE(PKIREPO_REQ_INFO, version, ASN1_INTEGER),
    ASN1_SIMPLE(PKIREPO_REQ_INFO, subject, X509_NAME),
    ASN1_SIMPLE(PKIREPO_REQ_INFO, subject_public_key_info, PKIREPO_SPKI),
    ASN1_IMP_SET_OF_OPT(PKIREPO_REQ_INFO, attributes, X509_ATTRIBUTE, 0),
} ASN1_SEQUENCE_END_enc(PKIREPO_REQ_INFO, PKIREPO_REQ_INFO)

ASN1_SEQUENCE(PKIREPO_REQ) = {
    ASN1_SIMPLE(PKIREPO_REQ, info, PKIREPO_REQ_INFO),
    ASN1_SIMPLE(PKIREPO_REQ, signature_algorithm, X509_ALGOR),
    ASN1_SIMPLE(PKIREPO_REQ, signature, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(PKIREPO_REQ)

IMPLEMENT_ASN1_FUNCTIONS(PKIREPO_SPKI)
IMPLEMENT_ASN1_FUNCTIONS(PKIREPO_REQ_INFO)
IMPLEMENT_ASN1_FUNCTIONS(PKIREPO_REQ)

ASN1_SEQUENCE(PKIREPO_RSA_PUBLIC_KEY) = {
    ASN1_SIMPLE(PKIREPO_RSA_PUBLIC_KEY, modulus, BIGNUM),
    ASN1_SIMPLE(PKIREPO_RSA_PUBLIC_KEY, public_exponent, BIGNUM),
} ASN1_SEQUENCE_END(PKIREPO_RSA_PUBLIC_KEY)
IMPLEMENT_ASN1_FUNCTIONS(PKIREPO_RSA_PUBLIC_KEY)
