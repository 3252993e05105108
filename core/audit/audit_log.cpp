#include "audit/audit_log.h"

#include "store/schema.h"
#include "x509/bytes.h"

namespace pkirepo::audit {
namespace {

const std::string kGenesis(64, '0');

std::string hash_of(const nlohmann::json& record_without_hash) {
  std::string canonical = record_without_hash.dump();
  return to_hex(sha256(as_bytes(canonical)));
}

}  // namespace

uint64_t append(store::WriteTxn& txn, UnixTime now, std::string_view operator_name,
                std::string_view event, const nlohmann::json& details) {
  uint64_t count = 0;
  std::string prev = kGenesis;
  if (auto c = txn.get(store::Db::meta, as_bytes("audit_count"))) {
    count = store::read_be64(*c);
  }
  if (auto h = txn.get(store::Db::meta, as_bytes("audit_head"))) {
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
  txn.put(store::Db::meta, as_bytes("audit_head"), head);
  txn.put(store::Db::meta, as_bytes("audit_count"), store::be64(seq));
  return seq;
}

VerifyResult verify(const store::Txn& txn) {
  VerifyResult result;
  Checkpoint cp = checkpoint(txn);
  result.head_hex = cp.head_hex;
  std::string prev = kGenesis;
  uint64_t expected_seq = 1;
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
    prev = stored_hash;
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
  if (auto c = txn.get(store::Db::meta, as_bytes("audit_count"))) {
    cp.count = store::read_be64(*c);
  }
  cp.head_hex = kGenesis;
  if (auto h = txn.get(store::Db::meta, as_bytes("audit_head"))) {
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
