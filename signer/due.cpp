// The time rules of `run` and `status`: see due.h.
#include "signer/due.h"

namespace pkirepo::signer {

std::vector<CertIdHash> ocsp_cert_id_hashes(const Config& cfg) {
  std::vector<CertIdHash> out{CertIdHash::sha1};
  for (const auto& name : cfg.ocsp.cert_id_hashes) {
    auto h = cert_id_hash_from_name(name);
    if (h && std::find(out.begin(), out.end(), *h) == out.end()) {
      out.push_back(*h);
    }
  }
  return out;
}

bool crl_sharded(const Config& cfg, CaRole role) {
  return role == CaRole::issuing && cfg.crl.shards > 1;
}

int crl_shard_count(const Config& cfg, CaRole role, int max_shard) {
  return crl_sharded(cfg, role) ? std::max(cfg.crl.shards, max_shard + 1) : 1;
}

UnixTime crl_validity(const Config& cfg, CaRole role) {
  return role == CaRole::issuing ? cfg.crl.validity.seconds : cfg.crl.root_validity.seconds;
}

}  // namespace pkirepo::signer
