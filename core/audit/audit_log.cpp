#include "audit/audit_log.h"

#include <stdexcept>

#include "store/meta_keys.h"
#include "store/schema.h"
#include "x509/bytes.h"

namespace pkirepo::audit {
namespace {

const std::string kGenesis(64, '0');

std::string hash_of(const nlohmann::json& record_without_hash) {
  std::string canonical = record_without_hash.dump();
  return to_hex(sha256(as_bytes(canonical)));
}

// A record's "time", or nullopt when it has none that parses.
std::optional<UnixTime> record_time(const nlohmann::json& record) {
  auto it = record.find("time");
  if (it == record.end() || !it->is_string()) {
    return std::nullopt;
  }
  return parse_rfc3339(it->get<std::string>());
}

uint64_t stored_count(const store::Txn& txn) {
  auto c = txn.get(store::Db::meta, as_bytes(store::meta::kAuditCount));
  return c ? store::read_be64(*c) : 0;
}

// head_time() once the count is known.
std::optional<HeadTime> head_time_at(const store::Txn& txn, uint64_t count) {
  if (count == 0) {
    return std::nullopt;
  }
  if (auto cached = txn.get(store::Db::meta, as_bytes(store::meta::kAuditHeadTime));
      cached && cached->size() == 16) {
    if (store::read_be64(cached->subspan(0, 8)) == count) {
      return HeadTime{count, static_cast<UnixTime>(store::read_be64(cached->subspan(8, 8)))};
    }
  }
  // No cache (a store written before it existed) or a stale one: read the record itself.
  auto value = txn.get(store::Db::audit, store::audit_key(count));
  std::optional<UnixTime> t;
  if (value) {
    std::string text(reinterpret_cast<const char*>(value->data()), value->size());
    nlohmann::json record = nlohmann::json::parse(text, nullptr, false);
    if (!record.is_discarded() && record.is_object()) {
      t = record_time(record);
    }
  }
  if (!t) {
    throw std::runtime_error("audit record " + std::to_string(count) +
                             " (the newest) is missing or has no valid time; run "
                             "`pkirepo-signer audit verify`");
  }
  return HeadTime{count, *t};
}

void refuse_if_behind(const std::optional<HeadTime>& head, UnixTime now) {
  if (head && now < head->time) {
    throw std::runtime_error("the clock (" + rfc3339(now) + ") is behind audit record " +
                             std::to_string(head->seq) + " (" + rfc3339(head->time) +
                             "): refusing to write an audit record that goes back in time");
  }
}

}  // namespace

std::optional<HeadTime> head_time(const store::Txn& txn) {
  return head_time_at(txn, stored_count(txn));
}

void check_clock(const store::Txn& txn, UnixTime now) {
  refuse_if_behind(head_time(txn), now);
}

uint64_t append(store::WriteTxn& txn, UnixTime now, std::string_view operator_name,
                std::string_view event, const nlohmann::json& details) {
  const uint64_t count = stored_count(txn);
  refuse_if_behind(head_time_at(txn, count), now);
  std::string prev = kGenesis;
  if (auto h = txn.get(store::Db::meta, as_bytes(store::meta::kAuditHead))) {
    prev = to_hex(*h);
  }
  uint64_t seq = count + 1;
  nlohmann::json record = {{"seq", seq},
                           {"time", rfc3339(now)},
                           {"operator", std::string(operator_name)},
                           {"event", std::string(event)},
                           {"details", details},
                           {"prev", prev}};
  std::string hash = hash_of(record);
  record["hash"] = hash;
  std::string text = record.dump();
  txn.put(store::Db::audit, store::audit_key(seq), as_bytes(text));
  Bytes head;
  (void)from_hex(hash, head);
  txn.put(store::Db::meta, as_bytes(store::meta::kAuditHead), head);
  txn.put(store::Db::meta, as_bytes(store::meta::kAuditCount), store::be64(seq));
  Bytes head_time = store::be64(seq);
  const Bytes time_be = store::be64(static_cast<uint64_t>(now));
  head_time.insert(head_time.end(), time_be.begin(), time_be.end());
  txn.put(store::Db::meta, as_bytes(store::meta::kAuditHeadTime), head_time);
  return seq;
}

VerifyResult verify(const store::Txn& txn) {
  VerifyResult result;
  Checkpoint cp = checkpoint(txn);
  result.head_hex = cp.head_hex;
  std::string prev = kGenesis;
  uint64_t expected_seq = 1;
  UnixTime prev_time = 0;
  auto fail = [&](uint64_t seq, std::string why) {
    result.ok = false;
    result.first_bad = seq;
    result.reason = std::move(why);
    return result;
  };
  store::Cursor cur(txn, store::Db::audit);
  for (bool more = cur.first(); more; more = cur.next()) {
    uint64_t seq = store::audit_seq(cur.key());
    if (seq != expected_seq) {
      return fail(expected_seq, "record " + std::to_string(expected_seq) +
                                    " is missing (next present is " + std::to_string(seq) + ")");
    }
    std::string text(reinterpret_cast<const char*>(cur.value().data()), cur.value().size());
    nlohmann::json record = nlohmann::json::parse(text, nullptr, false);
    if (record.is_discarded() || !record.is_object() || !record.contains("hash") ||
        !record["hash"].is_string()) {
      return fail(seq, "record " + std::to_string(seq) + " is not a valid audit record");
    }
    std::string stored_hash = record["hash"];
    record.erase("hash");
    if (record.value("seq", uint64_t{0}) != seq) {
      return fail(seq, "record " + std::to_string(seq) + " carries another sequence number");
    }
    if (record.value("prev", std::string()) != prev) {
      return fail(seq, "record " + std::to_string(seq) + " does not chain to record " +
                           std::to_string(seq - 1));
    }
    if (hash_of(record) != stored_hash) {
      return fail(seq, "record " + std::to_string(seq) + " was modified (hash mismatch)");
    }
    const std::optional<UnixTime> time = record_time(record);
    if (!time) {
      return fail(seq, "record " + std::to_string(seq) + " has no valid time");
    }
    if (seq > 1 && *time < prev_time) {
      return fail(seq, "record " + std::to_string(seq) + " (" + rfc3339(*time) +
                           ") is earlier than record " + std::to_string(seq - 1) + " (" +
                           rfc3339(prev_time) + "): the audit log goes back in time");
    }
    prev = stored_hash;
    prev_time = *time;
    ++result.records;
    ++expected_seq;
  }
  if (result.records != cp.count) {
    return fail(result.records + 1, "the log ends at record " + std::to_string(result.records) +
                                        " but meta counts " + std::to_string(cp.count) +
                                        " (newest records deleted)");
  }
  if (cp.count > 0 && prev != cp.head_hex) {
    return fail(result.records, "the newest record's hash is not the recorded head");
  }
  return result;
}

Checkpoint checkpoint(const store::Txn& txn) {
  Checkpoint cp;
  if (auto c = txn.get(store::Db::meta, as_bytes(store::meta::kAuditCount))) {
    cp.count = store::read_be64(*c);
  }
  cp.head_hex = kGenesis;
  if (auto h = txn.get(store::Db::meta, as_bytes(store::meta::kAuditHead))) {
    cp.head_hex = to_hex(*h);
  }
  return cp;
}

void export_jsonl(const store::Txn& txn, std::ostream& out) {
  store::Cursor cur(txn, store::Db::audit);
  for (bool more = cur.first(); more; more = cur.next()) {
    out.write(reinterpret_cast<const char*>(cur.value().data()),
              static_cast<std::streamsize>(cur.value().size()));
    out << '\n';
  }
}

}  // namespace pkirepo::audit
