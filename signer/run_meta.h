// What `run` keeps in the store's `meta` database between batches and between runs (the key
// names are in core/store/meta_keys.h): its JSON records, and the per-CA state that lets a no-op
// run skip a CA without reading any of its certificates. Reads and writes go through the caller's
// transaction; nothing here commits.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "signer/due.h"
#include "store/store.h"

namespace pkirepo::signer {

// The JSON object stored under `name`; nullopt when there is none or it is not a JSON object.
[[nodiscard]] std::optional<nlohmann::json> get_meta_json(const store::Txn& txn,
                                                          const std::string& name);
void put_meta_json(store::WriteTxn& txn, const std::string& name, const nlohmann::json& j);

// Everything in the config that changes what a run would sign. When it changes, every CA is
// walked again instead of trusting the stored "next due" times.
[[nodiscard]] std::string config_hash(const Config& cfg);

// Per-CA state kept in meta "run/ca/<ca>" for cheap no-op runs.
struct CaRunState {
  UnixTime due = kNever;
  UnixTime earliest_next_update = kNever;
  uint64_t fresh = 0;
  uint64_t crls = 0;
  std::string config;
};

[[nodiscard]] std::optional<CaRunState> read_ca_state(const store::Txn& txn,
                                                      const std::string& ca_id);
void write_ca_state(store::WriteTxn& txn, const std::string& ca_id, const CaRunState& state);

}  // namespace pkirepo::signer
