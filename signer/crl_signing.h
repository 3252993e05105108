// Building, signing and checking CRLs (RFC 5280 5, BR 4.9.7 and 7.2). The CRL
// is built by OpenSSL's X509_CRL code:
//   - v2, issuer = the CA certificate's subject (byte for byte), thisUpdate/nextUpdate as
//     UTCTime through 2049 (RFC 5280 5.1.2.4);
//   - authorityKeyIdentifier and cRLNumber (non-critical); on a partitioned CRL a critical
//     issuingDistributionPoint naming the shard's own URL (the one in the certificates' CDP);
//     optionally Microsoft's Next CRL Publish (1.3.6.1.4.1.311.21.4);
//   - entries sorted by serial with revocationDate, reasonCode (left out for unspecified) and
//     invalidityDate when known; no entries: no revokedCertificates at all (RFC 5280 5.1.2.6).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/schema.h"
#include "x509/bytes.h"
#include "x509/openssl_ptr.h"
#include "x509/time.h"

namespace pkirepo::signer {

// Microsoft's cap on a CRL (root program 3.2.3): beyond it, shard.
inline constexpr size_t kMaxCrlBytes = 10 * 1024 * 1024;

struct CrlEntry {
  Bytes serial;  // magnitude, big-endian
  UnixTime revocation_time = 0;
  StatedReason reason;           // none: the extension is omitted
  UnixTime invalidity_date = 0;  // 0: none
  // The entry leaves the first CRL whose thisUpdate reaches this: the certificate's notAfter
  // plus its profile's crl_retention (cert_records.h crl_keep_until).
  UnixTime keep_until = 0;
};

struct CrlSpec {
  const X509* issuer = nullptr;  // the CA certificate (borrowed)
  EVP_PKEY* key = nullptr;       // the CA key (borrowed)
  uint64_t crl_number = 0;
  UnixTime this_update = 0;
  UnixTime next_update = 0;
  std::string idp_url;            // empty: a full CRL, no issuingDistributionPoint
  UnixTime next_publish = 0;      // 0: no Next CRL Publish extension
  std::vector<CrlEntry> entries;  // any order
};

// Throws std::runtime_error naming the step that failed.
[[nodiscard]] X509CrlPtr build_crl(const CrlSpec& spec);

// Whether an entry still belongs on a CRL whose thisUpdate is `this_update`.
[[nodiscard]] inline bool crl_keeps(const CrlEntry& e, UnixTime this_update) {
  return e.keep_until > this_update;
}

// SHA-256 over the entries' serial, revocation time, reason and invalidity date in serial
// order: when it changes, the revoked set changed and the CRL is due. Sorts `entries`.
[[nodiscard]] Sha256Digest crl_entry_set_hash(std::vector<CrlEntry>& entries);

// What the safety checks need to know about a serial the previous CRL listed: the
// certificate's notAfter, or nullopt when the store has no such certificate.
using NotAfterLookup = std::function<std::optional<UnixTime>(ByteView serial)>;

// The safety checks before a CRL replaces `previous` (the same CA and shard). Returns "" when
// the new CRL may be stored, else one line saying why not:
//   - it does not parse back, or its signature does not verify with the CA's key;
//   - its thisUpdate is not later than the previous one's, or its cRLNumber not higher;
//   - it exceeds kMaxCrlBytes;
//   - it drops a serial the previous CRL listed whose certificate has not expired.
[[nodiscard]] std::string check_crl_safety(const store::CrlRecord* previous,
                                           const store::CrlRecord& next, const X509* issuer,
                                           const std::vector<CrlEntry>& entries,
                                           const NotAfterLookup& not_after_of);

}  // namespace pkirepo::signer
