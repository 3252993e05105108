// The store's schema: key layouts and record encodings of every named database. Keys are fixed
// binary layouts so a lookup is one B-tree get; records are a small versioned binary encoding
// (schema.cpp's Writer/Reader), decoded without copying the DER they carry.
//
//  db         key                                                   value
//  meta       ASCII name                                            see meta keys below
//  cas        CA id (ASCII)                                         CaRecord
//  certs      issuer key id (SHA-1 of the CA's key bits, 20 B) ‖    CertRecord
//             serial magnitude (big-endian, no leading zeros)
//  by_expiry  notAfter (u64 BE) ‖ issuer key id (20 B) ‖ serial      empty
//  ocsp       CertID hash (1 B: 1 SHA-1, 2 SHA-256) ‖                OcspRecord (its DER
//             issuerNameHash ‖ issuerKeyHash ‖ serial magnitude       may end in a shared tail)
//  crls       CA id ‖ '/' ‖ shard (decimal ASCII)                    CrlRecord
//             CA id ‖ "/list.json"                                  CrlRecord whose `der` is the
//                                                                   CCADB JSON array of the CA's
//                                                                   CRL URLs (entries = count)
//  audit      sequence number (u64 BE, from 1)                       audit record JSON (audit/)
//  revocations  the certs key of a revoked certificate                RevocationRecord
//  blocked_keys SHA-256 of a SubjectPublicKeyInfo (32 B)              BlockedKey JSON
//               (store/blocked_keys.h)
//  by_spki, by_domain, cert_names: incident indexes (store/cert_index.h)
//
// meta keys and their values: store/meta_keys.h (the only place a meta key is named).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "x509/bytes.h"
#include "x509/ca_role.h"
#include "x509/cert_info.h"
#include "x509/crl_reason.h"
#include "x509/time.h"

