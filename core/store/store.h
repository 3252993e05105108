// The store as programs see it. Capabilities follow the signer/responder split: ReadStore opens
// LMDB read-only (responder, publisher); WriteStore is the signer's alone and is the only way
// to get a WriteTxn.
#pragma once

#include <openssl/x509.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/lmdb.h"
#include "store/schema.h"

namespace pkirepo::store {

class ReadStore {
 public:
  // Throws StoreError when the store does not exist or has another schema version.
  explicit ReadStore(const std::filesystem::path& dir);
  [[nodiscard]] Env& env() { return env_; }
  [[nodiscard]] ReadTxn begin_read() { return ReadTxn(env_); }

 private:
  Env env_;
};

class WriteStore {
 public:
  // Creates the store when missing and takes an exclusive lock (flock on <dir>/signer.lock):
  // a second signer fails at once with a message instead of interleaving batches. Throws.
  // A store created here that never sees a committed transaction is removed again by the
  // destructor, so a command that fails on a new path leaves nothing behind.
  explicit WriteStore(const std::filesystem::path& dir,
                      size_t initial_map_size = Env::kDefaultMapSize);
  ~WriteStore();
  WriteStore(const WriteStore&) = delete;
  WriteStore& operator=(const WriteStore&) = delete;

  [[nodiscard]] Env& env() { return env_; }
  [[nodiscard]] ReadTxn begin_read() { return ReadTxn(env_); }
  // Runs `body` in one write transaction and commits it. When the map is full the
  // transaction is aborted, the map doubled and `body` run again from scratch, so `body` must
  // only write into the transaction (no outside side effects it cannot repeat). Any exception
  // aborts: the store is exactly as before.
  void transact(const std::function<void(WriteTxn&)>& body);

 private:
  struct Creation {
    bool store = false;  // there was no data.mdb
    bool dir = false;    // there was no directory either
  };
  static Creation detect_creation(const std::filesystem::path& dir);

  std::filesystem::path dir_;
  Creation created_;
  int lock_fd_ = -1;
  Env env_;
  bool committed_ = false;  // a transaction of ours committed (schema_version with it)
};

// --- typed access, usable from either kind of transaction ---
[[nodiscard]] std::optional<CaRecord> get_ca(const Txn& txn, std::string_view id);
[[nodiscard]] std::vector<CaRecord> list_cas(const Txn& txn);
[[nodiscard]] std::optional<CertRecord> get_cert(const Txn& txn, const Sha1Digest& issuer_key_id,
                                                 ByteView serial);
[[nodiscard]] std::optional<uint64_t> get_meta_u64(const Txn& txn, std::string_view name);
[[nodiscard]] std::optional<CrlRecord> get_crl(const Txn& txn, std::string_view ca_id, int shard);
// The OCSP record at `key` with its complete DER (head and tail); nullopt when absent. Throws
// StoreError when the record is malformed or names a tail the store lacks.
[[nodiscard]] std::optional<OcspRecord> get_ocsp(const Txn& txn, ByteView key);
// The shared tail named `id` (schema.h OcspTail); nullopt when the store lacks it.
[[nodiscard]] std::optional<ByteView> get_ocsp_tail(const Txn& txn, uint64_t id);
// The complete response of `view`; nullopt when it names a tail the store lacks.
[[nodiscard]] std::optional<Bytes> ocsp_der(const Txn& txn, const OcspView& view);

// The revocation index's record for the `certs` key `cert_key`; nullopt when the certificate
// was never revoked. Throws StoreError on a malformed record.
[[nodiscard]] std::optional<RevocationRecord> get_revocation(const Txn& txn, ByteView cert_key);

void put_ca(WriteTxn& txn, const CaRecord& record);
// Writes the certs record and its by_expiry index entry, and for a revoked certificate its
// revocation index record (never removed: a later good record does not un-revoke).
void put_cert(WriteTxn& txn, const Sha1Digest& issuer_key_id, ByteView serial,
              const CertRecord& record);
// put_cert() for a certificate entering the store, with its index entries (cert_index.h):
// issuance and CA certificates go through here, revocations through put_cert().
void put_new_cert(WriteTxn& txn, const Sha1Digest& issuer_key_id, ByteView serial,
                  const CertRecord& record, const X509* cert);
void put_meta_u64(WriteTxn& txn, std::string_view name, uint64_t value);
// Stores `tail` under its name unless it is there already (nothing for "no tail", id 0). Throws
// StoreError when other bytes hold the name (an XXH3-64 collision: never written over).
void put_ocsp_tail(WriteTxn& txn, const OcspTail& tail);

}  // namespace pkirepo::store
