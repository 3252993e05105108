// Everything a run does for one CA: see ca_run.h for the steps and run.h for the whole run.
// CaRun's OCSP pipeline (start_signing's worker function, commit's loop) is the pre-signing
// benchmark's hot path: no copies of the work items, one scratch record and one signing context
// per worker, and the per-response rules inline from due.h.
#include "signer/ca_run.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "audit/audit_log.h"
#include "signer/ca_lifecycle.h"
#include "signer/cert_records.h"
#include "signer/cert_scanner.h"
#include "signer/crl_shards.h"
#include "signer/due.h"
#include "signer/ocsp_key_material.h"
#include "signer/ocsp_signing.h"
#include "signer/ocsp_tally.h"
#include "signer/ocsp_work.h"
#include "signer/run_meta.h"
#include "signer/worker_pool.h"
#include "store/freshness.h"
#include "store/meta_keys.h"
#include "store/store.h"
#include "x509/cert_info.h"

namespace pkirepo::signer {
namespace {

class CaRun {
 public:
  CaRun(Session& session, const RunOptions& options, WorkerPool& pool, RunSummary& summary,
        CaContext ca)
      : session_(session),
        cfg_(session.config()),
        options_(options),
        pool_(pool),
        summary_(summary),
        ca_(std::move(ca)) {}

