// What an attacker with write access to the store does to hide records: cut the audit log back
// to its first `keep` records and set audit_count, audit_head and audit_head_time to match, so
// that the chain alone still verifies. Header-only (signer and publisher tests).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "store/meta_keys.h"
#include "store/schema.h"
#include "store/store.h"
#include "x509/bytes.h"
#include "x509/time.h"

namespace pkirepo::test {

inline void truncate_audit_log(const std::filesystem::path& store_dir, uint64_t keep) {
  store::WriteStore st(store_dir);
  st.transact([&](store::WriteTxn& txn) {
    const uint64_t count =
        store::read_be64(*txn.get(store::Db::meta, as_bytes(store::meta::kAuditCount)));
    for (uint64_t seq = keep + 1; seq <= count; ++seq) {
      (void)txn.del(store::Db::audit, store::audit_key(seq));
    }
    auto value = txn.get(store::Db::audit, store::audit_key(keep));
    const nlohmann::json record = nlohmann::json::parse(
        std::string(reinterpret_cast<const char*>(value->data()), value->size()));
    Bytes head;
    (void)from_hex(record["hash"].get<std::string>(), head);
    txn.put(store::Db::meta, as_bytes(store::meta::kAuditHead), head);
    txn.put(store::Db::meta, as_bytes(store::meta::kAuditCount), store::be64(keep));
    Bytes head_time = store::be64(keep);
    const Bytes t =
        store::be64(static_cast<uint64_t>(*parse_rfc3339(record["time"].get<std::string>())));
    head_time.insert(head_time.end(), t.begin(), t.end());
    txn.put(store::Db::meta, as_bytes(store::meta::kAuditHeadTime), head_time);
  });
}

}  // namespace pkirepo::test
