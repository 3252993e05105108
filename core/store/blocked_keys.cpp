#include "store/blocked_keys.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace pkirepo::store {

namespace {

BlockedKey decode(ByteView v) {
  BlockedKey out;
  const auto j = nlohmann::json::parse(v.begin(), v.end(), nullptr, false);
  if (j.is_object()) {
    out.since = j.value("since", UnixTime{0});
    out.source = j.value("source", std::string());
    out.operator_name = j.value("operator", std::string());
  } else {
    out.source = "(unreadable record: the key stays blocked)";
  }
  return out;
}

}  // namespace

std::optional<BlockedKey> get_blocked_key(const Txn& txn, const Sha256Digest& spki) {
  auto v = txn.get(Db::blocked_keys, ByteView(spki.data(), spki.size()));
  if (!v) {
    return std::nullopt;
  }
  return decode(*v);
}

std::map<Sha256Digest, BlockedKey> all_blocked_keys(const Txn& txn) {
  std::map<Sha256Digest, BlockedKey> out;
  if (!txn.env().has(Db::blocked_keys)) {
    return out;
  }
  Cursor c(txn, Db::blocked_keys);
  for (bool ok = c.first(); ok; ok = c.next()) {
    const ByteView k = c.key();
    if (k.size() != sizeof(Sha256Digest)) {
      continue;
    }
    Sha256Digest d;
    std::copy(k.begin(), k.end(), d.begin());
    out.emplace(d, decode(c.value()));
  }
  return out;
}

bool block_key(WriteTxn& txn, const Sha256Digest& spki, const BlockedKey& why) {
  const ByteView key(spki.data(), spki.size());
  if (txn.get(Db::blocked_keys, key)) {
    return false;
  }
  const std::string text =
      nlohmann::json{{"since", why.since}, {"source", why.source}, {"operator", why.operator_name}}
          .dump();
  txn.put(Db::blocked_keys, key, as_bytes(text));
  return true;
}

std::string describe(const BlockedKey& key) {
  return "since " + rfc3339(key.since) + ": " + key.source;
}

}  // namespace pkirepo::store
