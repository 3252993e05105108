#include "signer/ocsp_signing.h"

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <stdexcept>
#include <utility>

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

namespace {

// Why layouts: encoding ResponseData and the layers around it through OpenSSL's ASN.1 template
// engine took ~3 µs of a response's ~24 µs (two passes each, an allocation per field), a seventh
// of the whole. A good response's encoding depends only on the lengths of what changes (the
// serial, the signature) and not on their values, so OpenSSL encodes each layout once, and
// later responses of that layout take its bytes with the values copied in at the offsets where
// OpenSSL put them. Those offsets are not computed from DER rules: each is found by having
// OpenSSL encode the same objects twice with one field changed in every byte (field_offset(),
// x509/der.h). Nothing here writes a tag or a length.
constexpr size_t kTimeDigits = 14;  // GeneralizedTime "YYYYMMDDHHMMSSZ" without the 'Z'

// Two times whose GeneralizedTime digits differ in the first and the last place.
constexpr UnixTime kLayoutTimeA = 2240614861;  // 20410101010101Z
constexpr UnixTime kLayoutTimeB = 945000732;   // 19991212121212Z

bool time_digits(UnixTime t, std::array<uint8_t, kTimeDigits>& out) {
  Asn1GeneralizedTimePtr g = make_generalized_time(t);
  if (!g || ASN1_STRING_length(g.get()) != static_cast<int>(kTimeDigits + 1) ||
      ASN1_STRING_get0_data(g.get())[kTimeDigits] != 'Z') {
    return false;
  }
  std::copy_n(ASN1_STRING_get0_data(g.get()), kTimeDigits, out.begin());
  return true;
}

}  // namespace

// ResponseData for one serial content length: the values sit at these offsets.
struct OcspSigningContext::TbsLayout {
  Bytes der;
  size_t serial_at = 0;  // INTEGER contents
  size_t produced_at = 0;
  size_t this_update_at = 0;
  size_t next_update_at = 0;
  size_t revocation_at = 0;  // revoked templates only
};

// OCSPResponse for one (ResponseData, signature) length pair.
struct OcspSigningContext::ResponseLayout {
  Bytes der;
  size_t tbs_at = 0;
  size_t signature_at = 0;  // BIT STRING contents after the unused-bits byte
};

struct OcspSigningContext::ResponseTemplate {
  // A signed response of one CertID hash and status (good, or revoked for one reason) built by
  // OpenSSL's OCSP code: its ResponseData is reused.
  OcspBasicRespPtr basic;
  // Inside `basic`, owned by it: the fields that change from one response to the next.
  ASN1_INTEGER* serial = nullptr;
  ASN1_GENERALIZEDTIME* this_update = nullptr;
  ASN1_GENERALIZEDTIME* next_update = nullptr;
  ASN1_GENERALIZEDTIME* produced_at = nullptr;
  ASN1_GENERALIZEDTIME* revoked_at = nullptr;  // revoked templates only
  UnixTime this_update_set = -1;  // the times in this_update_text/next_update_text (a run
  UnixTime next_update_set = -1;  // shares them, so their digits are made once)
  // The layers around it (see ocsp_asn1.h): signatureAlgorithm and certs copied from `basic`.
  OcspBasicAsn1Ptr packed;
  OcspResponseAsn1Ptr response;
  // OpenSSL's encodings of the objects above, one per layout (see "Why layouts" above).
  std::map<size_t, TbsLayout> tbs_layouts;  // by serial INTEGER content length
  std::map<std::pair<size_t, size_t>, ResponseLayout> response_layouts;  // by (tbs, sig) length
  Bytes tbs;                                            // this response's ResponseData, reused
  std::array<uint8_t, kTimeDigits> this_update_text{};  // GeneralizedTime contents, sans 'Z'
  std::array<uint8_t, kTimeDigits> next_update_text{};
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
    reason = reason_code(status.reason);
  }
  OcspBasicRespPtr basic(OCSP_BASICRESP_new());
  if (!basic ||
      OCSP_basic_add1_status(basic.get(), cert_id.get(), cert_status, reason, revocation_time.get(),
                             this_time.get(), next_time.get()) == nullptr) {
    return fail("SingleResponse");
  }
  // producedAt is our `now`, not OpenSSL's clock: set it ourselves and pass
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
bool OcspSigningContext::pack_template(ResponseTemplate& t, bool include_signer_cert) {
  t.packed.reset(PKIREPO_OCSP_BASIC_new());
  t.response.reset(PKIREPO_OCSP_RESPONSE_new());
  OcspResponseBytesPtr bytes(PKIREPO_OCSP_BYTES_new());
  if (!t.packed || !t.response || !bytes) {
    return false;
  }
  PKIREPO_OCSP_BASIC& packed = *t.packed;
  ASN1_TYPE_set(packed.tbs_response_data, V_ASN1_SEQUENCE, ASN1_STRING_type_new(V_ASN1_SEQUENCE));
  const X509AlgorPtr replaced_algorithm(packed.signature_algorithm);
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
  const Asn1ObjectPtr replaced_type(bytes->response_type);
  bytes->response_type = OBJ_nid2obj(NID_id_pkix_OCSP_basic);
  if (ASN1_ENUMERATED_set(t.response->response_status, OCSP_RESPONSE_STATUS_SUCCESSFUL) != 1) {
    return false;
  }
  t.response->response_bytes = bytes.release();
  return true;
}

