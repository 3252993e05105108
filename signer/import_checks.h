// `import`'s checks of a ceremony bundle against the online store, before anything changes.
// Every signed object is judged from its DER alone (the bundle's descriptive fields are
// ignored), and every refusal is one line naming the object and the reason:
//   - new CA certificates: for a [[ca]] of the config whose parent is the bundle's CA and that
//     the store does not have; issued and signed by the CA (name chaining, AKI, signature);
//     the config's subject; the issuance lint; its key file here holds its key (unless the
//     new CA is offline itself);
//   - the CRL: issuer byte-identical to the CA's subject, signature by the CA's key, cRLNumber
//     above every number the store has seen, thisUpdate not in the future and later than the
//     stored CRL's, nextUpdate after now and at most 12 months on, every revoked certificate
//     of the CA in the store listed, nothing the stored CRL listed dropped before it expired;
//   - the OCSP responses: successful, signed by the CA's key, one SingleResponse whose CertID
//     names the CA and a certificate it issued (or a new one of this bundle), the status the
//     store states, times as for the CRL, never older than the stored response; and one for
//     every live certificate of the CA with an OCSP URL, per configured CertID hash.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "signer/ceremony_bundle.h"
#include "signer/session.h"
#include "store/lmdb.h"
#include "store/schema.h"
#include "x509/bytes.h"

namespace pkirepo::signer {

// What `import` stores, once every check passed.
struct ImportPlan {
  store::CaRecord ca;                    // the bundle's (offline) CA, as stored
  std::vector<store::CaRecord> new_cas;  // records for the new subordinates
  store::CrlRecord crl;
  Sha256Digest crl_set{};  // crl_entry_set_hash() of the store's revoked set it covers
  std::vector<std::pair<Bytes, store::OcspRecord>> responses;  // by `ocsp` store key
};

// Throws std::runtime_error "<object>: <reason>" (the caller prefixes the file name) at the
// first check that fails. Reads only: `txn` may be the read side of the import's store.
// `session` is used to read the new CAs' key files (their passphrase) and for now/config.
[[nodiscard]] ImportPlan check_bundle(Session& session, const store::Txn& txn,
                                      const CeremonyBundle& bundle);

}  // namespace pkirepo::signer
