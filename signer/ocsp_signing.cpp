#include "signer/ocsp_signing.h"

#include <stdexcept>

#include "signer/ocsp_asn1.h"
#include "x509/der.h"
#include "x509/key.h"

namespace pkirepo::signer {

OcspResponseSigner::OcspResponseSigner(const X509* issuer, X509* signer_cert, EVP_PKEY* key,
                                       bool include_signer_cert)
    : issuer_(issuer),
      signer_cert_(signer_cert),
      key_(key),
      digest_(signature_digest(key)),
      include_signer_cert_(include_signer_cert) {
  if (X509_check_private_key(signer_cert, key) != 1) {
    (void)openssl_error();
    throw std::runtime_error("OCSP signer " + subject_string(signer_cert) +
                             ": the key does not match the certificate");
  }
  for (CertIdHash h : {CertIdHash::sha1, CertIdHash::sha256}) {
    name_hash_[static_cast<size_t>(h)] = issuer_name_hash(issuer, h);
    key_hash_[static_cast<size_t>(h)] = issuer_key_hash(issuer, h);
  }
}

const X509_NAME* OcspResponseSigner::issuer_name() const {
  return X509_get_subject_name(issuer_);
}

const ASN1_BIT_STRING* OcspResponseSigner::issuer_key() const {
  return X509_get0_pubkey_bitstr(issuer_);
}

Bytes OcspResponseSigner::store_key(CertIdHash h, ByteView serial) const {
  return store::ocsp_key(h, name_hash_[static_cast<size_t>(h)], key_hash_[static_cast<size_t>(h)],
                         serial);
}

struct OcspSigningContext::GoodTemplate {
  // A signed "good" response built by OpenSSL's OCSP code: its ResponseData is reused.
  OcspBasicRespPtr basic;
  // Inside `basic`, owned by it: the fields that change from one response to the next.
  ASN1_INTEGER* serial = nullptr;
  ASN1_GENERALIZEDTIME* this_update = nullptr;
  ASN1_GENERALIZEDTIME* next_update = nullptr;
  ASN1_GENERALIZEDTIME* produced_at = nullptr;
  UnixTime this_update_set = -1;  // the times last written into `basic` (a run shares them)
  UnixTime next_update_set = -1;
  // The layers around it (see ocsp_asn1.h): signatureAlgorithm and certs copied from `basic`.
  OcspBasicAsn1Ptr packed;
  OcspResponseAsn1Ptr response;
};

namespace {

// Builds one signed BasicOCSPResponse with OpenSSL's OCSP code: the general path, and the
// template for the fast one.
OcspBasicRespPtr build_basic(const OcspResponseSigner& signer, EVP_MD_CTX* sign_ctx,
                             CertIdHash hash, ByteView serial, const OcspStatus& status,
                             UnixTime this_update, UnixTime next_update, std::string& error) {
  auto fail = [&](const char* step) {
    error = std::string(step) + ": " + openssl_error();
    return OcspBasicRespPtr();
  };
  Asn1IntegerPtr serial_int(ASN1_INTEGER_new());
  if (!serial_int ||
      ASN1_STRING_set(serial_int.get(), serial.data(), static_cast<int>(serial.size())) != 1) {
    return fail("serial");
  }
  // RFC 6960 4.1.1 CertID: the issuer's name and key hashed with the request's algorithm.
  OcspCertIdPtr cert_id(OCSP_cert_id_new(cert_id_md(hash), signer.issuer_name(),
                                         signer.issuer_key(), serial_int.get()));
  if (!cert_id) {
    return fail("CertID");
  }
  Asn1GeneralizedTimePtr this_time = make_generalized_time(this_update);
  Asn1GeneralizedTimePtr next_time = make_generalized_time(next_update);
  Asn1GeneralizedTimePtr revocation_time;
  int cert_status = V_OCSP_CERTSTATUS_GOOD;
  int reason = OCSP_REVOKED_STATUS_NOSTATUS;
  if (status.status == store::CertStatus::revoked) {
    cert_status = V_OCSP_CERTSTATUS_REVOKED;
    revocation_time = make_generalized_time(status.revocation_time);
    // BR 7.3.2: the reason goes in RevokedInfo; "unspecified" is expressed by leaving it out.
    reason = status.reason < 0 ? OCSP_REVOKED_STATUS_NOSTATUS : status.reason;
  }
  OcspBasicRespPtr basic(OCSP_BASICRESP_new());
  if (!basic ||
      OCSP_basic_add1_status(basic.get(), cert_id.get(), cert_status, reason, revocation_time.get(),
                             this_time.get(), next_time.get()) == nullptr) {
    return fail("SingleResponse");
  }
  // producedAt is our `now`, not OpenSSL's clock (STYLE.md habit 5): set it ourselves and pass
  // OCSP_NOTIME. The getter is const only because OpenSSL has no setter; `basic` is ours.
  auto* produced_at = const_cast<ASN1_GENERALIZEDTIME*>(OCSP_resp_get0_produced_at(basic.get()));
  if (produced_at == nullptr ||
      ASN1_GENERALIZEDTIME_set(produced_at, static_cast<time_t>(this_update)) == nullptr) {
    return fail("producedAt");
  }
  unsigned long flags = OCSP_RESPID_KEY | OCSP_NOTIME;
  if (!signer.include_signer_cert()) {
    flags |= OCSP_NOCERTS;
  }
  if (OCSP_basic_sign_ctx(basic.get(), signer.signer_cert(), sign_ctx, nullptr, flags) != 1) {
    return fail("signature");
  }
  return basic;
}

bool response_der(OCSP_BASICRESP* basic, Bytes& der, std::string& error) {
  OcspResponsePtr response(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic));
  if (response) {
    der = to_der(response.get());
  }
  if (!response || der.empty()) {
    error = "OCSPResponse: " + openssl_error();
    return false;
  }
  return true;
}

}  // namespace