OcspSigningContext::OcspSigningContext(const OcspResponseSigner& signer)
    : signer_(signer), general_(signer.key()), digest_ctx_(EVP_MD_CTX_new()) {
  if (!digest_ctx_) {
    throw std::runtime_error("OCSP signing context: " + openssl_error());
  }
  if (signer.digest() == nullptr) {
    return;  // Ed25519 hashes inside the signature: general path only
  }
  digest_.reset(EVP_MD_fetch(nullptr, EVP_MD_get0_name(signer.digest()), nullptr));
  sign_ctx_.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, signer.key(), nullptr));
  if (!digest_ || !sign_ctx_ || EVP_PKEY_sign_init(sign_ctx_.get()) != 1 ||
      EVP_PKEY_CTX_set_signature_md(sign_ctx_.get(), digest_.get()) != 1) {
    throw std::runtime_error("OCSP signing context: " + openssl_error());
  }
  for (CertIdHash h : {CertIdHash::sha1, CertIdHash::sha256}) {
    std::string error;
    if (!(good_[static_cast<size_t>(h)] = make_template(h, {}, error))) {
      throw std::runtime_error("OCSP signing context: response template: " + error);
    }
  }
}

std::unique_ptr<OcspSigningContext::ResponseTemplate> OcspSigningContext::make_template(
    CertIdHash hash, const OcspStatus& status, std::string& error) {
  auto t = std::make_unique<ResponseTemplate>();
  const unsigned char one = 1;
  if (!(t->basic = build_general(hash, {&one, 1}, status, 0, 1, error))) {
    return nullptr;
  }
  const OCSP_SINGLERESP* single = OCSP_resp_get0(t->basic.get(), 0);
  int reason = 0;
  // As for producedAt: OpenSSL offers these fields through const getters only.
  OCSP_id_get0_info(nullptr, nullptr, nullptr, &t->serial,
                    const_cast<OCSP_CERTID*>(OCSP_SINGLERESP_get0_id(single)));
  OCSP_single_get0_status(const_cast<OCSP_SINGLERESP*>(single), &reason, &t->revoked_at,
                          &t->this_update, &t->next_update);
  t->produced_at = const_cast<ASN1_GENERALIZEDTIME*>(OCSP_resp_get0_produced_at(t->basic.get()));
  const bool revoked = status.status == store::CertStatus::revoked;
  if (t->serial == nullptr || t->this_update == nullptr || t->next_update == nullptr ||
      t->produced_at == nullptr || (t->revoked_at != nullptr) != revoked ||
      !pack_template(*t, signer_.include_signer_cert())) {
    error = "response template: " + openssl_error();
    return nullptr;
  }
  return t;
}

OcspSigningContext::ResponseTemplate* OcspSigningContext::template_for(CertIdHash hash,
                                                                       const OcspStatus& status) {
  if (digest_ == nullptr) {
    return nullptr;  // general path only
  }
  if (status.status == store::CertStatus::good) {
    return good_[static_cast<size_t>(hash)].get();
  }
  if (status.status != store::CertStatus::revoked) {
    return nullptr;
  }
  // One per CertID hash and reason, made at first use: revocations are few and so are reasons.
  const auto key = std::make_pair(hash, status.reason);
  auto it = revoked_.find(key);
  if (it == revoked_.end()) {
    OcspStatus shape = status;
    shape.revocation_time = 0;
    std::string error;
    it = revoked_.emplace(key, make_template(hash, shape, error)).first;  // null: general path
  }
  return it->second.get();
}

