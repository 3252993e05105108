// Everything a run does for one CA, steps 1 to 5 of run.h: loads (and rotates) its OCSP signer,
// scans, signs and commits its due responses in a pipeline (the scanner reads the next chunk
// and the main thread commits the previous batch while the pool signs), removes the responses
// that ran out or may no longer say "good", signs its due CRL shards, and in a last transaction
// writes its OCSP audit record, its CRL URL list and its state for the next run (run_meta.h).
//
// What fails for this CA alone is counted and described in `summary`; an exception (a failed
// commit, a CRL OpenSSL cannot build) stops the whole run. The pool must be idle when called,
// and is idle again when run_ca() returns.
#pragma once

#include "signer/ca_context.h"
#include "signer/run.h"
#include "signer/session.h"

namespace pkirepo::signer {

class WorkerPool;

void run_ca(Session& session, const RunOptions& options, WorkerPool& pool, RunSummary& summary,
            CaContext ca);

}  // namespace pkirepo::signer
