// `run`: the whole job over every CA (see run.h for the sequence and the meta keys) and the
// `run` command. One CA's work is in ca_run.cpp.
#include "signer/run.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "audit/checkpoint.h"
#include "signer/audit_checkpoint.h"
#include "signer/ca_context.h"
#include "signer/ca_run.h"
#include "signer/commands.h"
#include "signer/due.h"
#include "signer/offline_ca.h"
#include "signer/run_meta.h"
#include "signer/worker_pool.h"
#include "store/cert_index.h"
#include "store/meta_keys.h"
#include "store/revocation_index.h"
#include "store/store.h"

namespace pkirepo::signer {

namespace {

// An offline CA: its key stays where it is; what it needs goes into the summary (a failure
// only once something ran out or a revocation waits for the 24-hour rule).
void report_offline_ca(store::WriteStore& st, const Config& cfg, const store::CaRecord& ca,
                       UnixTime now, RunSummary& summary) {
  store::ReadTxn txn = st.begin_read();
  const OfflineCaReport report = check_offline_ca(txn, cfg, ca, now);
  for (const OfflineFinding& f : report.findings) {
    (f.severity == OfflineSeverity::error ? summary.problems : summary.notes).push_back(f.message);
  }
  if (report.earliest_next_update != kNever) {
    summary.saw_next_update(report.earliest_next_update);
  }
}

}  // namespace

RunSummary run_signing(Session& session, const RunOptions& options) {
  const Config& cfg = session.config();
  const UnixTime now = session.now();
  store::WriteStore& st = session.store();
  RunSummary summary;

  // A store from before the incident indexes (store/cert_index.h) gets them once, in a
  // transaction of their own: derived data, no audit record.
  bool indexed = false;
  {
    store::ReadTxn txn = st.begin_read();
    indexed = store::cert_index_complete(txn);
  }
  if (!indexed) {
    size_t count = 0;
    st.transact([&](store::WriteTxn& txn) { count = store::build_cert_index(txn); });
    summary.notes.push_back("indexed " + std::to_string(count) +
                            " certificates by key and by domain (incident select)");
  }
  // Likewise the revocation index: once complete, revoke --publish builds a CRL shard from the
  // CA's revoked certificates alone instead of walking every certificate.
  bool revocations_indexed = false;
  {
    store::ReadTxn txn = st.begin_read();
    revocations_indexed = store::revocation_index_complete(txn);
  }
  if (!revocations_indexed) {
    size_t added = 0;
    st.transact([&](store::WriteTxn& txn) { added = store::build_revocation_index(txn); });
    summary.notes.push_back("revocation index complete (" + std::to_string(added) +
                            " revoked certificates added)");
  }

  std::vector<store::CaRecord> cas;
  bool unchanged = false;
  std::vector<std::optional<CaRunState>> states;
  {
    store::ReadTxn txn = st.begin_read();
    cas = store::list_cas(txn);
    auto last = store::get_meta_u64(txn, store::meta::kRunTxnId);
    unchanged = last && *last == st.env().last_txn_id();
    for (const auto& ca : cas) {
      states.push_back(read_ca_state(txn, ca.id));
    }
  }
  if (cas.empty()) {
    throw std::runtime_error(cfg.repository.store.string() +
                             ": no CA in the store (run pkirepo-signer init first)");
  }
  const std::string hash = config_hash(cfg);
  unsigned threads =
      options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  std::unique_ptr<WorkerPool> pool;
  bool wrote = false;
  for (size_t i = 0; i < cas.size(); ++i) {
    if (is_offline(cfg, cas[i].id)) {
      report_offline_ca(st, cfg, cas[i], now, summary);
      continue;
    }
    const auto& state = states[i];
    if (unchanged && !options.force && state && state->config == hash && now < state->due) {
      ++summary.cas_unchanged;
      summary.ocsp_not_due += state->fresh;
      summary.crl_not_due += state->crls;
      if (state->earliest_next_update != kNever) {
        summary.saw_next_update(state->earliest_next_update);
      }
      continue;
    }
    if (!pool) {
      pool = std::make_unique<WorkerPool>(threads);
    }
    run_ca(session, options, *pool, summary, make_ca_context(cfg, std::move(cas[i])));
    wrote = true;
  }
  // The audit checkpoint, signed when the log moved since the stored one (a run that changed
  // nothing finds it current and decrypts no key). It is written in the same transaction as
  // the run's txn id, so the next run still sees "no writer came between".
  bool checkpoint_stale = false;
  {
    store::ReadTxn txn = st.begin_read();
    const audit::Checkpoint cp = audit::checkpoint(txn);
    std::optional<audit::SignedCheckpoint> stored;
    try {
      stored = audit::stored_checkpoint(txn);
    } catch (const std::runtime_error&) {
      stored.reset();
    }
    checkpoint_stale = !stored || stored->count != cp.count || stored->head_hex != cp.head_hex;
  }
  CheckpointSigner signer;
  if (checkpoint_stale) {
    signer = load_checkpoint_signer(session);
    if (!signer.key) {
      summary.warnings.push_back(signer.problem);
    }
  }
  std::optional<audit::SignedCheckpoint> made;
  if (wrote || signer.key) {
    st.transact([&](store::WriteTxn& txn) {
      made = signer.key ? refresh_checkpoint(txn, signer.key.get(), now) : std::nullopt;
      if (wrote) {
        store::put_meta_u64(txn, store::meta::kLastRun, static_cast<uint64_t>(now));
        store::put_meta_u64(txn, store::meta::kRunTxnId, txn.id());
      }
    });
  }
  if (made) {
    summary.checkpoint_signed = true;
    summary.notes.push_back("audit checkpoint signed: " + std::to_string(made->count) +
                            " records, head " + made->head_hex);
  }
  return summary;
}

// --- the command -----------------------------------------------------------------------------

namespace {

int run_command(CommandRunner& runner, const RunOptions& options) {
  auto started = std::chrono::steady_clock::now();
  Session session(runner.globals, runner.now);
  if (options.batch_size == 0) {
    throw std::runtime_error("--batch-size 0: must be at least 1");
  }
  // Never create a store as a side effect: `run` works on what `init` made.
  const auto& store_dir = session.config().repository.store;
  if (!std::filesystem::exists(store_dir / "data.mdb")) {
    throw std::runtime_error(store_dir.string() +
                             ": no store here (run pkirepo-signer init first)");
  }
  check_profile_dates(session.config(), session.now(), false);
  RunSummary s = run_signing(session, options);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  for (const auto& p : s.problems) {
    std::cerr << "pkirepo-signer: run: " << p << "\n";
  }
  for (const auto& w : s.warnings) {
    std::cerr << "pkirepo-signer: run: warning: " << w << "\n";
  }
  if (options.quiet && !s.failed()) {
    return 0;
  }
  for (const auto& n : s.notes) {
    std::cout << n << "\n";
  }
  std::cout << "run: OCSP " << s.ocsp_signed << " signed, " << s.ocsp_not_due << " not due, "
            << s.ocsp_expired << " expired certificates skipped, " << s.ocsp_failed << " failed, "
            << s.ocsp_removed << " removed; CRLs " << s.crl_signed << " signed, " << s.crl_not_due
            << " not due, " << s.crl_failed << " failed";
  if (s.rotations > 0) {
    std::cout << "; " << s.rotations << " responder certificates rotated";
  }
  if (s.cas_unchanged > 0) {
    std::cout << "; " << s.cas_unchanged << " CAs unchanged since the last run";
  }
  std::cout << "; earliest nextUpdate "
            << (s.earliest_next_update == 0 ? std::string("none") : rfc3339(s.earliest_next_update))
            << "; " << secs << " s";
  if (s.ocsp_signed > 0 && secs > 0) {
    std::cout << " (" << static_cast<uint64_t>(static_cast<double>(s.ocsp_signed) / secs)
              << " responses/s)";
  }
  std::cout << "\n";
  return s.failed() ? 1 : 0;
}

}  // namespace

void add_run_command(CLI::App& app, CommandRunner& runner) {
  auto opt = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Sign every OCSP response and CRL that is due (cron-safe, idempotent)");
  cmd->add_option("--threads", opt->threads, "Signing threads (default: every core)");
  cmd->add_option("--batch-size", opt->batch_size, "OCSP responses per write transaction")
      ->capture_default_str();
  cmd->add_flag("--force", opt->force, "Re-sign every response and CRL now, due or not");
  cmd->add_flag("--quiet", opt->quiet,
                "Print nothing unless something failed (problems always go to stderr)");
  cmd->callback([&runner, opt] { runner.exit_code = run_command(runner, *opt); });
}

}  // namespace pkirepo::signer