OcspSigningContext::~OcspSigningContext() = default;

bool OcspSigningContext::sign(CertIdHash hash, ByteView serial, const OcspStatus& status,
                              UnixTime this_update, UnixTime next_update, store::OcspRecord& out,
                              std::string& error) {
  ResponseTemplate* t = template_for(hash, status);
  const bool ok =
      t != nullptr ? sign_from_template(*t, serial, status.revocation_time, this_update,
                                        next_update, out.der, error)
                   : sign_general(hash, serial, status, this_update, next_update, out.der, error);
  if (!ok) {
    return false;
  }
  out.status = status.status;
  out.this_update = this_update;
  out.next_update = next_update;
  ocsp_etag_into(out.der, out.etag);
  return true;
}

OcspBasicRespPtr OcspSigningContext::build_general(CertIdHash hash, ByteView serial,
                                                   const OcspStatus& status, UnixTime this_update,
                                                   UnixTime next_update, std::string& error) {
  EvpMdCtxPtr sign_ctx;
  try {
    sign_ctx = general_.context();
  } catch (const std::exception& e) {
    error = e.what();
    return nullptr;
  }
  return build_basic(signer_, sign_ctx.get(), hash, serial, status, this_update, next_update,
                     error);
}

bool OcspSigningContext::sign_general(CertIdHash hash, ByteView serial, const OcspStatus& status,
                                      UnixTime this_update, UnixTime next_update, Bytes& der,
                                      std::string& error) {
  OcspBasicRespPtr basic = build_general(hash, serial, status, this_update, next_update, error);
  return basic && response_der(basic.get(), der, error);
}

// OpenSSL's encoding of the template's ResponseData as it stands.
bool OcspSigningContext::encode_tbs(ResponseTemplate& t, Bytes& out) {
  const OCSP_RESPDATA* data = OCSP_resp_get0_respdata(t.basic.get());
  const int len = i2d_OCSP_RESPDATA(data, nullptr);
  if (len <= 0) {
    return false;
  }
  out.resize(static_cast<size_t>(len));
  unsigned char* p = out.data();
  return i2d_OCSP_RESPDATA(data, &p) == len;
}

// OpenSSL's encoding of the OCSPResponse around `tbs` and `signature`.
bool OcspSigningContext::encode_response(ResponseTemplate& t, ByteView tbs, ByteView signature,
                                         Bytes& der) {
  ASN1_STRING* tbs_string = t.packed->tbs_response_data->value.sequence;
  ASN1_BIT_STRING* sig = t.packed->signature;
  if (ASN1_STRING_set(tbs_string, tbs.data(), static_cast<int>(tbs.size())) != 1 ||
      ASN1_BIT_STRING_set(sig, const_cast<unsigned char*>(signature.data()),
                          static_cast<int>(signature.size())) != 1) {
    return false;
  }
  // A signature is a whole number of bytes: say so, or the encoder drops trailing zero bytes.
  sig->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
  sig->flags |= ASN1_STRING_FLAG_BITS_LEFT;
  if (ASN1_item_pack(t.packed.get(), ASN1_ITEM_rptr(PKIREPO_OCSP_BASIC),
                     &t.response->response_bytes->response) == nullptr) {
    return false;
  }
  const int total = i2d_PKIREPO_OCSP_RESPONSE(t.response.get(), nullptr);
  if (total <= 0) {
    return false;
  }
  der.resize(static_cast<size_t>(total));
  unsigned char* p = der.data();
  return i2d_PKIREPO_OCSP_RESPONSE(t.response.get(), &p) == total;
}

