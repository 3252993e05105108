// `run`: (re)sign every OCSP response and CRL that is due (docs/signer.md).
// `revoke --publish`'s immediate re-signing of one certificate's status, by the same rules, is
// in revocation_publisher.h.
//
// What a run does, per CA in the store (an offline CA, offline_ca.h: nothing but a report of
// when its next ceremony is due; its key is never opened):
//   1. rotates the delegated responder certificate when it comes within twice ocsp.validity of
//      its notAfter (or reports that rotation is needed when the CA key is offline);
//   2. walks the CA's certificates in key order, in chunks, each under a short read
//      transaction, and collects the OCSP responses that are due: missing, status changed, or
//      past their refresh point min(thisUpdate + refresh, nextUpdate - (validity - refresh));
//   3. signs them on a thread pool (one signing context per thread) while the main thread
//      scans the next chunk and commits the previous one: one LMDB write transaction per batch;
//   4. signs each CRL shard that is due (missing, within crl.refresh_before of nextUpdate, or
//      its revoked set changed), after the safety checks of crl_signing.h, one transaction and
//      one audit record per CRL;
//   5. in a last transaction: one audit record for the CA's OCSP responses signed by this run
//      (and by any earlier run that was killed before getting there), the CCADB JSON list of
//      the CA's CRL URLs, and the CA's "next due" time.
// A run that is killed at any point loses nothing committed; the next run finishes the job.
// A no-op run is cheap: when nothing was committed to the store since the last run
// (meta "run/txnid" = LMDB's last transaction id) and no CA's "next due" time has come, no
// certificate is read at all.
//
// Meta keys written here (named in core/store/meta_keys.h): "run/txnid", "run/ca/<ca>" (JSON: due,
// earliest_next_update, counts, config hash), "run/ocsp_progress/<ca>" (JSON tally of OCSP
// responses signed since the CA's last audit record), "crl_number/<ca>/<shard>",
// "crl_set/<ca>/<shard>" (SHA-256 of the revoked set on the current CRL), "last_run".
//
// Where each part is (signer/):
//   run.cpp                        run_signing (the no-op check, each CA in turn), `run` command
//   ca_run.h                       one CA: steps 1 to 5
//   ocsp_key_material.h            step 1: the OCSP signer, rotating the responder certificate
//   cert_scanner.h                 step 2
//   worker_pool.h, ocsp_work.h     step 3
//   crl_shards.h                   step 4
//   ocsp_tally.h, run_meta.h       step 5, and the meta keys above
//   due.h                          the time rules, shared with `status` and `revoke --publish`
//   ca_context.h, cert_records.h   a CA, and its certificate records, as the parts above read them
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "signer/session.h"
#include "x509/time.h"

namespace pkirepo::signer {

struct RunOptions {
  unsigned threads = 0;      // signing threads; 0: one per core
  size_t batch_size = 4096;  // OCSP responses per write transaction
  bool force = false;        // re-sign every response and CRL now, due or not
  bool quiet = false;        // no summary line on success (cron mails only problems)
};

struct RunSummary {
  uint64_t ocsp_signed = 0;
  uint64_t ocsp_not_due = 0;  // present and fresh: skipped
  uint64_t ocsp_expired = 0;  // certificates past notAfter: no longer signed
  uint64_t ocsp_failed = 0;
  uint64_t ocsp_removed = 0;  // records of expired certificates that ran out, or of a dead CA
  uint64_t crl_signed = 0;
  uint64_t crl_not_due = 0;
  uint64_t crl_failed = 0;
  uint64_t cas_unchanged = 0;  // CAs skipped without reading their certificates
  uint64_t rotations = 0;
  UnixTime earliest_next_update = 0;  // over every response and CRL in the store; 0: none
  std::vector<std::string> problems;  // one line each: what failed or needs an operator
  // One line each, not failures: what an offline CA's next ceremony must sign, and when.
  std::vector<std::string> notes;
  // One line each, on stderr even with --quiet, never a failure: what the status services do
  // not need but an operator should fix (an unsigned audit checkpoint).
  std::vector<std::string> warnings;
  bool checkpoint_signed = false;  // a new signed audit checkpoint was stored
  [[nodiscard]] bool failed() const {
    return ocsp_failed != 0 || crl_failed != 0 || !problems.empty();
  }
  // Lowers earliest_next_update to `t` (which must be a time, not kNever).
  void saw_next_update(UnixTime t) {
    earliest_next_update = earliest_next_update == 0 ? t : std::min(earliest_next_update, t);
  }
};

// Runs the whole job. Throws only for what stops everything (store unreadable, a failed
// commit); per-CA failures are counted and described in the summary.
[[nodiscard]] RunSummary run_signing(Session& session, const RunOptions& options);

}  // namespace pkirepo::signer
