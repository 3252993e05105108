// A CA's CRL shards and signing one: see crl_shards.h.
#include "signer/crl_shards.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "audit/audit_log.h"
#include "signer/due.h"
#include "signer/run_meta.h"
#include "store/meta_keys.h"
#include "x509/cert_info.h"
#include "x509/der.h"
#include "x509/time.h"

namespace pkirepo::signer {

std::string crl_url_of(const Config& cfg, const CaContext& ca, int shard) {
  return ca.sharded ? cfg.crl_url(ca.record.id, shard) : cfg.crl_url(ca.record.id, -1);
}

Bytes crl_url_list(const Config& cfg, const CaContext& ca, int shards) {
  nlohmann::json urls = nlohmann::json::array();
  for (int s = 0; s < shards; ++s) {
    urls.push_back(crl_url_of(cfg, ca, s));
  }
  std::string text = urls.dump() + "\n";
  return Bytes(text.begin(), text.end());
}

CrlSuccessor next_crl(const store::Txn& txn, const std::string& ca_id, int shard, UnixTime now) {
  CrlSuccessor out;
  out.previous = store::get_crl(txn, ca_id, shard);
  uint64_t last = store::get_meta_u64(txn, store::meta::crl_number(ca_id, shard)).value_or(0);
  if (out.previous) {
    last = std::max(last, out.previous->crl_number);
  }
  out.crl_number = last + 1;
  out.this_update = out.previous ? std::max(now, out.previous->this_update + 1) : now;
  return out;
}

CrlResult sign_crl_shard(Session& session, store::WriteTxn& txn, const CaContext& ca,
                         EVP_PKEY* ca_key, int shard, std::vector<CrlEntry> entries,
                         const Sha256Digest& set_hash) {
  const Config& cfg = session.config();
  const std::string id = ca.record.id;
  CrlResult result;
  const CrlSuccessor next = next_crl(txn, id, shard, session.now());
  const std::optional<store::CrlRecord>& previous = next.previous;
  const std::string number_name = store::meta::crl_number(id, shard);
  CrlSpec spec;
  spec.issuer = ca.cert.get();
  spec.key = ca_key;
  spec.crl_number = next.crl_number;
  spec.this_update = next.this_update;
  spec.next_update = spec.this_update + ca.crl_validity;
  if (ca.sharded) {
    spec.idp_url = crl_url_of(cfg, ca, shard);
  }
  if (cfg.crl.next_crl_publish) {
    spec.next_publish = crl_refresh_point(cfg, spec.next_update);
  }
  spec.entries = std::move(entries);
  X509CrlPtr crl = build_crl(spec);
  result.record.crl_number = spec.crl_number;
  result.record.this_update = spec.this_update;
  result.record.next_update = spec.next_update;
  result.record.entries = static_cast<uint32_t>(spec.entries.size());
  result.record.der = to_der(crl.get());
  result.record.etag = "\"" + to_hex(sha256(result.record.der)) + "\"";
  result.problem =
      check_crl_safety(previous ? &*previous : nullptr, result.record, ca.cert.get(), spec.entries,
                       [&](ByteView serial) -> std::optional<UnixTime> {
                         auto rec = store::get_cert(txn, ca.key_id, serial);
                         return rec ? std::optional<UnixTime>(rec->not_after) : std::nullopt;
                       });
  if (!result.problem.empty()) {
    return result;
  }
  txn.put(store::Db::crls, store::crl_key(id, shard), store::encode(result.record));
  store::put_meta_u64(txn, number_name, spec.crl_number);
  txn.put(store::Db::meta, as_bytes(store::meta::crl_set(id, shard)), set_hash);
  std::string smin;
  std::string smax;
  for (const CrlEntry& e : spec.entries) {
    std::string s = to_hex(e.serial);
    if (smin.empty() || serial_less(s, smin)) {
      smin = s;
    }
    if (smax.empty() || serial_less(smax, s)) {
      smax = s;
    }
  }
  audit::append(txn, session.now(), session.operator_name(), "crl_signed",
                {{"ca", id},
                 {"shard", shard},
                 {"url", crl_url_of(cfg, ca, shard)},
                 {"crl_number", spec.crl_number},
                 {"this_update", rfc3339(spec.this_update)},
                 {"next_update", rfc3339(spec.next_update)},
                 {"entries", spec.entries.size()},
                 {"serial_min", smin},
                 {"serial_max", smax},
                 {"bytes", result.record.der.size()},
                 {"sha256", to_hex(sha256(result.record.der))}});
  result.stored = true;
  return result;
}

}  // namespace pkirepo::signer
