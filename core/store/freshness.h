// Which pre-signed status must be fresh: the one definition that `run`, `status` and the
// responder's /healthz and /metrics share, so they judge the same set of records.
//
// A certificate's OCSP responses must be fresh from issuance until its notAfter. After that
// OCSP is no longer required for it (BR 4.9.10; reference CPS 4.9.10): `run` stops re-signing,
// the last response runs out, and the first `run` after its nextUpdate removes the records, so
// the responder then answers as for an unknown certificate (unauthorized, RFC 9919 3.2.3).
// Until then the record is served as it is, but judged by nobody: the normal expiry of one
// certificate must never make the service look stale.
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

#include "store/lmdb.h"
#include "x509/bytes.h"
#include "x509/time.h"

namespace pkirepo::store {

// A certificate whose notAfter has passed at `now` (RFC 5280 4.1.2.5: valid through notAfter).
[[nodiscard]] constexpr bool certificate_expired(UnixTime not_after, UnixTime now) {
  return not_after < now;
}

// The expired certificates of a store, from its `by_expiry` index (O(expired certificates) to
// build), to tell which OCSP records no longer need to be fresh. Holds no view into `txn`.
class ExpiredCertificates {
 public:
  ExpiredCertificates(const Txn& txn, UnixTime now);
  // Whether the `ocsp` database key answers for an expired certificate. A key whose issuer the
  // store does not know is not covered (it is judged like any other record).
  [[nodiscard]] bool covers(ByteView ocsp_key) const;
  [[nodiscard]] size_t size() const { return expired_.size(); }

 private:
  struct Issuer {
    uint8_t hash = 0;    // CertIdHash
    Bytes key_hash;      // issuerKeyHash under that hash
    std::string key_id;  // SHA-1 of the issuer's key bits, as the `certs` keys begin
  };
  std::vector<Issuer> issuers_;
  std::unordered_set<std::string> expired_;  // key id ‖ serial
};

}  // namespace pkirepo::store
