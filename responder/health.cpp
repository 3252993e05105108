#include "responder/health.h"

#include <map>

#include "store/freshness.h"
#include "store/schema.h"
#include "store/store.h"

namespace pkirepo::responder {

HealthSnapshot scan_store(const store::Txn& txn, UnixTime now) {
  HealthSnapshot s;
  s.scanned = true;
  s.scanned_at = now;
  s.txn_id = txn.id();  // the snapshot's: the newest commit it sees
  auto consider = [&](UnixTime next_update, auto&& describe) {
    if (next_update <= now) {
      ++s.past_next_update;
    }
    if (next_update < s.earliest_next_update) {
      s.earliest_next_update = next_update;
      s.earliest_what = describe();
    }
  };
  {
    // Records of expired certificates are served until they run out but judged by nobody
    // (store/freshness.h): the one definition `status` and `run` use too.
    const store::ExpiredCertificates expired(txn, now);
    std::map<uint64_t, bool> tail_present;  // a few tails, shared by all the records
    store::Cursor c(txn, store::Db::ocsp);
    for (bool ok = c.first(); ok; ok = c.next()) {
      store::OcspView v;
      if (!store::decode_view(c.value(), v)) {
        ++s.malformed_records;
        continue;
      }
      if (v.tail_id != 0) {
        auto [it, added] = tail_present.try_emplace(v.tail_id, false);
        if (added) {
          it->second = store::get_ocsp_tail(txn, v.tail_id).has_value();
        }
        if (!it->second) {
          ++s.malformed_records;  // answered internalError, like a record that does not decode
          continue;
        }
      }
      ++s.ocsp_records;
      if (expired.covers(c.key())) {
        ++s.expired_records;
        continue;
      }
      consider(v.next_update, [&] { return "ocsp " + to_hex(c.key()); });
    }
  }
  {
    store::Cursor c(txn, store::Db::crls);
    for (bool ok = c.first(); ok; ok = c.next()) {
      std::string_view key(reinterpret_cast<const char*>(c.key().data()), c.key().size());
      store::CrlRecord r;
      if (key.ends_with("/list.json") || !store::decode(c.value(), r)) {
        continue;  // the CCADB JSON list shares the database and has no nextUpdate
      }
      ++s.crl_records;
      consider(r.next_update, [&] {
        return "crl " + std::string(reinterpret_cast<const char*>(c.key().data()), c.key().size());
      });
    }
  }
  return s;
}

HealthVerdict evaluate_health(const HealthSnapshot& s, UnixTime now, int64_t margin) {
  if (!s.scanned) {
    return {false, "starting: the store has not been scanned yet"};
  }
  const std::string counts = std::to_string(s.ocsp_records) + " OCSP responses, " +
                             std::to_string(s.crl_records) + " CRLs";
  if (s.malformed_records != 0) {
    return {false, "store holds " + std::to_string(s.malformed_records) +
                       " OCSP records that do not decode (" + counts + ")"};
  }
  if (s.earliest_next_update == std::numeric_limits<UnixTime>::max()) {
    return {true, "ok: " + counts};
  }
  if (s.earliest_next_update <= now) {
    return {false, "stale: " + s.earliest_what + " passed its nextUpdate " +
                       rfc3339(s.earliest_next_update) +
                       " (is pkirepo-signer run's cron job "
                       "running?); " +
                       counts};
  }
  if (s.earliest_next_update - now <= margin) {
    return {false, "nextUpdate within the stale margin: " + s.earliest_what + " expires " +
                       rfc3339(s.earliest_next_update) +
                       " (is pkirepo-signer run's cron job "
                       "running?); " +
                       counts};
  }
  return {true, "ok: " + counts + "; earliest nextUpdate " + rfc3339(s.earliest_next_update)};
}

void HealthMonitor::publish(HealthSnapshot s) {
  std::lock_guard lock(mutex_);
  current_ = std::move(s);
}

HealthSnapshot HealthMonitor::snapshot() const {
  std::lock_guard lock(mutex_);
  return current_;
}

}  // namespace pkirepo::responder
