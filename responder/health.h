// What /healthz and /metrics know about the store as a whole: how many pre-signed objects it
// holds and the earliest nextUpdate among them. Finding that needs a scan of the `ocsp` and
// `crls` databases, too slow for a request on a big store, so a background thread (main.cpp)
// rescans whenever a signer run committed (LMDB's last transaction id moved) and publishes a
// snapshot here; requests only read the snapshot.
//
// Thread-safety: publish() and snapshot() from any thread.
#pragma once

#include <cstdint>
#include <limits>
#include <mutex>
#include <string>

#include "store/lmdb.h"
#include "x509/time.h"

namespace pkirepo::responder {

struct HealthSnapshot {
  bool scanned = false;
  uint64_t txn_id = 0;  // the store's last committed transaction when scanned
  UnixTime scanned_at = 0;
  uint64_t ocsp_records = 0;
  uint64_t crl_records = 0;
  uint64_t malformed_records = 0;  // records that did not decode or lack their tail (served
                                   // as internalError)
  uint64_t expired_records = 0;    // OCSP records of expired certificates: served, not judged
  uint64_t past_next_update = 0;   // at scanned_at, among the records that must be fresh
  UnixTime earliest_next_update = std::numeric_limits<UnixTime>::max();  // max: none
  std::string earliest_what;  // "ocsp <hex key>" or "crl <ca>/<shard>"
};

// Scans `txn` (O(records)). `now` only fills scanned_at and past_next_update.
[[nodiscard]] HealthSnapshot scan_store(const store::Txn& txn, UnixTime now);

struct HealthVerdict {
  bool healthy = false;
  std::string reason;  // one line, for the 200/503 body
};
// Healthy when the store was scanned and the earliest nextUpdate is more than `margin`
// seconds away (RFC 9919 / BR 4.9.10: never serve a response past nextUpdate; catch a stalled cron
// first).
[[nodiscard]] HealthVerdict evaluate_health(const HealthSnapshot& s, UnixTime now, int64_t margin);

class HealthMonitor {
 public:
  void publish(HealthSnapshot s);
  [[nodiscard]] HealthSnapshot snapshot() const;

 private:
  mutable std::mutex mutex_;
  HealthSnapshot current_;
};

}  // namespace pkirepo::responder
