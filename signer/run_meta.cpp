// What `run` keeps in meta: see run_meta.h.
#include "signer/run_meta.h"

#include "store/meta_keys.h"
#include "x509/bytes.h"

namespace pkirepo::signer {
using json = nlohmann::json;

std::optional<json> get_meta_json(const store::Txn& txn, const std::string& name) {
  auto v = txn.get(store::Db::meta, as_bytes(name));
  if (!v) {
    return std::nullopt;
  }
  json j = json::parse(v->begin(), v->end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return std::nullopt;
  }
  return j;
}

void put_meta_json(store::WriteTxn& txn, const std::string& name, const json& j) {
  txn.put(store::Db::meta, as_bytes(name), as_bytes(j.dump()));
}

std::string config_hash(const Config& cfg) {
  json j = {{"ocsp_validity", cfg.ocsp.validity.seconds},
            {"ocsp_refresh", cfg.ocsp.refresh_after.seconds},
            {"hashes", cfg.ocsp.cert_id_hashes},
            {"signer", cfg.ocsp.signer == OcspSigner::ca ? "ca" : "responder"},
            {"responder_validity", cfg.ocsp.responder_validity.seconds},
            {"crl_validity", cfg.crl.validity.seconds},
            {"crl_refresh_before", cfg.crl.refresh_before.seconds},
            {"crl_root_validity", cfg.crl.root_validity.seconds},
            {"shards", cfg.crl.shards},
            {"next_crl_publish", cfg.crl.next_crl_publish},
            {"base_url", cfg.repository.base_url},
            {"ocsp_path", cfg.ocsp.path}};
  return to_hex(sha256(as_bytes(j.dump()))).substr(0, 32);
}

std::optional<CaRunState> read_ca_state(const store::Txn& txn, const std::string& ca_id) {
  auto j = get_meta_json(txn, store::meta::run_ca_state(ca_id));
  if (!j) {
    return std::nullopt;
  }
  CaRunState s;
  s.due = j->value("due", UnixTime{0});
  s.earliest_next_update = j->value("earliest_next_update", kNever);
  s.fresh = j->value("responses", uint64_t{0});
  s.crls = j->value("crls", uint64_t{0});
  s.config = j->value("config", std::string());
  return s;
}

void write_ca_state(store::WriteTxn& txn, const std::string& ca_id, const CaRunState& state) {
  put_meta_json(txn, store::meta::run_ca_state(ca_id),
                {{"due", state.due},
                 {"earliest_next_update", state.earliest_next_update},
                 {"responses", state.fresh},
                 {"crls", state.crls},
                 {"config", state.config}});
}

}  // namespace pkirepo::signer
