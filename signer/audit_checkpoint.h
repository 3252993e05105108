// The signer's side of signed audit checkpoints (audit/checkpoint.h): the Ed25519 key file at
// Config::repository.checkpoint_key, encrypted under the repository passphrase like a CA key
// (mode 0600), and the newest signed checkpoint kept in the store for the publisher.
//
// A status service never stops for a checkpoint: `run` calls load_checkpoint_signer(), which
// reports a missing or unusable key as a problem string instead of throwing, and goes on.
#pragma once

#include <optional>
#include <string>

#include "audit/checkpoint.h"
#include "signer/ca_setup.h"
#include "signer/session.h"

namespace pkirepo::signer {

struct CheckpointSigner {
  EvpPkeyPtr key;       // nullptr: checkpoints are not signed this time
  std::string problem;  // why not (one line, names the file and the fix); empty when key is set
};

// The key at the configured path, checked against the public key the store recorded. Never
// throws for a missing file, a wrong passphrase or a key that does not match.
[[nodiscard]] CheckpointSigner load_checkpoint_signer(Session& session);

// In `txn`: signs the log's current checkpoint at session.now() unless the stored one already
// covers the same count and head. Returns the newly stored checkpoint, nullopt when nothing
// changed. Appends no audit record.
std::optional<audit::SignedCheckpoint> refresh_checkpoint(store::WriteTxn& txn, EVP_PKEY* key,
                                                          UnixTime now);

// A new Ed25519 key written to the configured path (refusing an existing file; `guard` removes
// it should the command fail later). The caller stores it with record_checkpoint_key().
[[nodiscard]] EvpPkeyPtr create_checkpoint_key_file(Session& session, KeyFileGuard& guard);
// In `txn`: the public key into the store and a `checkpoint_key_generated` audit record.
void record_checkpoint_key(Session& session, store::WriteTxn& txn, const EVP_PKEY* key);

}  // namespace pkirepo::signer
