// `revoke --publish` and `incident revoke`: re-signs the revoked certificates' OCSP responses
// (every CertID hash) and their CRL shards inside the caller's write transaction, right after
// record_revocation(), so the revocations and their publication commit together or not at all
// (CPS 4.9.7). The same rules as a run: response times from due.h, the CRL shards through
// crl_shards.h, one audit record for the responses and one per CRL. Each affected shard is
// signed once however many of its certificates were revoked; responses are signed on every
// core. It never rotates the responder certificate (that is a run's job, in a transaction of
// its own).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "signer/revocation.h"
#include "signer/session.h"
#include "store/store.h"
#include "x509/time.h"

namespace pkirepo::signer {

// Keys are loaded by the constructor (before the transaction); a missing or offline key throws
// there with a one-line message. A CRL-only CA's OCSP signer is loaded only for a certificate
// that carries an OCSP URL (one issued before the CA turned CRL-only); its certificates without
// one get their CRL shard only. Borrows the session, which must outlive it.
class RevocationPublisher {
 public:
  RevocationPublisher(Session& session, const std::string& ca_id);
  ~RevocationPublisher();
  RevocationPublisher(const RevocationPublisher&) = delete;
  RevocationPublisher& operator=(const RevocationPublisher&) = delete;

  struct Shard {
    int shard = 0;
    uint64_t crl_number = 0;
  };
  struct Outcome {
    uint64_t responses = 0;
    std::vector<Shard> shards;  // ascending
    UnixTime this_update = 0;
  };
  // Every revocation must be of this publisher's CA. Throws std::runtime_error (the transaction
  // then aborts) when signing fails or a CRL safety check refuses.
  [[nodiscard]] Outcome publish(store::WriteTxn& txn,
                                const std::vector<RevocationResult>& revocations);

 private:
  void load_ocsp_material();  // throws std::runtime_error naming why
  uint64_t publish_ocsp(store::WriteTxn& txn, const std::vector<RevocationResult>& revocations);

  struct State;
  Session& session_;
  std::unique_ptr<State> state_;
};

}  // namespace pkirepo::signer
