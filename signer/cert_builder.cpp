#include "signer/cert_builder.h"

#include <openssl/rand.h>

#include <stdexcept>

#include "x509/key.h"

namespace pkirepo::signer {

namespace {

X509ExtensionPtr make_extension(CONF* conf, X509V3_CTX* ctx, int nid, const std::string& value) {
  X509ExtensionPtr ext(X509V3_EXT_nconf_nid(conf, ctx, nid, value.c_str()));
  if (!ext) {
    throw std::runtime_error(std::string("cannot build extension ") + OBJ_nid2sn(nid) + " = " +
                             value + ": " + openssl_error());
  }
  return ext;
}

// A copy of an AlgorithmIdentifier's parameters as X509_ALGOR_set0 takes them.
void* copy_algorithm_parameter(int type, const void* value) {
  switch (type) {
    case V_ASN1_UNDEF:
    case V_ASN1_NULL:
      return nullptr;
    case V_ASN1_OBJECT:  // a named curve
      return OBJ_dup(static_cast<const ASN1_OBJECT*>(value));
    default:  // V_ASN1_SEQUENCE (RSA-PSS, explicit curve parameters) and other strings
      return ASN1_STRING_dup(static_cast<const ASN1_STRING*>(value));
  }
}

void copy_public_key_info(X509* cert, const X509_ALGOR* algor, const ASN1_BIT_STRING* key) {
  const ASN1_OBJECT* algorithm = nullptr;
  int param_type = V_ASN1_UNDEF;
  const void* param = nullptr;
  X509_ALGOR_get0(&algorithm, &param_type, &param, algor);
  const unsigned char* bits = ASN1_STRING_get0_data(key);
  const int bits_len = ASN1_STRING_length(key);
  if (algorithm == nullptr || bits == nullptr) {
    throw std::runtime_error("cannot read the request's public key");
  }
  Asn1ObjectPtr algorithm_copy(OBJ_dup(algorithm));
  void* param_copy = copy_algorithm_parameter(param_type, param);
  // Owned here until X509_PUBKEY_set0_param takes them: an OBJECT or a STRING parameter.
  Asn1ObjectPtr param_object(param_type == V_ASN1_OBJECT ? static_cast<ASN1_OBJECT*>(param_copy)
                                                         : nullptr);
  Asn1StringPtr param_string(param_type == V_ASN1_OBJECT ? nullptr
                                                         : static_cast<ASN1_STRING*>(param_copy));
  OpenSslBytesPtr bits_copy(
      static_cast<unsigned char*>(OPENSSL_memdup(bits, static_cast<size_t>(bits_len))));
  const bool param_ok =
      param_copy != nullptr || param_type == V_ASN1_UNDEF || param_type == V_ASN1_NULL;
  if (!algorithm_copy || !param_ok || !bits_copy ||
      X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(cert), algorithm_copy.get(), param_type,
                             param_copy, bits_copy.get(), bits_len) != 1) {
    throw std::runtime_error("cannot set public key: " + openssl_error());
  }
  // Owned by the certificate now.
  (void)algorithm_copy.release();
  (void)param_object.release();
  (void)param_string.release();
  (void)bits_copy.release();
}

}  // namespace

std::vector<X509ExtensionPtr> build_extensions(const std::vector<std::pair<int, std::string>>& list,
                                               const X509* issuer) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, const_cast<X509*>(issuer), nullptr, nullptr, nullptr, 0);
  ConfPtr conf(NCONF_new(nullptr));
  X509V3_set_nconf(&ctx, conf.get());
  std::vector<X509ExtensionPtr> out;
  for (const auto& [nid, value] : list) {
    out.push_back(make_extension(conf.get(), &ctx, nid, value));
  }
  return out;
}

X509Ptr build_certificate(const CertSpec& spec) {
  X509Ptr cert(X509_new());
  if (!cert) {
    throw std::runtime_error("X509_new failed");
  }
  X509_set_version(cert.get(), X509_VERSION_3);
  BignumPtr bn(BN_bin2bn(spec.serial.data(), static_cast<int>(spec.serial.size()), nullptr));
  Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  X509_set_serialNumber(cert.get(), serial.get());
  X509_set_subject_name(cert.get(), spec.subject);
  X509_set_issuer_name(cert.get(), spec.issuer ? X509_get_subject_name(spec.issuer) : spec.subject);
  Asn1TimePtr nb = make_x509_time(spec.not_before);
  Asn1TimePtr na = make_x509_time(spec.not_after);
  X509_set1_notBefore(cert.get(), nb.get());
  X509_set1_notAfter(cert.get(), na.get());
  if (spec.public_key_algorithm != nullptr && spec.public_key_bits != nullptr) {
    copy_public_key_info(cert.get(), spec.public_key_algorithm, spec.public_key_bits);
  } else if (X509_set_pubkey(cert.get(), spec.public_key) != 1) {
    throw std::runtime_error("cannot set public key: " + openssl_error());
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, spec.issuer ? const_cast<X509*>(spec.issuer) : cert.get(), cert.get(),
                 nullptr, nullptr, 0);
  // Some extensions (certificatePolicies) insist on a config database, even an empty one.
  ConfPtr conf(NCONF_new(nullptr));
  X509V3_set_nconf(&ctx, conf.get());
  for (const auto& [nid, value] : spec.extensions) {
    X509ExtensionPtr ext = make_extension(conf.get(), &ctx, nid, value);
    if (X509_add_ext(cert.get(), ext.get(), -1) != 1) {
      throw std::runtime_error(std::string("cannot add extension ") + OBJ_nid2sn(nid) + ": " +
                               openssl_error());
    }
  }
  for (X509_EXTENSION* ext : spec.extra_extensions) {
    if (X509_add_ext(cert.get(), ext, -1) != 1) {
      throw std::runtime_error("cannot copy extension: " + openssl_error());
    }
  }
  if (spec.signing_template != nullptr) {
    EvpMdCtxPtr sign_ctx = spec.signing_template->context();
    if (X509_sign_ctx(cert.get(), sign_ctx.get()) <= 0) {
      throw std::runtime_error("certificate signing failed: " + openssl_error());
    }
  } else if (X509_sign(cert.get(), spec.signing_key, signature_digest(spec.signing_key)) <= 0) {
    throw std::runtime_error("certificate signing failed: " + openssl_error());
  }
  return cert;
}

SigningTemplate::SigningTemplate(EVP_PKEY* key) : template_(EVP_MD_CTX_new()) {
  if (!template_ ||
      EVP_DigestSignInit(template_.get(), nullptr, signature_digest(key), nullptr, key) != 1) {
    throw std::runtime_error("signing context: " + openssl_error());
  }
}

EvpMdCtxPtr SigningTemplate::context() const {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_MD_CTX_copy_ex(ctx.get(), template_.get()) != 1) {
    throw std::runtime_error("signing context: " + openssl_error());
  }
  return ctx;
}

Bytes random_serial() {
  Bytes s(16);
  do {
    if (RAND_bytes(s.data(), static_cast<int>(s.size())) != 1) {
      throw std::runtime_error("CSPRNG failed: " + openssl_error());
    }
    s[0] &= 0x7f;
  } while (s[0] == 0);
  return s;
}

}  // namespace pkirepo::signer