// Fills t.packed and t.response from t.basic: the signature algorithm and certs OpenSSL chose,
// an empty tbsResponseData and signature, status successful, type id-pkix-ocsp-basic.
bool OcspSigningContext::pack_template(GoodTemplate& t, bool include_signer_cert) {
  t.packed.reset(PKIREPO_OCSP_BASIC_new());
  t.response.reset(PKIREPO_OCSP_RESPONSE_new());
  OcspResponseBytesPtr bytes(PKIREPO_OCSP_BYTES_new());
  if (!t.packed || !t.response || !bytes) {
    return false;
  }
  PKIREPO_OCSP_BASIC& packed = *t.packed;
  ASN1_TYPE_set(packed.tbs_response_data, V_ASN1_SEQUENCE, ASN1_STRING_type_new(V_ASN1_SEQUENCE));
  X509_ALGOR_free(packed.signature_algorithm);
  packed.signature_algorithm = X509_ALGOR_dup(OCSP_resp_get0_tbs_sigalg(t.basic.get()));
  if (packed.tbs_response_data->value.sequence == nullptr ||
      packed.signature_algorithm == nullptr) {
    return false;
  }
  if (include_signer_cert) {
    const STACK_OF(X509)* certs = OCSP_resp_get0_certs(t.basic.get());
    packed.certs = X509_chain_up_ref(const_cast<STACK_OF(X509)*>(certs));
    if (packed.certs == nullptr) {
      return false;
    }
  }
  ASN1_OBJECT_free(bytes->response_type);
  bytes->response_type = OBJ_nid2obj(NID_id_pkix_OCSP_basic);
  if (ASN1_ENUMERATED_set(t.response->response_status, OCSP_RESPONSE_STATUS_SUCCESSFUL) != 1) {
    return false;
  }
  t.response->response_bytes = bytes.release();
  return true;
}

OcspSigningContext::OcspSigningContext(const OcspResponseSigner& signer)
    : signer_(signer), general_(signer.key()) {
  if (signer.digest() == nullptr) {
    return;  // Ed25519 hashes inside the signature: general path only
  }
  digest_.reset(EVP_MD_fetch(nullptr, EVP_MD_get0_name(signer.digest()), nullptr));
  sign_ctx_.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, signer.key(), nullptr));
  if (!digest_ || !sign_ctx_ || EVP_PKEY_sign_init(sign_ctx_.get()) != 1 ||
      EVP_PKEY_CTX_set_signature_md(sign_ctx_.get(), digest_.get()) != 1) {
    throw std::runtime_error("OCSP signing context: " + openssl_error());
  }
  const unsigned char one = 1;
  for (CertIdHash h : {CertIdHash::sha1, CertIdHash::sha256}) {
    auto t = std::make_unique<GoodTemplate>();
    std::string error;
    EvpMdCtxPtr sign_ctx = general_.context();
    if (!(t->basic = build_basic(signer, sign_ctx.get(), h, {&one, 1}, {}, 0, 1, error))) {
      throw std::runtime_error("OCSP signing context: " + error);
    }
    const OCSP_SINGLERESP* single = OCSP_resp_get0(t->basic.get(), 0);
    int reason = 0;
    ASN1_GENERALIZEDTIME* revoked_at = nullptr;
    // As for producedAt: OpenSSL offers these fields through const getters only.
    OCSP_id_get0_info(nullptr, nullptr, nullptr, &t->serial,
                      const_cast<OCSP_CERTID*>(OCSP_SINGLERESP_get0_id(single)));
    OCSP_single_get0_status(const_cast<OCSP_SINGLERESP*>(single), &reason, &revoked_at,
                            &t->this_update, &t->next_update);
    t->produced_at = const_cast<ASN1_GENERALIZEDTIME*>(OCSP_resp_get0_produced_at(t->basic.get()));
    if (t->serial == nullptr || t->this_update == nullptr || t->next_update == nullptr ||
        t->produced_at == nullptr || !pack_template(*t, signer.include_signer_cert())) {
      throw std::runtime_error("OCSP signing context: response template: " + openssl_error());
    }
    good_[static_cast<size_t>(h)] = std::move(t);
  }
}

