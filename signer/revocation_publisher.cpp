// `revoke --publish`: see revocation_publisher.h.
#include "signer/revocation_publisher.h"

#include <optional>
#include <stdexcept>
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

RevocationPublisher::Outcome RevocationPublisher::publish(store::WriteTxn& txn,
                                                          const RevocationResult& revocation) {
  const Config& cfg = session_.config();
  const UnixTime now = session_.now();
  const CaContext& ca = state_->ca;
  Outcome outcome;
  Bytes serial;
  if (!parse_serial_hex(revocation.serial_hex, serial)) {
    throw std::runtime_error("--serial " + revocation.serial_hex + ": not a hexadecimal serial");
  }
  const store::CertRecord& rec = revocation.record;

  if (rec.ocsp_url) {
    outcome.responses = publish_ocsp(txn, serial, rec);
  }

  // The CRL shard: every revoked certificate of the CA in that shard, from the store as this
  // transaction sees it (with the new revocation; the revocation index overriding a record that
  // says good, as in a run).
  const int shard = entry_shard(ca, rec.shard);
  std::vector<CrlEntry> entries;
  store::Cursor cursor(txn, store::Db::certs);
  for (bool ok = cursor.seek(ca.key_prefix); ok; ok = cursor.next()) {
    ByteView key = cursor.key();
    if (!is_ca_cert_key(key, ca.key_prefix)) {
      break;
    }
    store::CertRecord r;
    if (!store::decode(cursor.value(), r) || entry_shard(ca, r.shard) != shard) {
      continue;
    }
    if (r.status == store::CertStatus::good) {
      if (auto index = txn.get(store::Db::revocations, key)) {
        (void)apply_revocation_index(r, *index);
      }
    }
    if (r.status != store::CertStatus::revoked) {
      continue;
    }
    CrlEntry e = crl_entry(cfg, cert_key_serial(key), r);
    if (crl_keeps(e, now)) {
      entries.push_back(std::move(e));
    }
  }
  Sha256Digest set_hash = crl_entry_set_hash(entries);
  CrlResult result =
      sign_crl_shard(session_, txn, ca, state_->ca_key.get(), shard, std::move(entries), set_hash);
  if (!result.stored) {
    throw std::runtime_error("--publish: CRL shard " + std::to_string(shard) + " of CA " +
                             ca.record.id + " refused: " + result.problem);
  }
  outcome.shard = shard;
  outcome.crl_number = result.record.crl_number;
  outcome.this_update = result.record.this_update;
  return outcome;
}

uint64_t RevocationPublisher::publish_ocsp(store::WriteTxn& txn, ByteView serial,
                                           const store::CertRecord& rec) {
  const Config& cfg = session_.config();
  const UnixTime now = session_.now();
  if (!state_->material) {
    load_ocsp_material();  // a CRL-only CA's certificate from before, with an OCSP URL
  }
  OcspKeyMaterial& m = *state_->material;
  // OCSP: every CertID hash, at once (CPS 4.9.7).
  OcspSigningContext ctx(*m.signer);
  const store::OcspTail tail = m.tail();
  store::put_ocsp_tail(txn, tail);
  OcspTally tally;
  for (CertIdHash h : ocsp_cert_id_hashes(cfg)) {
    OcspWork w;
    w.key = m.signer->store_key(h, serial);
    w.serial.assign(serial.begin(), serial.end());
    w.hash = h;
    w.status = ocsp_status(rec);
    UnixTime prev = 0;
    if (auto v = txn.get(store::Db::ocsp, w.key)) {
      store::OcspView view;
      if (store::decode_view(*v, view)) {
        prev = view.this_update;
      }
    }
    const ResponseTimes times = response_times(cfg, now, prev, m.not_after);
    w.this_update = times.this_update;
    w.next_update = times.next_update;
    store::OcspRecord record;
    if (!ctx.sign(h, serial, w.status, w.this_update, w.next_update, record, w.error)) {
      throw std::runtime_error("--publish: OCSP signing failed: " + w.error);
    }
    store::encode_into(record, &tail, w.value);
    txn.put(store::Db::ocsp, w.key, w.value);
    tally.add(w);
  }
  tally.seal();
  audit::append(txn, now, session_.operator_name(), "ocsp_responses_signed",
                tally.audit_details(state_->ca.record.id, serial_hex(m.cert.get()), false));
  return tally.count;
}

}  // namespace pkirepo::signer
