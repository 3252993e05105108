// Compromised public keys (CPS 4.9.12, BR 4.9.1.1, 6.1.1.3): once a key is known compromised,
// by a keyCompromise revocation or a report from outside, no certificate is issued for it
// again. Keyed by the SHA-256 of the key's SubjectPublicKeyInfo DER, so a key is recognised in
// a CSR, a certificate or a bare public key alike. Entries are never removed.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "store/lmdb.h"
#include "x509/bytes.h"
#include "x509/time.h"

namespace pkirepo::store {

struct BlockedKey {
  UnixTime since = 0;
  // Why: the revoked certificate ("CA tls serial 0a1b…") or the report ("reported: TICKET").
  std::string source;
  std::string operator_name;
};

// nullopt when the key is not blocked (or the store predates the database).
[[nodiscard]] std::optional<BlockedKey> get_blocked_key(const Txn& txn, const Sha256Digest& spki);
// Blocks `spki` unless it already is (the first block stands); true when it was added.
bool block_key(WriteTxn& txn, const Sha256Digest& spki, const BlockedKey& why);

// Every blocked key (a command that checks many requests reads them once).
[[nodiscard]] std::map<Sha256Digest, BlockedKey> all_blocked_keys(const Txn& txn);

// "since 2026-12-03T10:00:00Z: keyCompromise of CA tls serial 0a1b…": for refusals.
[[nodiscard]] std::string describe(const BlockedKey& key);

}  // namespace pkirepo::store