OcspSigningContext::~OcspSigningContext() = default;

bool OcspSigningContext::sign(CertIdHash hash, ByteView serial, const OcspStatus& status,
                              UnixTime this_update, UnixTime next_update, store::OcspRecord& out,
                              std::string& error) {
  GoodTemplate* t = good_[static_cast<size_t>(hash)].get();
  const bool ok =
      status.status == store::CertStatus::good && t != nullptr
          ? sign_from_template(*t, serial, this_update, next_update, out.der, error)
          : sign_general(hash, serial, status, this_update, next_update, out.der, error);
  if (!ok) {
    return false;
  }
  out.status = status.status;
  out.this_update = this_update;
  out.next_update = next_update;
  out.etag = ocsp_etag(out.der);
  return true;
}

bool OcspSigningContext::sign_general(CertIdHash hash, ByteView serial, const OcspStatus& status,
                                      UnixTime this_update, UnixTime next_update, Bytes& der,
                                      std::string& error) {
  EvpMdCtxPtr sign_ctx;
  try {
    sign_ctx = general_.context();
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
  OcspBasicRespPtr basic =
      build_basic(signer_, sign_ctx.get(), hash, serial, status, this_update, next_update, error);
  return basic && response_der(basic.get(), der, error);
}

bool OcspSigningContext::sign_from_template(GoodTemplate& t, ByteView serial, UnixTime this_update,
                                            UnixTime next_update, Bytes& der, std::string& error) {
  auto fail = [&](const char* step) {
    error = std::string(step) + ": " + openssl_error();
    return false;
  };
  if (ASN1_STRING_set(t.serial, serial.data(), static_cast<int>(serial.size())) != 1) {
    return fail("serial");
  }
  if (t.this_update_set != this_update) {
    if (ASN1_GENERALIZEDTIME_set(t.this_update, static_cast<time_t>(this_update)) == nullptr ||
        ASN1_GENERALIZEDTIME_set(t.produced_at, static_cast<time_t>(this_update)) == nullptr) {
      t.this_update_set = -1;
      return fail("thisUpdate");
    }
    t.this_update_set = this_update;
  }
  if (t.next_update_set != next_update) {
    if (ASN1_GENERALIZEDTIME_set(t.next_update, static_cast<time_t>(next_update)) == nullptr) {
      t.next_update_set = -1;
      return fail("nextUpdate");
    }
    t.next_update_set = next_update;
  }
  // RFC 6960 4.2.1: the signature covers the DER of tbsResponseData (ResponseData), which is
  // encoded straight into the packed response.
  const OCSP_RESPDATA* data = OCSP_resp_get0_respdata(t.basic.get());
  ASN1_STRING* tbs = t.packed->tbs_response_data->value.sequence;
  const int len = i2d_OCSP_RESPDATA(data, nullptr);
  if (len <= 0 || ASN1_STRING_set(tbs, nullptr, len) != 1) {
    return fail("ResponseData");
  }
  unsigned char* p = tbs->data;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (i2d_OCSP_RESPDATA(data, &p) != len ||
      EVP_Digest(tbs->data, static_cast<size_t>(len), md, &md_len, digest_.get(), nullptr) != 1) {
    return fail("ResponseData digest");
  }
  unsigned char sig[1024];  // RSA-8192: 1,024 bytes; ECDSA P-521: < 140
  size_t sig_len = sizeof sig;
  ASN1_BIT_STRING* signature = t.packed->signature;
  if (EVP_PKEY_sign(sign_ctx_.get(), sig, &sig_len, md, md_len) != 1 ||
      ASN1_BIT_STRING_set(signature, sig, static_cast<int>(sig_len)) != 1) {
    return fail("signature");
  }
  // A signature is a whole number of bytes: say so, or the encoder drops trailing zero bytes.
  signature->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
  signature->flags |= ASN1_STRING_FLAG_BITS_LEFT;
  if (ASN1_item_pack(t.packed.get(), ASN1_ITEM_rptr(PKIREPO_OCSP_BASIC),
                     &t.response->response_bytes->response) == nullptr) {
    return fail("BasicOCSPResponse");
  }
  const int total = i2d_PKIREPO_OCSP_RESPONSE(t.response.get(), nullptr);
  if (total <= 0) {
    return fail("OCSPResponse");
  }
  der.resize(static_cast<size_t>(total));
  p = der.data();
  if (i2d_PKIREPO_OCSP_RESPONSE(t.response.get(), &p) != total) {
    return fail("OCSPResponse");
  }
  return true;
}

std::string ocsp_etag(ByteView response_der) {
  return "\"" + to_hex(sha256(response_der)) + "\"";
}

}  // namespace pkirepo::signer
