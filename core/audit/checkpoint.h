// Signed audit-log checkpoints (docs/design.md, "Signed checkpoints").
//
// A checkpoint says "the audit log had `count` records and the newest one's hash was `head`".
// Anyone who kept one can later check that today's log still extends it (is_prefix), so a
// log cut back and re-headed in the store is seen by whoever holds an older checkpoint.
//
// The signer signs one with an Ed25519 key of its own (never a CA key: a checkpoint is no
// certificate, and the key may be rotated without a ceremony). The signed bytes are the
// canonical JSON of
//   {"count":N,"head_sha256":"<64 hex>","key_id":"<64 hex>","time":"RFC 3339",
//    "type":"pkirepo-audit-checkpoint"}
// with the keys sorted and no spaces (what nlohmann::json::dump() gives); the published object
// is the same plus "signature": the 64-byte Ed25519 signature in hex. key_id is the SHA-256 of
// the public key's SubjectPublicKeyInfo DER (what `openssl pkey -pubin -outform DER | sha256sum`
// prints). An unsigned checkpoint (a store without the key) is {"count":N,"head_sha256":"..."}.
//
// The store keeps the public key (meta "audit_checkpoint_key", SPKI DER) and the newest signed
// checkpoint (meta "audit_checkpoint", its JSON); writing them appends no audit record, so a
// checkpoint never outdates itself.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "audit/audit_log.h"
#include "store/lmdb.h"
#include "x509/bytes.h"
#include "x509/openssl_ptr.h"
#include "x509/time.h"

namespace pkirepo::audit {

inline constexpr const char* kCheckpointType = "pkirepo-audit-checkpoint";

struct SignedCheckpoint {
  uint64_t count = 0;
  std::string head_hex;
  // Empty for an unsigned checkpoint (then time is 0 and key_id empty too).
  std::string signature_hex;
  std::string key_id;
  UnixTime time = 0;

  [[nodiscard]] bool is_signed() const { return !signature_hex.empty(); }
  // The bytes the signature covers (see above).
  [[nodiscard]] std::string signed_bytes() const;
  // The published object (one line, keys sorted).
  [[nodiscard]] std::string to_json() const;
};

// Parses a published checkpoint. Throws std::runtime_error with the reason (no file name):
// "not a JSON object", "count is missing or not a non-negative integer", ...
[[nodiscard]] SignedCheckpoint parse_checkpoint(const nlohmann::json& j);

// SHA-256 (hex) of the public key's SubjectPublicKeyInfo DER.
[[nodiscard]] std::string checkpoint_key_id(const EVP_PKEY* key);

// Signs (count, head) at `time` with the Ed25519 private key `key`. Throws on an OpenSSL
// failure or a key that is not Ed25519.
[[nodiscard]] SignedCheckpoint sign_checkpoint(const Checkpoint& cp, UnixTime time, EVP_PKEY* key);

// "" when `cp` is signed by `public_key`, else why not (one line, no file name).
[[nodiscard]] std::string signature_problem(const SignedCheckpoint& cp, EVP_PKEY* public_key);

// The hash (hex) of audit record `seq`, as stored in it; nullopt when the record is absent or
// unreadable. Reads one record.
[[nodiscard]] std::optional<std::string> record_hash(const store::Txn& txn, uint64_t seq);

// "" when the log in `txn` extends (count, head): count 0 with the genesis head, or a record
// `count` whose hash is `head`; else why not (one line).
[[nodiscard]] std::string prefix_problem(const store::Txn& txn, uint64_t count,
                                         const std::string& head_hex);

// The store's checkpoint public key (meta), nullptr when it has none. Throws on a malformed key.
[[nodiscard]] EvpPkeyPtr stored_checkpoint_key(const store::Txn& txn);
void put_checkpoint_key(store::WriteTxn& txn, const EVP_PKEY* key);
// The newest signed checkpoint in the store; nullopt when none. Throws on a malformed one.
[[nodiscard]] std::optional<SignedCheckpoint> stored_checkpoint(const store::Txn& txn);
void put_checkpoint(store::WriteTxn& txn, const SignedCheckpoint& cp);

// PEM of a public key ("-----BEGIN PUBLIC KEY-----").
[[nodiscard]] std::string public_key_pem(const EVP_PKEY* key);
// A public key from PEM text; throws std::runtime_error when it holds none.
[[nodiscard]] EvpPkeyPtr public_key_from_pem(const std::string& pem);

}  // namespace pkirepo::audit