  void run() {
    const UnixTime now = session_.now();
    std::vector<std::string> problems;
    std::optional<std::string> unusable;
    {
      store::ReadTxn txn = session_.store().begin_read();
      unusable = ca_unusable_reason(txn, ca_.record.id, now);
    }
    // A CRL-only CA loads no OCSP signer unless a live certificate of its carries an OCSP URL
    // (issued before the CA turned CRL-only): those keep their OCSP until they expire.
    const bool sign_ocsp = needs_ocsp(now);
    // A dead CA gets no new responder certificate either: that would be issuance.
    std::optional<OcspKeyMaterial> material;
    if (sign_ocsp) {
      material = load_ocsp_signer(session_, ca_, !unusable, &summary_, problems);
    }
    UnixTime signer_not_after = material ? material->not_after : now;
    UnixTime due = kNever;
    if (material && material->delegated) {
      due = std::min(due, responder_rotation_point(cfg_, material->not_after));
    }

    // OCSP: scan, sign and commit in a pipeline.
    CertScanner scanner(session_.store(), cfg_, ca_, signer_not_after, ocsp_cert_id_hashes(cfg_),
                        now, options_.force, unusable.has_value(), sign_ocsp);
    std::vector<std::unique_ptr<OcspSigningContext>> contexts;
    if (material) {
      for (unsigned i = 0; i < pool_.size(); ++i) {
        contexts.push_back(std::make_unique<OcspSigningContext>(*material->signer));
      }
    }
    const store::OcspTail tail = material ? material->tail() : store::OcspTail{};
    uint64_t signed_here = 0;
    uint64_t failed_here = 0;
    std::vector<OcspWork> pending;
    std::vector<OcspWork> next;  // after the swap below: the batch last committed, to refill
    // Should a commit or a scan throw while the workers sign, they must stop before the
    // batches and signing contexts they use are destroyed: declared after them, so it runs
    // first.
    struct WaitForWorkers {
      WorkerPool& pool;
      ~WaitForWorkers() { pool.wait(); }
    } wait_for_workers{pool_};
    scanner.next_chunk(options_.batch_size, pending);
    start_signing(pending, contexts, tail);
    while (!pending.empty()) {
      scanner.next_chunk(options_.batch_size, next);  // overlaps signing
      pool_.wait();
      start_signing(next, contexts, tail);
      commit(pending, tail, signed_here, failed_here, due);  // overlaps signing of `next`
      std::swap(pending, next);
    }
    pool_.wait();
    if (failed_here > 0 && !material) {
      problems.push_back("CA " + ca_.record.id + ": " + std::to_string(failed_here) +
                         " OCSP responses are due and could not be signed");
    }
    if (unusable) {
      problems.push_back(*unusable + ": CA " + ca_.record.id + " signs no new \"good\" status (" +
                         std::to_string(scanner.withheld) + " certificates withheld)");
    }
    remove_responses(scanner.lapsed_removals,
                     "the certificates expired and their last "
                     "responses ran out");
    remove_responses(scanner.withheld_removals, unusable ? *unusable : std::string());
    for (const std::string& serial : scanner.unrevoked) {
      problems.push_back("CA " + ca_.record.id + ": serial " + serial +
                         " is revoked in the revocation index but its certificate record says "
                         "good (store damage?): it stays revoked on OCSP and the CRL; check "
                         "`pkirepo-signer audit` and restore the record");
    }
    if (scanner.malformed > 0) {
      problems.push_back("CA " + ca_.record.id + ": " + std::to_string(scanner.malformed) +
                         " malformed certificate records were skipped");
    }
    summary_.ocsp_signed += signed_here;
    summary_.ocsp_failed += failed_here;
    summary_.ocsp_not_due += scanner.fresh;
    summary_.ocsp_expired += scanner.expired;
    due = std::min(due, scanner.next_due);
    UnixTime earliest = std::min(scanner.earliest_next_update, earliest_signed_);

    // CRLs.
    const int shards = crl_shard_count(cfg_, ca_.record.role, scanner.max_shard);
    std::vector<std::vector<CrlEntry>> by_shard(static_cast<size_t>(shards));
    for (auto& [shard, entry] : scanner.revoked) {
      if (crl_keeps(entry, now)) {
        due = std::min(due, entry.keep_until);  // the first CRL after it is one entry shorter
        by_shard[static_cast<size_t>(entry_shard(ca_, shard))].push_back(std::move(entry));
      }
    }
    uint64_t crls_present = 0;
    EvpPkeyPtr ca_key;
    bool ca_key_failed = false;
    for (int s = 0; s < shards; ++s) {
      auto& entries = by_shard[static_cast<size_t>(s)];
      Sha256Digest set_hash = crl_entry_set_hash(entries);
      std::optional<store::CrlRecord> previous;
      bool same_set = false;
      {
        store::ReadTxn txn = session_.store().begin_read();
        previous = store::get_crl(txn, ca_.record.id, s);
        auto stored = txn.get(store::Db::meta, as_bytes(store::meta::crl_set(ca_.record.id, s)));
        same_set = stored && std::ranges::equal(*stored, set_hash);
      }
      // A shard that is due and could not be signed: the CA is due again at once, and its
      // current CRL, if any, still counts and still runs out.
      const auto not_signed = [&] {
        ++summary_.crl_failed;
        due = now;
        if (previous) {
          earliest = std::min(earliest, previous->next_update);
          ++crls_present;
        }
      };
      const UnixTime refresh_at = previous ? crl_refresh_point(cfg_, previous->next_update) : 0;
      if (previous && same_set && now < refresh_at && !options_.force) {
        ++summary_.crl_not_due;
        ++crls_present;
        due = std::min(due, refresh_at);
        earliest = std::min(earliest, previous->next_update);
        continue;
      }
      if (!ca_key && !ca_key_failed) {
        try {
          ca_key = session_.load_ca_key(ca_.record);
        } catch (const std::exception& e) {
          ca_key_failed = true;
          problems.push_back("CA " + ca_.record.id +
                             ": CRLs are due but the CA key cannot be used: " + e.what());
        }
      }
      if (!ca_key) {
        not_signed();
        continue;
      }
      CrlResult result;
      session_.store().transact([&](store::WriteTxn& txn) {
        result = sign_crl_shard(session_, txn, ca_, ca_key.get(), s, entries, set_hash);
      });
      if (!result.stored) {
        problems.push_back("CA " + ca_.record.id + ": CRL shard " + std::to_string(s) +
                           " refused: " + result.problem);
        not_signed();
        continue;
      }
      ++summary_.crl_signed;
      ++crls_present;
      due = std::min(due, crl_refresh_point(cfg_, result.record.next_update));
      earliest = std::min(earliest, result.record.next_update);
    }
    if (failed_here > 0) {
      due = now;
    }

    // Last transaction: the CA's OCSP audit record, its CRL URL list, its next due time.
    const std::string signer_serial = material ? serial_hex(material->cert.get()) : "";
    const Bytes url_list = crl_url_list(cfg_, ca_, shards);
    CaRunState state{due, earliest, scanner.fresh + signed_here, crls_present, config_hash(cfg_)};
    session_.store().transact([&](store::WriteTxn& txn) {
      flush_progress(txn, session_, ca_.record.id, signer_serial, signed_here);
      Bytes list_key = store::crl_list_key(ca_.record.id);
      auto existing = txn.get(store::Db::crls, list_key);
      store::CrlRecord current;
      if (!existing || !store::decode(*existing, current) || current.der != url_list) {
        store::CrlRecord list;
        list.entries = static_cast<uint32_t>(shards);
        list.this_update = now;
        list.der = url_list;
        list.etag = "\"" + to_hex(sha256(url_list)) + "\"";
        txn.put(store::Db::crls, list_key, store::encode(list));
      }
      write_ca_state(txn, ca_.record.id, state);
    });
    if (earliest != kNever) {
      summary_.saw_next_update(earliest);
    }
    for (auto& p : problems) {
      summary_.problems.push_back(std::move(p));
    }
  }

