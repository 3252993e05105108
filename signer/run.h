// `run`: (re)sign every OCSP response and CRL that is due, and `revoke --publish`'s immediate
// re-signing of one certificate's status (DESIGN.md "Data flow"; issue 3).
//
// What a run does, per CA in the store:
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
// Meta keys written here (see core/store/schema.h): "run/txnid", "run/ca/<ca>" (JSON: due,
// earliest_next_update, counts, config hash), "run/ocsp_progress/<ca>" (JSON tally of OCSP
// responses signed since the CA's last audit record), "crl_number/<ca>/<shard>",
// "crl_set/<ca>/<shard>" (SHA-256 of the revoked set on the current CRL), "last_run".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "signer/revocation.h"
#include "signer/session.h"
#include "store/store.h"
#include "x509/cert_info.h"

namespace pkirepo::signer {

// The rules that decide what is due, shared by `run` and `status`.
// CertID hashes signed for: SHA-1 always (older clients), SHA-256 when ocsp.cert_id_hashes asks
// (RFC 9919 clients MUST use it); each needs its own response.
[[nodiscard]] std::vector<CertIdHash> ocsp_cert_id_hashes(const Config& cfg);
// RULES.md "OCSP": a response is re-signed once ocsp.refresh has passed, and never later than
// (validity - refresh) before its nextUpdate (which matters when nextUpdate was cut short by
// the signer certificate's notAfter).
[[nodiscard]] UnixTime ocsp_refresh_point(const Config& cfg, UnixTime this_update,
                                          UnixTime next_update);
// Partitioned CRLs: issuing CAs with crl.shards > 1. A parent's CRL of its CA certificates is
// never sharded (policy/profiles.cpp ca_extensions), and roots and intermediates sign CA
// certificates.
[[nodiscard]] bool crl_sharded(const Config& cfg, CaRole role);
// Shards to sign: crl.shards, or more when issued certificates name a higher shard (changing
// crl.shards later never moves an issued certificate).
[[nodiscard]] int crl_shard_count(const Config& cfg, CaRole role, int max_shard);
// BR 4.9.7: a CA CRL (of CA certificates) may run 12 months (crl.root_validity); a CRL of
// subscriber certificates crl.validity (at most 10 days).
[[nodiscard]] UnixTime crl_validity(const Config& cfg, CaRole role);

struct RunOptions {
  unsigned threads = 0;      // signing threads; 0: one per core
  size_t batch_size = 4096;  // OCSP responses per write transaction
  bool force = false;        // re-sign every response and CRL now, due or not
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
  [[nodiscard]] bool failed() const {
    return ocsp_failed != 0 || crl_failed != 0 || !problems.empty();
  }
};

// Runs the whole job. Throws only for what stops everything (store unreadable, a failed
// commit); per-CA failures are counted and described in the summary.
[[nodiscard]] RunSummary run_signing(Session& session, const RunOptions& options);

// `revoke --publish`: re-signs one certificate's OCSP responses and its CRL shard inside the
// caller's write transaction, right after record_revocation(), so the revocation and its
// publication commit together or not at all. Keys are loaded by the constructor (before the
// transaction); a missing or offline key throws there with a one-line message.
class RevocationPublisher {
 public:
  RevocationPublisher(Session& session, const std::string& ca_id);
  ~RevocationPublisher();
  RevocationPublisher(const RevocationPublisher&) = delete;
  RevocationPublisher& operator=(const RevocationPublisher&) = delete;

  struct Outcome {
    uint64_t responses = 0;
    int shard = 0;
    uint64_t crl_number = 0;
    UnixTime this_update = 0;
  };
  // Throws std::runtime_error (the transaction then aborts) when a CRL safety check refuses.
  [[nodiscard]] Outcome publish(store::WriteTxn& txn, const RevocationResult& revocation);

 private:
  struct State;
  Session& session_;
  std::unique_ptr<State> state_;
};

}  // namespace pkirepo::signer