// Sets the template's serial (big-endian magnitude) and times, and encodes its ResponseData.
bool OcspSigningContext::encode_tbs_with(ResponseTemplate& t, ByteView serial,
                                         UnixTime revocation_time, UnixTime produced_at,
                                         UnixTime this_update, UnixTime next_update, Bytes& out) {
  return ASN1_STRING_set(t.serial, serial.data(), static_cast<int>(serial.size())) == 1 &&
         (t.revoked_at == nullptr ||
          ASN1_GENERALIZEDTIME_set(t.revoked_at, static_cast<time_t>(revocation_time)) !=
              nullptr) &&
         ASN1_GENERALIZEDTIME_set(t.produced_at, static_cast<time_t>(produced_at)) != nullptr &&
         ASN1_GENERALIZEDTIME_set(t.this_update, static_cast<time_t>(this_update)) != nullptr &&
         ASN1_GENERALIZEDTIME_set(t.next_update, static_cast<time_t>(next_update)) != nullptr &&
         encode_tbs(t, out);
}

// The ResponseData layout for serial contents of `serial_len` bytes, found as the header of this
// file says: one encoding, then one more per field with that field changed in every byte.
const OcspSigningContext::TbsLayout* OcspSigningContext::tbs_layout(ResponseTemplate& t,
                                                                    size_t serial_len) {
  if (auto it = t.tbs_layouts.find(serial_len); it != t.tbs_layouts.end()) {
    return &it->second;
  }
  const Bytes fill_a(serial_len, 0x11);  // high bit clear: the contents are the magnitude
  const Bytes fill_b(serial_len, 0x22);
  const UnixTime a = kLayoutTimeA;
  const UnixTime b = kLayoutTimeB;
  TbsLayout layout;
  Bytes other;
  if (!encode_tbs_with(t, fill_a, a, a, a, a, layout.der)) {
    return nullptr;
  }
  std::optional<size_t> at[5];
  if (encode_tbs_with(t, fill_b, a, a, a, a, other)) {
    at[0] = field_offset(layout.der, other, serial_len);
  }
  if (encode_tbs_with(t, fill_a, a, b, a, a, other)) {
    at[1] = field_offset(layout.der, other, kTimeDigits);
  }
  if (encode_tbs_with(t, fill_a, a, a, b, a, other)) {
    at[2] = field_offset(layout.der, other, kTimeDigits);
  }
  if (encode_tbs_with(t, fill_a, a, a, a, b, other)) {
    at[3] = field_offset(layout.der, other, kTimeDigits);
  }
  if (t.revoked_at == nullptr) {
    at[4] = 0;
  } else if (encode_tbs_with(t, fill_a, b, a, a, a, other)) {
    at[4] = field_offset(layout.der, other, kTimeDigits);
  }
  if (!at[0] || !at[1] || !at[2] || !at[3] || !at[4]) {
    return nullptr;
  }
  layout.serial_at = *at[0];
  layout.produced_at = *at[1];
  layout.this_update_at = *at[2];
  layout.next_update_at = *at[3];
  layout.revocation_at = *at[4];
  return &t.tbs_layouts.emplace(serial_len, std::move(layout)).first->second;
}