 private:
  // Whether this CA's run signs OCSP: always unless the config makes it CRL-only, and then
  // only while a live certificate of its carries an OCSP URL.
  [[nodiscard]] bool needs_ocsp(UnixTime now) const {
    if (ca_.config == nullptr || ca_.config->ocsp) {
      return true;
    }
    store::ReadTxn txn = session_.store().begin_read();
    store::Cursor cursor(txn, store::Db::certs);
    for (bool ok = cursor.seek(ca_.key_prefix); ok && is_ca_cert_key(cursor.key(), ca_.key_prefix);
         ok = cursor.next()) {
      store::CertRecord rec;
      if (store::decode(cursor.value(), rec) && rec.ocsp_url &&
          !store::certificate_expired(rec.not_after, now)) {
        return true;
      }
    }
    return false;
  }

  // Deletes OCSP records in one transaction with one audit record saying why (CPS 5.4.1).
  void remove_responses(const std::vector<Bytes>& keys, const std::string& why) {
    if (keys.empty()) {
      return;
    }
    session_.store().transact([&](store::WriteTxn& txn) {
      for (const Bytes& key : keys) {
        (void)txn.del(store::Db::ocsp, key);
      }
      audit::append(txn, session_.now(), session_.operator_name(), "ocsp_responses_removed",
                    {{"ca", ca_.record.id}, {"count", keys.size()}, {"reason", why}});
    });
    summary_.ocsp_removed += keys.size();
  }

  void start_signing(std::vector<OcspWork>& batch,
                     std::vector<std::unique_ptr<OcspSigningContext>>& contexts,
                     const store::OcspTail& tail) {
    if (batch.empty() || contexts.empty()) {
      return;
    }
    OcspWork* items = batch.data();  // stays put: only the other batch is refilled meanwhile
    records_.resize(contexts.size());
    store::OcspRecord* records = records_.data();  // one per worker, buffers reused
    pool_.start(batch.size(), [items, records, &contexts, &tail](unsigned worker, size_t i) {
      OcspWork& w = items[i];
      store::OcspRecord& record = records[worker];
      if (w.this_update >= w.next_update) {
        w.error = "the signer certificate expires before this response could start";
        return;
      }
      w.ok = contexts[worker]->sign(w.hash, w.serial, w.status, w.this_update, w.next_update,
                                    record, w.error);
      if (w.ok) {
        store::encode_into(record, &tail, w.value);
      }
    });
  }

  void commit(std::vector<OcspWork>& batch, const store::OcspTail& tail, uint64_t& signed_count,
              uint64_t& failed_count, UnixTime& due) {
    OcspTally tally;
    for (const OcspWork& w : batch) {
      if (w.ok) {
        tally.add(w);
        due = std::min(due, ocsp_refresh_point(cfg_, w.this_update, w.next_update));
        earliest_signed_ = std::min(earliest_signed_, w.next_update);
      } else {
        ++failed_count;
        if (!w.error.empty() && failure_lines_ < 5) {
          ++failure_lines_;
          problem_lines_.push_back("CA " + ca_.record.id + ": serial " + to_hex(w.serial) +
                                   ": OCSP signing failed: " + w.error);
        }
      }
    }
    tally.seal();
    if (tally.count > 0) {
      session_.store().transact([&](store::WriteTxn& txn) {
        store::put_ocsp_tail(txn, tail);  // with the first records that name it
        // One cursor per CertID hash: each hash's keys come in order (they sort like the
        // certificates), so most puts land on the page the previous one did.
        std::unique_ptr<store::Cursor> by_hash[3];
        for (const OcspWork& w : batch) {
          if (w.ok) {
            auto& cursor = by_hash[static_cast<size_t>(w.hash)];
            if (!cursor) {
              cursor = std::make_unique<store::Cursor>(txn, store::Db::ocsp);
            }
            cursor->put(w.key, w.value);
          }
        }
        add_progress(txn, ca_.record.id, tally);
      });
    }
    signed_count += tally.count;
    for (auto& p : problem_lines_) {
      summary_.problems.push_back(std::move(p));
    }
    problem_lines_.clear();
  }

  Session& session_;
  const Config& cfg_;
  const RunOptions& options_;
  WorkerPool& pool_;
  RunSummary& summary_;
  CaContext ca_;
  UnixTime earliest_signed_ = kNever;
  std::vector<store::OcspRecord> records_;  // each worker's scratch record
  int failure_lines_ = 0;
  std::vector<std::string> problem_lines_;
};

}  // namespace

void run_ca(Session& session, const RunOptions& options, WorkerPool& pool, RunSummary& summary,
            CaContext ca) {
  CaRun(session, options, pool, summary, std::move(ca)).run();
}

}  // namespace pkirepo::signer
