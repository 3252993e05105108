// Pre-signing OCSP responses (RFC 6960 4.2, RFC 9919 3.2, BR 7.3): one
// BasicOCSPResponse with one SingleResponse per certificate and CertID hash, built and signed by
// OpenSSL's OCSP code or copied into an encoding it made (never a hand-written tag or length):
//   - responderID byKey (SHA-1 of the signer's public key bits), producedAt = thisUpdate,
//   - certStatus good, or revoked with revocationTime and revocationReason (left out for
//     "unspecified"); no singleExtensions, no nonce (RFC 9919 3.2.1),
//   - thisUpdate and nextUpdate always, GeneralizedTime Zulu with whole seconds,
//   - the signer certificate in `certs` when a delegated responder signs.
//
// Ownership and threads: an OcspResponseSigner borrows the certificates and key it is built from
// (they must outlive it) and is shared read-only by every worker. Each worker thread owns one
// OcspSigningContext (its own EVP_MD_CTX): contexts are never shared between threads.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "signer/cert_builder.h"
#include "store/schema.h"
#include "x509/bytes.h"
#include "x509/cert_info.h"
#include "x509/openssl_ptr.h"
#include "x509/time.h"

namespace pkirepo::signer {

// What one response says about one certificate.
struct OcspStatus {
  store::CertStatus status = store::CertStatus::good;
  StatedReason reason;
  UnixTime revocation_time = 0;
};

class OcspResponseSigner {
 public:
  // `issuer`: the CA that issued the certificates (the CertID's issuer). `signer_cert`/`key`:
  // the delegated responder certificate and its key, or the CA's own certificate and key when
  // ocsp.signer = "ca" (`include_signer_cert` false then: the issuer is known to the client).
  // Throws std::runtime_error when the key does not match the certificate.
  OcspResponseSigner(const X509* issuer, X509* signer_cert, EVP_PKEY* key,
                     bool include_signer_cert);

  [[nodiscard]] const X509* issuer() const { return issuer_; }
  [[nodiscard]] X509* signer_cert() const { return signer_cert_; }
  [[nodiscard]] EVP_PKEY* key() const { return key_; }
  [[nodiscard]] const EVP_MD* digest() const { return digest_; }
  [[nodiscard]] bool include_signer_cert() const { return include_signer_cert_; }
  // The issuer's subject name and public key bits, as OCSP_cert_id_new wants them.
  [[nodiscard]] const X509_NAME* issuer_name() const;
  [[nodiscard]] const ASN1_BIT_STRING* issuer_key() const;
  // The store key of the response for `serial` under CertID hash `h`.
  [[nodiscard]] Bytes store_key(CertIdHash h, ByteView serial) const;

 private:
  const X509* issuer_;
  X509* signer_cert_;
  EVP_PKEY* key_;
  const EVP_MD* digest_;
  bool include_signer_cert_;
  Bytes name_hash_[3];  // by CertIdHash value
  Bytes key_hash_[3];
};

// One worker's signing state. Not thread-safe: one per thread.
//
// Why a template: building a fresh BasicOCSPResponse, hashing the issuer for its CertID and
// signing through EVP_DigestSign cost as much again as the signature itself. So each context
// keeps one signed response per CertID hash and status shape (good; revoked, per reason),
// built once by OpenSSL's OCSP code, and OpenSSL's encoding of it for each layout (serial
// length; ResponseData and signature length). For every certificate it copies the serial, the
// times and the signature into that encoding at the offsets where OpenSSL put them, hashes
// tbsResponseData and signs the digest with a signing context initialised once -- the same
// work `openssl speed` measures. The result is byte for byte what OCSP_basic_sign makes
// (tests/signer/ocsp_signing_test.cpp). Keys without a separate digest (Ed25519) take the
// general path through OCSP_basic_sign_ctx.
class OcspSigningContext {
 public:
  explicit OcspSigningContext(const OcspResponseSigner& signer);
  ~OcspSigningContext();
  OcspSigningContext(const OcspSigningContext&) = delete;
  OcspSigningContext& operator=(const OcspSigningContext&) = delete;

  // Builds and signs the OCSPResponse for `serial` and fills `out` (status, times, ETag, DER).
  // Returns false with a one-line `error` when OpenSSL fails; `out` is then unspecified.
  [[nodiscard]] bool sign(CertIdHash hash, ByteView serial, const OcspStatus& status,
                          UnixTime this_update, UnixTime next_update, store::OcspRecord& out,
                          std::string& error);

 private:
  struct ResponseTemplate;
  struct TbsLayout;
  struct ResponseLayout;

  // One BasicOCSPResponse signed by OpenSSL's OCSP code on a copy of `general_`.
  [[nodiscard]] OcspBasicRespPtr build_general(CertIdHash hash, ByteView serial,
                                               const OcspStatus& status, UnixTime this_update,
                                               UnixTime next_update, std::string& error);
  [[nodiscard]] bool sign_general(CertIdHash hash, ByteView serial, const OcspStatus& status,
                                  UnixTime this_update, UnixTime next_update, Bytes& der,
                                  std::string& error);
  [[nodiscard]] std::unique_ptr<ResponseTemplate> make_template(CertIdHash hash,
                                                                const OcspStatus& status,
                                                                std::string& error);
  // The template for this hash and status shape, made at first use; null: general path.
  [[nodiscard]] ResponseTemplate* template_for(CertIdHash hash, const OcspStatus& status);
  [[nodiscard]] static bool pack_template(ResponseTemplate& t, bool include_signer_cert);
  [[nodiscard]] bool sign_from_template(ResponseTemplate& t, ByteView serial,
                                        UnixTime revocation_time, UnixTime this_update,
                                        UnixTime next_update, Bytes& der, std::string& error);
  [[nodiscard]] static bool encode_tbs(ResponseTemplate& t, Bytes& out);
  [[nodiscard]] static bool encode_tbs_with(ResponseTemplate& t, ByteView serial,
                                            UnixTime revocation_time, UnixTime produced_at,
                                            UnixTime this_update, UnixTime next_update, Bytes& out);
  [[nodiscard]] static bool encode_response(ResponseTemplate& t, ByteView tbs, ByteView signature,
                                            Bytes& der);
  [[nodiscard]] static const TbsLayout* tbs_layout(ResponseTemplate& t, size_t serial_len);

  const OcspResponseSigner& signer_;
  SigningTemplate general_;  // the general path's DigestSign context, copied per signature
  EvpPkeyCtxPtr sign_ctx_;   // fast path: EVP_PKEY_sign over a digest
  EvpMdPtr digest_;          // fetched once: implicit fetches take a lock per call
  EvpMdCtxPtr digest_ctx_;   // fast path: hashes ResponseData, reused
  std::unique_ptr<ResponseTemplate> good_[3];  // by CertIdHash value; empty: general path only
  std::map<std::pair<CertIdHash, StatedReason>, std::unique_ptr<ResponseTemplate>>
      revoked_;  // by reason
};

// RFC 9919 7.2 ETag: the quoted lowercase hex SHA-256 of the complete OCSPResponse.
[[nodiscard]] std::string ocsp_etag(ByteView response_der);
// The same into `etag`, reusing its buffer (the signer makes one per response).
void ocsp_etag_into(ByteView response_der, std::string& etag);

}  // namespace pkirepo::signer