bool OcspSigningContext::sign_from_template(ResponseTemplate& t, ByteView serial,
                                            UnixTime revocation_time, UnixTime this_update,
                                            UnixTime next_update, Bytes& der, std::string& error) {
  auto fail = [&](const char* step) {
    error = std::string(step) + ": " + openssl_error();
    return false;
  };
  // The serial's INTEGER contents as OpenSSL writes them (a leading 00 when the high bit is set).
  if (ASN1_STRING_set(t.serial, serial.data(), static_cast<int>(serial.size())) != 1) {
    return fail("serial");
  }
  unsigned char serial_der[64];
  const int serial_der_len = i2d_ASN1_INTEGER(t.serial, nullptr);
  if (serial_der_len < 3 || serial_der_len > static_cast<int>(sizeof serial_der)) {
    return fail("serial");
  }
  unsigned char* p = serial_der;
  (void)i2d_ASN1_INTEGER(t.serial, &p);
  // Short form: the contents follow the tag and the one length byte (serials are <= 21 bytes).
  const auto serial_len = static_cast<size_t>(serial_der[1]);
  if (serial_der[1] >= 0x80 || serial_len + 2 != static_cast<size_t>(serial_der_len)) {
    return fail("serial");
  }
  if (t.this_update_set != this_update || t.next_update_set != next_update) {
    t.this_update_set = -1;
    if (!time_digits(this_update, t.this_update_text) ||
        !time_digits(next_update, t.next_update_text)) {
      return fail("thisUpdate/nextUpdate");
    }
    t.this_update_set = this_update;
    t.next_update_set = next_update;
  }
  // RFC 6960 4.2.1: the signature covers the DER of tbsResponseData (ResponseData).
  if (const TbsLayout* tl = tbs_layout(t, serial_len)) {
    t.tbs = tl->der;
    auto at = [&](size_t offset) { return t.tbs.begin() + static_cast<std::ptrdiff_t>(offset); };
    std::copy_n(serial_der + 2, serial_len, at(tl->serial_at));
    std::copy(t.this_update_text.begin(), t.this_update_text.end(), at(tl->produced_at));
    std::copy(t.this_update_text.begin(), t.this_update_text.end(), at(tl->this_update_at));
    std::copy(t.next_update_text.begin(), t.next_update_text.end(), at(tl->next_update_at));
    if (t.revoked_at != nullptr) {
      std::array<uint8_t, kTimeDigits> revoked_text{};
      if (!time_digits(revocation_time, revoked_text)) {
        return fail("revocationTime");
      }
      std::copy(revoked_text.begin(), revoked_text.end(), at(tl->revocation_at));
    }
  } else if (!encode_tbs_with(t, serial, revocation_time, this_update, this_update, next_update,
                              t.tbs)) {
    return fail("ResponseData");  // (no layout: OpenSSL's own encoding, as before layouts)
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (EVP_DigestInit_ex2(digest_ctx_.get(), digest_.get(), nullptr) != 1 ||
      EVP_DigestUpdate(digest_ctx_.get(), t.tbs.data(), t.tbs.size()) != 1 ||
      EVP_DigestFinal_ex(digest_ctx_.get(), md, &md_len) != 1) {
    return fail("ResponseData digest");
  }
  unsigned char sig[1024];  // RSA-8192: 1,024 bytes; ECDSA P-521: < 140
  size_t sig_len = sizeof sig;
  if (EVP_PKEY_sign(sign_ctx_.get(), sig, &sig_len, md, md_len) != 1) {
    return fail("signature");
  }
  const ByteView signature(sig, sig_len);
  const auto key = std::make_pair(t.tbs.size(), sig_len);
  if (auto it = t.response_layouts.find(key); it != t.response_layouts.end()) {
    const ResponseLayout& rl = it->second;
    der = rl.der;
    std::copy(t.tbs.begin(), t.tbs.end(), der.begin() + static_cast<std::ptrdiff_t>(rl.tbs_at));
    std::copy_n(sig, sig_len, der.begin() + static_cast<std::ptrdiff_t>(rl.signature_at));
    return true;
  }
  // A new layout: this response is OpenSSL's own encoding; two more find the offsets.
  if (!encode_response(t, t.tbs, signature, der)) {
    return fail("OCSPResponse");
  }
  Bytes tbs_flipped = t.tbs;
  Bytes sig_flipped(sig, sig + sig_len);
  for (auto& b : tbs_flipped) {
    b = static_cast<uint8_t>(~b);
  }
  for (auto& b : sig_flipped) {
    b = static_cast<uint8_t>(~b);
  }
  Bytes other;
  std::optional<size_t> tbs_at;
  std::optional<size_t> sig_at;
  if (encode_response(t, tbs_flipped, signature, other)) {
    tbs_at = field_offset(der, other, t.tbs.size());
  }
  if (encode_response(t, t.tbs, sig_flipped, other)) {
    sig_at = field_offset(der, other, sig_len);
  }
  if (tbs_at && sig_at) {
    t.response_layouts.emplace(key, ResponseLayout{der, *tbs_at, *sig_at});
  }  // else: every response of this layout takes the OpenSSL path above
  return true;
}

std::string ocsp_etag(ByteView response_der) {
  std::string etag;
  ocsp_etag_into(response_der, etag);
  return etag;
}

void ocsp_etag_into(ByteView response_der, std::string& etag) {
  const Sha256Digest digest = sha256(response_der);
  etag.resize(2 + 2 * digest.size());
  etag.front() = '"';
  to_hex_into(digest, etag.data() + 1);
  etag.back() = '"';
}

}  // namespace pkirepo::signer
