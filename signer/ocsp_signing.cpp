#include "signer/ocsp_signing.h"

#include <stdexcept>

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

OcspSigningContext::OcspSigningContext(const OcspResponseSigner& signer)
    : signer_(signer), template_(EVP_MD_CTX_new()), work_(EVP_MD_CTX_new()) {
  if (!template_ || !work_ ||
      EVP_DigestSignInit(template_.get(), nullptr, signer.digest(), nullptr, signer.key()) != 1) {
    throw std::runtime_error("OCSP signing context: " + openssl_error());
  }
}

bool OcspSigningContext::sign(CertIdHash hash, ByteView serial, const OcspStatus& status,
                              UnixTime this_update, UnixTime next_update, store::OcspRecord& out,
                              std::string& error) {
  auto fail = [&](const char* step) {
    error = std::string(step) + ": " + openssl_error();
    return false;
  };
  Asn1IntegerPtr serial_int(ASN1_INTEGER_new());
  if (!serial_int ||
      ASN1_STRING_set(serial_int.get(), serial.data(), static_cast<int>(serial.size())) != 1) {
    return fail("serial");
  }
  // RFC 6960 4.1.1 CertID: the issuer's name and key hashed with the request's algorithm.
  OcspCertIdPtr cert_id(OCSP_cert_id_new(cert_id_md(hash), signer_.issuer_name(),
                                         signer_.issuer_key(), serial_int.get()));
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
  if (EVP_MD_CTX_copy_ex(work_.get(), template_.get()) != 1) {
    return fail("signing context");
  }
  unsigned long flags = OCSP_RESPID_KEY | OCSP_NOTIME;
  if (!signer_.include_signer_cert()) {
    flags |= OCSP_NOCERTS;
  }
  if (OCSP_basic_sign_ctx(basic.get(), signer_.signer_cert(), work_.get(), nullptr, flags) != 1) {
    return fail("signature");
  }
  OcspResponsePtr response(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
  if (!response) {
    return fail("OCSPResponse");
  }
  out.der = to_der(response.get());
  if (out.der.empty()) {
    return fail("DER");
  }
  out.status = status.status;
  out.this_update = this_update;
  out.next_update = next_update;
  out.etag = ocsp_etag(out.der);
  return true;
}

std::string ocsp_etag(ByteView response_der) {
  return "\"" + to_hex(sha256(response_der)) + "\"";
}

}  // namespace pkirepo::signer
