#include "signer/audit_checkpoint.h"

#include <filesystem>

#include "audit/audit_log.h"
#include "x509/key.h"
#include "x509/key_file.h"

namespace pkirepo::signer {

CheckpointSigner load_checkpoint_signer(Session& session) {
  CheckpointSigner out;
  const std::filesystem::path path = session.config().repository.checkpoint_key;
  const std::string fix = "create it with `pkirepo-signer audit checkpoint --create-key`";
  try {
    if (!std::filesystem::exists(path)) {
      out.problem = "no audit checkpoint key at " + path.string() +
                    ": checkpoints are not signed (" + fix + ")";
      return out;
    }
    EvpPkeyPtr stored;
    {
      store::ReadTxn txn = session.store().begin_read();
      stored = audit::stored_checkpoint_key(txn);
    }
    if (!stored) {
      out.problem = "audit checkpoint key " + path.string() +
                    " is not recorded in the store: checkpoints are not signed (move the file "
                    "away and " +
                    fix + ")";
      return out;
    }
    EvpPkeyPtr key = session.load_key(path);
    if (EVP_PKEY_eq(key.get(), stored.get()) != 1) {
      out.problem = "audit checkpoint key " + path.string() +
                    " is not the key the store recorded: checkpoints are not signed (restore "
                    "the right file from the key backup)";
      return out;
    }
    out.key = std::move(key);
  } catch (const std::exception& e) {
    out.problem = std::string("audit checkpoint key: ") + e.what() + ": checkpoints are not signed";
  }
  return out;
}

std::optional<audit::SignedCheckpoint> refresh_checkpoint(store::WriteTxn& txn, EVP_PKEY* key,
                                                          UnixTime now) {
  const audit::Checkpoint cp = audit::checkpoint(txn);
  std::optional<audit::SignedCheckpoint> stored;
  try {
    stored = audit::stored_checkpoint(txn);
  } catch (const std::runtime_error&) {
    stored.reset();  // a damaged one is replaced by a good one
  }
  if (stored && stored->count == cp.count && stored->head_hex == cp.head_hex &&
      stored->key_id == audit::checkpoint_key_id(key)) {
    return std::nullopt;
  }
  audit::SignedCheckpoint signed_cp = audit::sign_checkpoint(cp, now, key);
  audit::put_checkpoint(txn, signed_cp);
  return signed_cp;
}

EvpPkeyPtr create_checkpoint_key_file(Session& session, KeyFileGuard& guard) {
  const std::filesystem::path path = session.config().repository.checkpoint_key;
  if (std::filesystem::exists(path)) {
    throw std::runtime_error(path.string() +
                             ": audit checkpoint key file already exists; refusing to overwrite "
                             "or adopt it");
  }
  EvpPkeyPtr key = generate_key("ed25519");
  // Journaled before it exists, like a CA key: a kill before the commit leaves a file the
  // next command moves aside instead of refusing to overwrite it.
  guard.will_create(path);
  write_encrypted_key(path, key.get(), session.passphrase());
  guard.add(path);
  return key;
}

void record_checkpoint_key(Session& session, store::WriteTxn& txn, const EVP_PKEY* key) {
  audit::put_checkpoint_key(txn, key);
  audit::append(txn, session.now(), session.operator_name(), "checkpoint_key_generated",
                {{"algorithm", "ed25519"},
                 {"key_file", session.config().repository.checkpoint_key.string()},
                 {"key_id", audit::checkpoint_key_id(key)}});
}

}  // namespace pkirepo::signer
