// `revoke --publish`: see revocation_publisher.h.
#include "signer/revocation_publisher.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "audit/audit_log.h"
#include "signer/ca_context.h"
#include "signer/cert_records.h"
#include "signer/crl_shards.h"
#include "signer/due.h"
#include "signer/ocsp_key_material.h"
#include "signer/ocsp_signing.h"
#include "signer/ocsp_tally.h"
#include "signer/ocsp_work.h"
#include "signer/worker_pool.h"
#include "x509/cert_info.h"

namespace pkirepo::signer {

struct RevocationPublisher::State {
  CaContext ca;
  std::optional<OcspKeyMaterial> material;
  EvpPkeyPtr ca_key;
};

RevocationPublisher::RevocationPublisher(Session& session, const std::string& ca_id)
    : session_(session), state_(std::make_unique<State>()) {
  std::optional<store::CaRecord> record;
  {
    store::ReadTxn txn = session.store().begin_read();
    record = store::get_ca(txn, ca_id);
  }
  if (!record) {
    throw std::runtime_error("--ca " + ca_id + ": unknown CA (not in the store)");
  }
  state_->ca = make_ca_context(session.config(), std::move(*record));
  if (state_->ca.config == nullptr || state_->ca.config->ocsp) {
    load_ocsp_material();
  }
  try {
    state_->ca_key = session.load_ca_key(state_->ca.record);
  } catch (const std::exception& e) {
    throw std::runtime_error("--publish: the CRL of CA " + ca_id +
                             " needs the CA key, which cannot be used: " + e.what() +
                             " (revoke without --publish and run later)");
  }
}

RevocationPublisher::~RevocationPublisher() = default;

void RevocationPublisher::load_ocsp_material() {
  std::vector<std::string> problems;
  state_->material = load_ocsp_signer(session_, state_->ca, false, nullptr, problems);
  if (!state_->material) {
    throw std::runtime_error("--publish: " +
                             (problems.empty() ? std::string("no OCSP signer") : problems.front()));
  }
}

RevocationPublisher::Outcome RevocationPublisher::publish(
    store::WriteTxn& txn, const std::vector<RevocationResult>& revocations) {
  const Config& cfg = session_.config();
  const UnixTime now = session_.now();
  const CaContext& ca = state_->ca;
  Outcome outcome;
  outcome.responses = publish_ocsp(txn, revocations);

  // The CRL shards: every revoked certificate of the CA in each affected shard, from the store
  // as this transaction sees it (with the new revocations; the revocation index overriding a
  // record that says good, as in a run). One walk of the CA's records serves every shard.
  std::map<int, std::vector<CrlEntry>> shards;
  for (const RevocationResult& r : revocations) {
    shards.try_emplace(entry_shard(ca, r.record.shard));
  }
  for_each_revoked(txn, ca.key_prefix, [&](ByteView key, const store::CertRecord& r) {
    auto shard = shards.find(entry_shard(ca, r.shard));
    if (shard == shards.end()) {
      return;
    }
    CrlEntry e = crl_entry(cfg, cert_key_serial(key), r);
    if (crl_keeps(e, now)) {
      shard->second.push_back(std::move(e));
    }
  });
  for (auto& [shard, entries] : shards) {
    Sha256Digest set_hash = crl_entry_set_hash(entries);
    CrlResult result = sign_crl_shard(session_, txn, ca, state_->ca_key.get(), shard,
                                      std::move(entries), set_hash);
    if (!result.stored) {
      throw std::runtime_error("--publish: CRL shard " + std::to_string(shard) + " of CA " +
                               ca.record.id + " refused: " + result.problem);
    }
    outcome.shards.push_back({shard, result.record.crl_number});
    outcome.this_update = result.record.this_update;
  }
  return outcome;
}

uint64_t RevocationPublisher::publish_ocsp(store::WriteTxn& txn,
                                           const std::vector<RevocationResult>& revocations) {
  const Config& cfg = session_.config();
  const UnixTime now = session_.now();
  std::vector<OcspWork> works;
  for (const RevocationResult& revocation : revocations) {
    if (!revocation.record.ocsp_url) {
      continue;
    }
    if (!state_->material) {
      load_ocsp_material();  // a CRL-only CA's certificate from before, with an OCSP URL
    }
    Bytes serial;
    if (!parse_serial_hex(revocation.serial_hex, serial)) {
      throw std::runtime_error("--serial " + revocation.serial_hex + ": not a hexadecimal serial");
    }
    // Every CertID hash, at once (CPS 4.9.7).
    for (CertIdHash h : ocsp_cert_id_hashes(cfg)) {
      OcspWork& w = works.emplace_back();
      w.key = state_->material->signer->store_key(h, serial);
      w.serial = serial;
      w.hash = h;
      w.status = ocsp_status(revocation.record);
      UnixTime prev = 0;
      if (auto v = txn.get(store::Db::ocsp, w.key)) {
        store::OcspView view;
        if (store::decode_view(*v, view)) {
          prev = view.this_update;
        }
      }
      const ResponseTimes times = response_times(cfg, now, prev, state_->material->not_after);
      w.this_update = times.this_update;
      w.next_update = times.next_update;
    }
  }
  if (works.empty()) {
    return 0;
  }
  OcspKeyMaterial& m = *state_->material;
  const store::OcspTail tail = m.tail();
  store::put_ocsp_tail(txn, tail);
  // Signed on every core when there are many (an incident's thousands); encoded by the worker
  // that signed, stored here in key order.
  const unsigned threads =
      works.size() < 64 ? 1u : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::unique_ptr<OcspSigningContext>> contexts;
  for (unsigned i = 0; i < threads; ++i) {
    contexts.push_back(std::make_unique<OcspSigningContext>(*m.signer));
  }
  auto sign = [&](unsigned worker, size_t i) {
    OcspWork& w = works[i];
    store::OcspRecord record;
    w.ok = contexts[worker]->sign(w.hash, w.serial, w.status, w.this_update, w.next_update, record,
                                  w.error);
    if (w.ok) {
      store::encode_into(record, &tail, w.value);
    }
  };
  if (threads == 1) {
    for (size_t i = 0; i < works.size(); ++i) {
      sign(0, i);
    }
  } else {
    WorkerPool pool(threads);
    pool.start(works.size(), sign);
    pool.wait();
  }
  OcspTally tally;
  for (OcspWork& w : works) {
    if (!w.ok) {
      throw std::runtime_error("--publish: OCSP signing failed: " + w.error);
    }
    txn.put(store::Db::ocsp, w.key, w.value);
    tally.add(w);
  }
  tally.seal();
  audit::append(txn, now, session_.operator_name(), "ocsp_responses_signed",
                tally.audit_details(state_->ca.record.id, serial_hex(m.cert.get()), false));
  return tally.count;
}

}  // namespace pkirepo::signer
