// RAII over LMDB: one environment, its named databases, read and write transactions, cursors.
//
// Lifetimes (LMDB's own rule, made visible here): a ByteView returned by get() or a Cursor
// points into the memory map and is valid only until its transaction ends, is reset, or (for a
// WriteTxn) the same key is written. Copy what you keep.
//
// Caveats for operators (from LMDB's documentation): a long-lived read transaction pins old
// pages, so the responder resets its per-thread transactions between requests; never open the
// same environment twice in one process; never keep an environment across fork().
#pragma once

#include <lmdb.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include "x509/bytes.h"

namespace pkirepo::store {

// The named databases; their layouts are in schema.h.
// `revocations`, `blocked_keys`, `by_spki`, `by_domain` and `cert_names` came after the first
// release: a store written before them lacks the database, and a read-only Env then treats it as
// empty (has() is false) instead of failing to open.
enum class Db : unsigned {
  meta,
  cas,
  certs,
  by_expiry,
  ocsp,
  crls,
  audit,
  revocations,
  blocked_keys,
  by_spki,
  by_domain,
  cert_names,
  count_
};
[[nodiscard]] const char* db_name(Db db);

class StoreError : public std::runtime_error {
 public:
  StoreError(const std::string& what, int code) : std::runtime_error(what), code_(code) {}
  [[nodiscard]] int code() const { return code_; }

 private:
  int code_;
};

enum class OpenMode { read_only, read_write };

class Env {
 public:
  // read_write creates the directory and the databases. read_only fails with a StoreError
  // when the store does not exist (the responder must not start on an empty path).
  // `initial_map_size` applies to a writer (LMDB reserves address space, not disk).
  static constexpr size_t kDefaultMapSize = size_t{1} << 30;
  Env(const std::filesystem::path& dir, OpenMode mode, size_t initial_map_size = kDefaultMapSize);
  ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  [[nodiscard]] MDB_dbi dbi(Db db) const { return dbis_[static_cast<unsigned>(db)]; }
  // Whether the store has database `db` (always, once a writer opened it).
  [[nodiscard]] bool has(Db db) const { return present_[static_cast<unsigned>(db)]; }
  [[nodiscard]] bool read_only() const { return mode_ == OpenMode::read_only; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  // Doubles the map. Writer only, with no transaction open in this process.
  void grow();
  // After another process grew the map (MDB_MAP_RESIZED): adopt its size.
  void adopt_new_size();
  // The id of the newest committed write transaction, by any process: it changes exactly when
  // a writer committed. Throws StoreError.
  [[nodiscard]] uint64_t last_txn_id() const;
  // The current size of the memory map in bytes (it grows by doubling). Throws StoreError.
  [[nodiscard]] size_t map_size() const;
  // A compacted, consistent copy of the whole store written to `fd` (mdb_env_copyfd2), taken
  // from a read transaction while writers go on. Throws StoreError.
  void copy_compacted(int fd) const;

 private:
  friend class Txn;  // the raw handle stays inside this module
  [[nodiscard]] MDB_envinfo info() const;
  MDB_env* env_ = nullptr;
  MDB_dbi dbis_[static_cast<unsigned>(Db::count_)] = {};
  bool present_[static_cast<unsigned>(Db::count_)] = {};
  OpenMode mode_;
  std::filesystem::path dir_;
};

// What ReadTxn and WriteTxn share: lookups and cursors.
class Txn {
 public:
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  [[nodiscard]] const Env& env() const { return *env_; }
  // This transaction's id (a write transaction's is the id it commits as).
  [[nodiscard]] uint64_t id() const;
  // "Not found" is an ordinary result: nullopt. Other failures throw StoreError.
  [[nodiscard]] std::optional<ByteView> get(Db db, ByteView key) const;

 protected:
  Txn(Env& env, MDB_txn* txn) : env_(&env), txn_(txn) {}
  ~Txn() = default;
  // mdb_txn_begin, adopting a map another process grew. Throws StoreError.
  static MDB_txn* begin(Env& env, unsigned flags);
  friend class Cursor;
  Env* env_;
  MDB_txn* txn_;
};

class ReadTxn : public Txn {
 public:
  explicit ReadTxn(Env& env);
  ~ReadTxn();
  // Release the snapshot but keep the reader slot; renew() takes a fresh snapshot. The
  // responder does this per request so each lookup sees the latest committed signer run.
  void reset();
  void renew();
};

// Aborts in the destructor unless commit() ran: an exception anywhere leaves the store as it
// was (a failed command leaves no partial state). Only WriteStore (store.h), which holds the
// signer's lock, can open one: a reader has no way to write, not even by mistake.
class WriteTxn : public Txn {
 public:
  ~WriteTxn();
  // Throws StoreError (code MDB_MAP_FULL when the map is full; WriteStore grows and retries).
  void put(Db db, ByteView key, ByteView value);
  // false when the key was not there.
  bool del(Db db, ByteView key);
  void commit();

 private:
  friend class WriteStore;
  explicit WriteTxn(Env& env);
  bool done_ = false;
};

// Iterates one database in key order. Views are valid as for Txn::get().
class Cursor {
 public:
  Cursor(const Txn& txn, Db db);
  ~Cursor();
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  // Each returns false when there is no such entry.
  [[nodiscard]] bool first();
  [[nodiscard]] bool last();
  [[nodiscard]] bool seek(ByteView key);  // first entry with key >= `key`
  [[nodiscard]] bool next();
  [[nodiscard]] bool prev();
  [[nodiscard]] ByteView key() const { return view(key_); }
  [[nodiscard]] ByteView value() const { return view(value_); }
  // On a WriteTxn's cursor: writes `key` (throws as WriteTxn::put does). Keys written in
  // order through one cursor skip LMDB's descent from the root while the next key falls on
  // the page the cursor is on.
  void put(ByteView key, ByteView value);

 private:
  bool move(MDB_cursor_op op);
  static ByteView view(const MDB_val& v) {
    return {static_cast<const uint8_t*>(v.mv_data), v.mv_size};
  }
  MDB_cursor* cursor_ = nullptr;
  Db db_;
  MDB_val key_{};
  MDB_val value_{};
};

}  // namespace pkirepo::store
