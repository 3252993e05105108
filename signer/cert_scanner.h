// Step 2 of a run (run.h): walks a CA's certificates in key order, in chunks, each under a
// short read transaction of its own (a long run pins no old pages), and collects the OCSP
// responses that are due: missing, status or reason changed, or past their refresh point
// (due.h), or every one with `force`. Along the way it gathers what the rest of the CA's run
// needs: the revoked entries for the CRLs (the revocation index overriding a record that says
// good), the highest shard, the stored responses to remove, and the earliest time anything left
// as it is becomes due.
//
// Reads the store only; borrows the store, config and CaContext, which must outlive it. Not
// thread-safe: only the run's main thread calls it. next_chunk() fills the batch it is given
// and no other, so the workers can sign the previous batch meanwhile.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "signer/ca_context.h"
#include "signer/crl_signing.h"
#include "signer/due.h"
#include "signer/ocsp_work.h"
#include "store/store.h"
#include "x509/bytes.h"
#include "x509/cert_info.h"
#include "x509/time.h"

namespace pkirepo::signer {

class CertScanner {
 public:
  // `signer_not_after`: the OCSP signer certificate's notAfter, which caps every nextUpdate.
  // `withhold_good`: the CA may not vouch for anything any more (ca_lifecycle.h): its good
  // certificates get no response and their stored ones are collected for removal.
  // `sign_ocsp`: false when the CA has no OCSP signer to sign with (a CRL-only CA none of whose
  // live certificates carries an OCSP URL): nothing is due, stored responses go once they lapse.
  CertScanner(store::WriteStore& st, const Config& cfg, const CaContext& ca,
              UnixTime signer_not_after, std::vector<CertIdHash> hashes, UnixTime now, bool force,
              bool withhold_good, bool sign_ocsp);

  [[nodiscard]] bool done() const { return done_; }

  // Fills `out` with up to `max_items` responses that are due; empty when the CA is done. The
  // elements of `out` are reused, buffers and all: each batch is filled into the one committed
  // before it, so the workers' encoding buffers are not freed by this thread (a free from
  // another thread's malloc arena took 1.5% of a full run's CPU) and not allocated again.
  void next_chunk(size_t max_items, std::vector<OcspWork>& out);

  std::vector<std::pair<int, CrlEntry>> revoked;  // (shard, entry) of every revoked certificate
  // OCSP keys to delete: responses of expired certificates that have run out (store/freshness.h),
  // and good responses of a CA that may not vouch for anything any more.
  std::vector<Bytes> lapsed_removals;
  std::vector<Bytes> withheld_removals;
  int max_shard = 0;
  uint64_t fresh = 0;
  uint64_t expired = 0;
  uint64_t withheld = 0;  // good certificates of a CA that may not vouch for them any more
  uint64_t malformed = 0;
  uint64_t without_ocsp = 0;  // live certificates with no OCSP URL: CRLs only
  // Serials (hex) whose record says good while the revocation index says revoked: stated as
  // revoked all the same, and reported.
  std::vector<std::string> unrevoked;
  UnixTime next_due = kNever;  // earliest refresh point of the responses left as they are
  UnixTime earliest_next_update = kNever;

 private:
  // The scanner's own pieces, defined in cert_scanner.cpp and used there only.
  class ForwardLookup;
  using Lookups = std::vector<std::unique_ptr<ForwardLookup>>;  // by index into hashes_

  // One certificate: next_chunk()'s loop body. Always inlined there, as the compiler did when
  // the scanner was local to one file: with the class now shared, it would otherwise stay a
  // call per certificate.
  [[gnu::always_inline]] inline void visit(const store::Txn& txn, Lookups& responses,
                                           std::unique_ptr<ForwardLookup>& revocations,
                                           ByteView key, ByteView value,
                                           std::vector<OcspWork>& out);
  // Adds the stored responses of `serial` (each CertID hash) to `out`: those past their
  // nextUpdate when `only_lapsed`, else all of them. Keeps the lookups in key order.
  inline void collect_removals(Lookups& responses, ByteView serial, bool only_lapsed,
                               std::vector<Bytes>& out);

  store::WriteStore& st_;
  const Config& cfg_;
  const CaContext& ca_;
  UnixTime signer_not_after_;
  std::vector<CertIdHash> hashes_;
  UnixTime now_;
  bool force_;
  bool withhold_good_;
  bool sign_ocsp_;
  Bytes name_hash_[3];
  Bytes key_hash_[3];
  Bytes resume_;
  bool done_ = false;
  size_t filled_ = 0;  // elements of next_chunk's `out` filled so far
};

}  // namespace pkirepo::signer
