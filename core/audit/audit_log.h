// The hash-chained audit log (reference CPS 5.4). Each record is one JSON object
//   {"seq":N,"time":"RFC 3339","operator":"...","event":"...","details":{...},"prev":"hex"}
// whose "hash" is the SHA-256 of that object serialized with sorted keys and no spaces, "prev"
// being the previous record's hash (64 zeros for the first). The head hash and the record
// count live in meta ("audit_head", "audit_count") and are written in the same transaction as
// the record, so deleting the newest record is detected too.
//
// Record times never go backwards (CPS 5.4, 6.8): append refuses a `now` earlier than the newest
// record's time, and verify reports a record older than its predecessor. So that append need
// not parse the newest record, meta "audit_head_time" caches its sequence number and time
// (u64 BE ‖ i64 BE); a missing or stale cache (another seq) falls back to reading the record.
//
// Fails closed: append throws, and the caller's transaction, which holds the
// change being audited, aborts with it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "store/lmdb.h"
#include "x509/time.h"

namespace pkirepo::audit {

// Appends one record in `txn`. Returns its sequence number. Throws std::runtime_error when
// `now` is earlier than the newest record's time (see check_clock) or that record is unreadable.
uint64_t append(store::WriteTxn& txn, UnixTime now, std::string_view operator_name,
                std::string_view event, const nlohmann::json& details);

// The newest record's sequence number and time; nullopt for an empty log. Throws when the
// newest record cannot be read.
struct HeadTime {
  uint64_t seq = 0;
  UnixTime time = 0;
};
[[nodiscard]] std::optional<HeadTime> head_time(const store::Txn& txn);

// Throws std::runtime_error, one line, when `now` is earlier than the newest record's time:
// "the clock (T) is behind audit record N (T0): refusing to write an audit record that goes
// back in time". A command that writes calls it before it does any work, so that a clock that
// stepped back refuses the command up front instead of failing at its first audit record.
void check_clock(const store::Txn& txn, UnixTime now);

struct VerifyResult {
  bool ok = true;
  uint64_t records = 0;    // records checked
  uint64_t first_bad = 0;  // sequence number of the first broken record (0 if none)
  std::string reason;      // one line
  std::string head_hex;    // head hash as recorded in meta
};
[[nodiscard]] VerifyResult verify(const store::Txn& txn);

// Head hash (hex) and count, as the publisher shows them (never the records).
struct Checkpoint {
  uint64_t count = 0;
  std::string head_hex;
};
[[nodiscard]] Checkpoint checkpoint(const store::Txn& txn);

// One JSON object per line, oldest first.
void export_jsonl(const store::Txn& txn, std::ostream& out);

}  // namespace pkirepo::audit
