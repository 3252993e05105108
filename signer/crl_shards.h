// Step 4 of a run (run.h), and the CRL half of `revoke --publish`: a CA's CRL shards as the
// store and the certificates' CDP name them, and signing one shard in the caller's write
// transaction. The CRL itself is built and checked by crl_signing.h; this part owns the rest of
// what a stored CRL means: its cRLNumber (strictly increasing, never reused), its times, its
// URL, the hash of its revoked set ("crl_set/…", from which a run tells a changed set) and its
// audit record.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "signer/ca_context.h"
#include "signer/crl_signing.h"
#include "signer/session.h"
#include "store/schema.h"
#include "store/store.h"
#include "x509/bytes.h"
#include "x509/openssl_ptr.h"

namespace pkirepo::signer {

// The CRL shard of an entry, as the certificates' CDP says.
[[nodiscard]] inline int entry_shard(const CaContext& ca, int stored_shard) {
  return ca.sharded ? stored_shard : 0;
}

// The URL of a shard's CRL (of the CA's only CRL when it is not partitioned).
[[nodiscard]] std::string crl_url_of(const Config& cfg, const CaContext& ca, int shard);

// The CCADB JSON array of every CRL URL of the CA (CCADB policy 6.2).
[[nodiscard]] Bytes crl_url_list(const Config& cfg, const CaContext& ca, int shards);

// Where a shard's next CRL continues from: the stored CRL (if any), the next cRLNumber (one above
// both the stored CRL's and the meta counter that outlives it: RFC 5280 5.2.3, strictly
// increasing, never reused) and a thisUpdate after the stored one's. `run`, `revoke --publish`
// and an offline CA's ceremony all number their CRLs here.
struct CrlSuccessor {
  std::optional<store::CrlRecord> previous;
  uint64_t crl_number = 0;
  UnixTime this_update = 0;
};
[[nodiscard]] CrlSuccessor next_crl(const store::Txn& txn, const std::string& ca_id, int shard,
                                    UnixTime now);

struct CrlResult {
  bool stored = false;
  std::string problem;  // why the safety checks refused it (nothing stored then)
  store::CrlRecord record;
};

// Builds, checks and stores one CRL shard in `txn`, with its audit record. Safe to repeat
// (WriteStore::transact may run it again after growing the map). `set_hash` is
// crl_entry_set_hash() of `entries`.
[[nodiscard]] CrlResult sign_crl_shard(Session& session, store::WriteTxn& txn, const CaContext& ca,
                                       EVP_PKEY* ca_key, int shard, std::vector<CrlEntry> entries,
                                       const Sha256Digest& set_hash);

}  // namespace pkirepo::signer