namespace pkirepo::store {

inline constexpr uint32_t kSchemaVersion = 1;

enum class CertStatus : uint8_t { good = 0, revoked = 1 };

struct CaRecord {
  std::string id;
  CaRole role = CaRole::root;
  std::string parent;
  Bytes cert_der;
  std::string key_file;      // path of the encrypted key as configured
  Bytes responder_cert_der;  // current delegated OCSP responder certificate
  std::string responder_key_file;
  UnixTime created = 0;
};

struct CertRecord {
  std::string ca_id;
  CertStatus status = CertStatus::good;
  StatedReason reason;  // when revoked
  UnixTime revocation_time = 0;
  UnixTime invalidity_date = 0;  // 0: none
  UnixTime not_before = 0;
  UnixTime not_after = 0;
  UnixTime issued_at = 0;
  std::string profile;  // profile id, or "ca" for a CA certificate
  uint16_t shard = 0;   // CRL shard fixed at issuance
  // What the certificate itself carries, fixed at issuance (records of version 1 carry both):
  // an OCSP URL in its AIA, and a CRL distribution point. `run` signs OCSP responses only for
  // certificates with an OCSP URL; a short-lived certificate has neither.
  bool ocsp_url = true;
  bool crl_dp = true;
  Bytes der;
};

// The revocation index: one record per revoked certificate, written by `revoke` in the same
// transaction as the certificate's record and never deleted. `run` reads it before it signs
// "good": a certificate record that says good while its revocation record exists (store damage,
// a bug, a restore of an older record) is answered and listed as revoked, and reported.
struct RevocationRecord {
  UnixTime revocation_time = 0;
  StatedReason reason;
  UnixTime invalidity_date = 0;
};

// What `incident select` shows and filters on for a certificate, kept beside the indexes
// (cert_index.h) so a selection reads no DER: OpenSSL 3.0 spends ~150 us decoding a
// certificate's public key on every d2i_X509.
struct CertNames {
  Sha256Digest spki{};            // SHA-256 of the SubjectPublicKeyInfo DER
  std::string subject;            // name_to_string() of the subject
  std::vector<std::string> sans;  // policy::san_entries() ("DNS:www.example.com", ...)
};

struct OcspRecord {
  CertStatus status = CertStatus::good;
  UnixTime this_update = 0;
  UnixTime next_update = 0;
  std::string etag;  // quoted lowercase hex SHA-256 of `der` (RFC 9919 7.2)
  Bytes der;         // the complete OCSPResponse
};

// The bytes that every response of one delegated responder certificate ends with: that
// certificate's DER, the last element of BasicOCSPResponse.certs. It is about half of each
// response, so a record stores only the response's head and the tail's id, and the tail is
// stored once, in meta under meta::ocsp_tail(id). The id is XXH3-64 of the bytes: a tail never
// changes under its name, so readers may cache it.
struct OcspTail {
  uint64_t id = 0;  // 0: no tail
  ByteView bytes;
};
[[nodiscard]] OcspTail make_ocsp_tail(ByteView bytes);  // id never 0 for non-empty bytes

struct CrlRecord {
  uint64_t crl_number = 0;
  UnixTime this_update = 0;
  UnixTime next_update = 0;
  uint32_t entries = 0;
  std::string etag;
  Bytes der;
};

// Zero-copy view of an OcspRecord for the responder's hot path: `head` and `etag` point into
// the map and live as long as the transaction they came from. The response is `head` followed
// by the tail named `tail_id` (none when 0): see store::ocsp_der() and store::get_ocsp_tail().
struct OcspView {
  CertStatus status = CertStatus::good;
  UnixTime this_update = 0;
  UnixTime next_update = 0;
  std::string_view etag;
  ByteView head;
  uint64_t tail_id = 0;
};

// --- keys ---
[[nodiscard]] Bytes cert_key(const Sha1Digest& issuer_key_id, ByteView serial);
[[nodiscard]] Bytes expiry_key(UnixTime not_after, const Sha1Digest& issuer_key_id,
                               ByteView serial);
[[nodiscard]] Bytes ocsp_key(CertIdHash hash, ByteView issuer_name_hash, ByteView issuer_key_hash,
                             ByteView serial);
[[nodiscard]] Bytes crl_key(std::string_view ca_id, int shard);
[[nodiscard]] Bytes crl_list_key(std::string_view ca_id);  // "<ca>/list.json"
[[nodiscard]] Bytes audit_key(uint64_t seq);
[[nodiscard]] uint64_t audit_seq(ByteView key);

// --- records --- decode_* return false on a malformed or unknown-version record.
[[nodiscard]] Bytes encode(const CaRecord& r);
[[nodiscard]] Bytes encode(const CertRecord& r);
[[nodiscard]] Bytes encode(const OcspRecord& r);
// encode() into `out`, reusing its capacity (the signer's workers encode every response). When
// `tail` is given and `r.der` ends with its bytes, only the head is stored, with the tail's id;
// otherwise the whole DER.
void encode_into(const OcspRecord& r, const OcspTail* tail, Bytes& out);
[[nodiscard]] Bytes encode(const CrlRecord& r);
[[nodiscard]] Bytes encode(const RevocationRecord& r);
[[nodiscard]] Bytes encode(const CertNames& n);
[[nodiscard]] bool decode(ByteView data, CertNames& out);
[[nodiscard]] bool decode(ByteView data, CaRecord& out);
[[nodiscard]] bool decode(ByteView data, RevocationRecord& out);
[[nodiscard]] bool decode(ByteView data, CertRecord& out);
// The same without copying the certificate's DER (`der` left empty): for walks that read only
// the fields (a CRL shard's entries).
[[nodiscard]] bool decode_without_der(ByteView data, CertRecord& out);
[[nodiscard]] bool decode(ByteView data, CrlRecord& out);
[[nodiscard]] bool decode_view(ByteView data, OcspView& out);

// Big-endian integers for meta values and keys.
[[nodiscard]] Bytes be64(uint64_t v);
[[nodiscard]] uint64_t read_be64(ByteView v);

}  // namespace pkirepo::store
