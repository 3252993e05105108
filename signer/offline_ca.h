// Offline CAs (`offline = true`): what the online signer may say about them without their key.
// An offline CA's CRL and its OCSP responses for the certificates it issued (CA certificates
// only: an offline CA issues no subscriber certificates, config.cpp) are signed at ceremonies
// (ceremony.cpp) and imported (import.cpp); `run` signs nothing for it and `status` watches the
// calendar. The rules (BR 4.9.7, 4.9.10; RULES.md "CRLs" and "OCSP"): a CA CRL and the
// responses for CA certificates are re-signed at least every 12 months, and within 24 hours of
// revoking a CA certificate.
//
// Pure reads of the store: usable from `run`, `status`, `ceremony` and `import` alike.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "signer/due.h"
#include "store/lmdb.h"
#include "store/schema.h"
#include "x509/bytes.h"
#include "x509/openssl_ptr.h"
#include "x509/time.h"

namespace pkirepo::signer {

// `status` warns this long before an offline CA's CRL or a response it signed runs out: a
// ceremony needs people, a room and the key's custodians, so a month's notice.
inline constexpr UnixTime kOfflineWarnAhead = 30 * 86400;
// BR 4.9.7 / 4.9.10: after revoking a CA certificate, its issuer's CRL and its OCSP response
// say so within 24 hours.
inline constexpr UnixTime kCaRevocationDeadline = 24 * 3600;
// BR 4.9.7: a CA CRL's nextUpdate is at most 12 months after its thisUpdate; responses for CA
// certificates are refreshed at least as often (BR 4.9.10). 12 months: 366 days at most.
inline constexpr UnixTime kOfflineMaxValidity = 366 * 86400;

// Whether the config marks `ca_id` offline (false for a CA no longer in the config).
[[nodiscard]] bool is_offline(const Config& cfg, std::string_view ca_id);

// One certificate an offline CA issued, as the store states it (the revocation index applied:
// a revocation is never undone).
struct IssuedCertificate {
  Bytes serial;
  store::CertRecord record;
};

// Every certificate the CA whose key id is `key_id` issued. Throws std::runtime_error on a
// malformed record: a ceremony or import must not silently leave one out.
[[nodiscard]] std::vector<IssuedCertificate> issued_certificates(const store::Txn& txn,
                                                                 const Sha1Digest& key_id);

// The record a new subordinate CA certificate `cert` of `parent` has once stored
// (ca_certificate.h record_ca_certificate): good, profile "ca".
[[nodiscard]] IssuedCertificate issued_ca_certificate(const X509* cert, const std::string& parent);

// Whether an offline CA must state the status of `c` on its CRL (revoked and kept until its
// retention ends) and in OCSP (not expired and carrying an OCSP URL) at `now`.
[[nodiscard]] bool on_crl(const Config& cfg, const IssuedCertificate& c, UnixTime now);
[[nodiscard]] bool needs_response(const IssuedCertificate& c, UnixTime now);

// The cRLNumber of a CRL; nullopt when it has none or it does not fit 64 bits.
[[nodiscard]] std::optional<uint64_t> crl_number_of(const X509_CRL* crl);

// The serials (magnitude, big-endian) a CRL lists.
[[nodiscard]] std::vector<Bytes> crl_serials(const X509_CRL* crl);

enum class OfflineSeverity { note, warning, error };

struct OfflineFinding {
  OfflineSeverity severity = OfflineSeverity::note;
  std::string message;  // one line, naming the CA
};

struct OfflineCaReport {
  std::vector<OfflineFinding> findings;
  UnixTime earliest_next_update = kNever;  // of its CRL and responses
  std::optional<store::CrlRecord> crl;
  uint64_t responses_fresh = 0;
  [[nodiscard]] size_t errors() const;
};

// The calendar of the offline CA `ca`: a note with its CRL's nextUpdate while everything is
// fresh; a warning kOfflineWarnAhead before its CRL or a response runs out; an error when one
// is missing or ran out, or when a certificate it issued was revoked and its CRL or response
// does not say so yet (with the 24-hour deadline).
[[nodiscard]] OfflineCaReport check_offline_ca(const store::Txn& txn, const Config& cfg,
                                               const store::CaRecord& ca, UnixTime now);

}  // namespace pkirepo::signer
