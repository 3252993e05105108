#include "store/lmdb.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "store/meta_keys.h"

namespace pkirepo::store {
namespace {

[[noreturn]] void fail(const std::string& what, int rc) {
  throw StoreError(what + ": " + mdb_strerror(rc), rc);
}

MDB_val to_val(ByteView v) {
  return MDB_val{v.size(), const_cast<uint8_t*>(v.data())};
}

// LMDB sizes lock.mdb with ftruncate and writes it through a shared map: on a full file system
// the first touch of a page that has no block yet kills the process with SIGBUS (a new store, or
// a reader taking a slot on a page never used). Its blocks are reserved here instead, where a
// full disk is an ordinary error. A larger file only gives LMDB more reader slots.
void reserve_lock_file(const std::filesystem::path& dir) {
  constexpr off_t kLockBytes = 128 * 1024;  // 1,024 readers of 64 bytes, and the header
  const std::filesystem::path lock = dir / "lock.mdb";
  const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0660);
  if (fd < 0) {
    return;  // mdb_env_open reports it with the reason
  }
  const int rc = ::posix_fallocate(fd, 0, kLockBytes);
  ::close(fd);
  if (rc != 0 && rc != EOPNOTSUPP && rc != EINVAL) {
    throw StoreError(lock.string() + ": cannot reserve space: " + std::strerror(rc), rc);
  }
}

// Why the environment is not a pkirepo store ("" when it is one, or is empty): another
// program's environment has database names of its own (or plain data) in the main database,
// or our names holding records without the schema version every store has from its first
// commit. A store of a newer pkirepo may hold a database this build does not know; its schema
// version says it is ours (store.cpp then checks the version). Runs before anything is created.
std::string not_ours(MDB_txn* txn) {
  MDB_dbi main = 0;
  if (mdb_dbi_open(txn, nullptr, 0, &main) != 0) {
    return {};
  }
  MDB_cursor* cursor = nullptr;
  if (mdb_cursor_open(txn, main, &cursor) != 0) {
    return {};
  }
  std::string foreign;
  std::vector<std::string> ours;
  MDB_val k{};
  MDB_val v{};
  for (int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    const std::string_view name(static_cast<const char*>(k.mv_data), k.mv_size);
    bool known = false;
    for (unsigned i = 0; i < static_cast<unsigned>(Db::count_) && !known; ++i) {
      known = name == db_name(static_cast<Db>(i));
    }
    if (known) {
      ours.emplace_back(name);
    } else if (foreign.empty()) {
      foreign = name.substr(0, 64);
      for (char& c : foreign) {
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
          c = '?';  // the name goes into a one-line message
        }
      }
    }
  }
  mdb_cursor_close(cursor);
  MDB_dbi meta = 0;
  MDB_val key{meta::kSchemaVersion.size(), const_cast<char*>(meta::kSchemaVersion.data())};
  MDB_val value{};
  if (mdb_dbi_open(txn, db_name(Db::meta), 0, &meta) == 0 &&
      mdb_get(txn, meta, &key, &value) == 0) {
    return {};  // versioned: ours (a newer release's databases included)
  }
  if (!foreign.empty()) {
    return "it holds the LMDB database \"" + foreign + "\", which is none of pkirepo's";
  }
  for (const std::string& name : ours) {
    MDB_dbi dbi = 0;
    MDB_stat stat{};
    if (mdb_dbi_open(txn, name.c_str(), 0, &dbi) == 0 && mdb_stat(txn, dbi, &stat) == 0 &&
        stat.ms_entries > 0) {
      // An empty store without a version is what a signer killed before its first commit
      // leaves; records without one are not pkirepo's.
      return "records in \"" + name + "\" but no schema version";
    }
  }
  return {};
}

}  // namespace

const char* db_name(Db db) {
  switch (db) {
    case Db::meta:
      return "meta";
    case Db::cas:
      return "cas";
    case Db::certs:
      return "certs";
    case Db::by_expiry:
      return "by_expiry";
    case Db::ocsp:
      return "ocsp";
    case Db::crls:
      return "crls";
    case Db::audit:
      return "audit";
    case Db::revocations:
      return "revocations";
    case Db::blocked_keys:
      return "blocked_keys";
    case Db::by_spki:
      return "by_spki";
    case Db::by_domain:
      return "by_domain";
    case Db::cert_names:
      return "cert_names";
    case Db::count_:
      break;
  }
  return "?";
}

Env::Env(const std::filesystem::path& dir, OpenMode mode, size_t initial_map_size)
    : mode_(mode), dir_(dir) {
  if (mode == OpenMode::read_write) {
    std::filesystem::create_directories(dir);
  } else if (!std::filesystem::exists(dir / "data.mdb")) {
    throw StoreError(dir.string() + ": no store here (run pkirepo-signer init first)", ENOENT);
  }
  if (mode == OpenMode::read_write && !std::filesystem::exists(dir / "data.mdb")) {
    reserve_lock_file(dir);  // a new store: LMDB writes the lock file's header at once
  }
  int rc = mdb_env_create(&env_);
  if (rc != 0) {
    fail("mdb_env_create", rc);
  }
  mdb_env_set_maxdbs(env_, static_cast<MDB_dbi>(Db::count_));
  mdb_env_set_maxreaders(env_, 1024);
  unsigned flags = MDB_NOTLS;  // read transactions belong to objects, not threads
  if (mode == OpenMode::read_only) {
    flags |= MDB_RDONLY;
  } else {
    mdb_env_set_mapsize(env_, initial_map_size);  // grows by doubling when full
  }
  rc = mdb_env_open(env_, dir.c_str(), flags, 0640);
  if (rc != 0) {
    mdb_env_close(env_);
    env_ = nullptr;
    if (rc == EACCES) {
      // Name the file this user may not use: a lock.mdb created by a reader (not group-
      // writable), or a store created by another user.
      for (const char* name : {"lock.mdb", "data.mdb"}) {
        const std::filesystem::path f = dir / name;
        const int need = name == std::string_view("data.mdb") && mode == OpenMode::read_only
                             ? R_OK
                             : R_OK | W_OK;
        if (std::filesystem::exists(f) && ::access(f.c_str(), need) != 0) {
          throw StoreError(f.string() +
                               ": permission denied for this user (the signer makes "
                               "lock.mdb 0660 and data.mdb 0640, group pkirepo; run "
                               "pkirepo-signer doctor)",
                           EACCES);
        }
      }
    }
    if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH) {
      throw StoreError((dir / "data.mdb").string() + ": not a store this pkirepo can read (" +
                           mdb_strerror(rc) + "); nothing was changed",
                       rc);
    }
    fail(dir.string() + ": cannot open store", rc);
  }
  const std::filesystem::path lock = dir / "lock.mdb";
  if (mode == OpenMode::read_write) {
    // Readers (responder, publisher) run as other users in the store's group and must write
    // lock.mdb to register their snapshots; data.mdb stays writable by the signer only.
    ::chmod(lock.c_str(), 0660);
  } else if (::access(lock.c_str(), W_OK) != 0) {
    // On a read-only lock file LMDB would silently run without reader locks (read-only
    // filesystem), and a signer run could then reuse pages a request is still reading.
    const int err = errno;
    mdb_env_close(env_);
    env_ = nullptr;
    if (err == EROFS) {
      // Typically a store directory swapped under a running service: its sandbox bound the
      // old directory's lock.mdb writable and sees the new one only on the read-only mount.
      throw StoreError(lock.string() +
                           ": on a read-only file system; readers need write access to "
                           "lock.mdb (after swapping a store directory under a sandboxed "
                           "service, restart it: docs/scale-out.md)",
                       EROFS);
    }
    throw StoreError(lock.string() +
                         ": not writable by this user; readers need write access "
                         "to lock.mdb (group-writable, see docs/operations.md)",
                     EACCES);
  }
  // Open (and when writable, create) every named database once; handles stay valid for the
  // environment's life.
  MDB_txn* txn = nullptr;
  rc = mdb_txn_begin(env_, nullptr, mode == OpenMode::read_only ? MDB_RDONLY : 0, &txn);
  if (rc != 0) {
    mdb_env_close(env_);
    env_ = nullptr;
    fail(dir.string() + ": cannot begin transaction", rc);
  }
  // Another program's LMDB environment must not gain our databases (MDB_CREATE below): refuse
  // it before anything is written.
  if (const std::string why = not_ours(txn); !why.empty()) {
    mdb_txn_abort(txn);
    mdb_env_close(env_);
    env_ = nullptr;
    throw StoreError(dir.string() + ": not a pkirepo store (" + why + "); nothing was changed",
                     EINVAL);
  }
  if (mode == OpenMode::read_write) {
    try {
      reserve_lock_file(dir);  // an existing store: reader slots on pages never used yet
    } catch (const StoreError&) {
      mdb_txn_abort(txn);
      mdb_env_close(env_);
      env_ = nullptr;
      throw;
    }
  }
  for (unsigned i = 0; i < static_cast<unsigned>(Db::count_); ++i) {
    rc = mdb_dbi_open(txn, db_name(static_cast<Db>(i)),
                      mode == OpenMode::read_only ? 0u : unsigned{MDB_CREATE}, &dbis_[i]);
    if (rc == MDB_NOTFOUND &&
        (static_cast<Db>(i) == Db::revocations || static_cast<Db>(i) == Db::blocked_keys ||
         static_cast<Db>(i) == Db::by_spki || static_cast<Db>(i) == Db::by_domain ||
         static_cast<Db>(i) == Db::cert_names)) {
      continue;  // an older store: readers see the database as empty
    }
    present_[i] = rc == 0;
    if (rc != 0) {
      mdb_txn_abort(txn);
      mdb_env_close(env_);
      env_ = nullptr;
      fail(dir.string() + ": cannot open database " + db_name(static_cast<Db>(i)), rc);
    }
  }
  rc = mdb_txn_commit(txn);
  if (rc != 0) {
    mdb_env_close(env_);
    env_ = nullptr;
    fail(dir.string() + ": cannot commit", rc);
  }
}

Env::~Env() {
  if (env_ != nullptr) {
    mdb_env_close(env_);
  }
}

void Env::grow() {
  const int rc = mdb_env_set_mapsize(env_, map_size() * 2);
  if (rc != 0) {
    fail(dir_.string() + ": cannot grow the store's map", rc);
  }
}

void Env::adopt_new_size() {
  int rc = mdb_env_set_mapsize(env_, 0);
  if (rc != 0) {
    fail(dir_.string() + ": cannot adopt the new map size", rc);
  }
}

std::optional<ByteView> Txn::get(Db db, ByteView key) const {
  if (!env_->has(db)) {
    return std::nullopt;
  }
  MDB_val k = to_val(key);
  MDB_val v{};
  int rc = mdb_get(txn_, env_->dbi(db), &k, &v);
  if (rc == MDB_NOTFOUND) {
    return std::nullopt;
  }
  if (rc != 0) {
    fail(std::string("get from ") + db_name(db), rc);
  }
  return ByteView(static_cast<const uint8_t*>(v.mv_data), v.mv_size);
}

MDB_txn* Txn::begin(Env& env, unsigned flags) {
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env.env_, nullptr, flags, &txn);
  if (rc == MDB_MAP_RESIZED) {
    env.adopt_new_size();
    rc = mdb_txn_begin(env.env_, nullptr, flags, &txn);
  }
  if (rc != 0) {
    fail(env.dir().string() + ": cannot begin transaction", rc);
  }
  return txn;
}

MDB_envinfo Env::info() const {
  MDB_envinfo info;
  const int rc = mdb_env_info(env_, &info);
  if (rc != 0) {
    fail(dir_.string() + ": cannot read the store's state", rc);
  }
  return info;
}

uint64_t Env::last_txn_id() const {
  return static_cast<uint64_t>(info().me_last_txnid);
}

size_t Env::map_size() const {
  return info().me_mapsize;
}

void Env::copy_compacted(int fd) const {
  const int rc = mdb_env_copyfd2(env_, fd, MDB_CP_COMPACT);
  if (rc != 0) {
    fail(dir_.string() + ": cannot copy the store", rc);
  }
}

uint64_t Txn::id() const {
  return static_cast<uint64_t>(mdb_txn_id(txn_));
}

ReadTxn::ReadTxn(Env& env) : Txn(env, begin(env, MDB_RDONLY)) {}
ReadTxn::~ReadTxn() {
  mdb_txn_abort(txn_);
}
void ReadTxn::reset() {
  mdb_txn_reset(txn_);
}
void ReadTxn::renew() {
  int rc = mdb_txn_renew(txn_);
  if (rc != 0) {
    fail(env_->dir().string() + ": cannot renew read transaction", rc);
  }
}

WriteTxn::WriteTxn(Env& env) : Txn(env, begin(env, 0)) {
  if (env.read_only()) {
    mdb_txn_abort(txn_);
    throw StoreError("write transaction on a read-only store", EACCES);
  }
}

WriteTxn::~WriteTxn() {
  if (!done_) {
    mdb_txn_abort(txn_);
  }
}

void WriteTxn::put(Db db, ByteView key, ByteView value) {
  MDB_val k = to_val(key);
  MDB_val v = to_val(value);
  int rc = mdb_put(txn_, env_->dbi(db), &k, &v, 0);
  if (rc != 0) {
    fail(std::string("put into ") + db_name(db), rc);
  }
}

bool WriteTxn::del(Db db, ByteView key) {
  MDB_val k = to_val(key);
  int rc = mdb_del(txn_, env_->dbi(db), &k, nullptr);
  if (rc == MDB_NOTFOUND) {
    return false;
  }
  if (rc != 0) {
    fail(std::string("delete from ") + db_name(db), rc);
  }
  return true;
}

void WriteTxn::commit() {
  done_ = true;  // after mdb_txn_commit the handle is freed whatever the result
  int rc = mdb_txn_commit(txn_);
  if (rc != 0) {
    fail(env_->dir().string() + ": commit failed", rc);
  }
}

Cursor::Cursor(const Txn& txn, Db db) : db_(db) {
  if (!txn.env().has(db)) {
    return;  // an empty database: every move finds nothing
  }
  int rc = mdb_cursor_open(txn.txn_, txn.env().dbi(db), &cursor_);
  if (rc != 0) {
    fail(std::string("cursor on ") + db_name(db), rc);
  }
}

Cursor::~Cursor() {
  if (cursor_ != nullptr) {
    mdb_cursor_close(cursor_);
  }
}

void Cursor::put(ByteView key, ByteView value) {
  if (cursor_ == nullptr) {
    throw StoreError(std::string("put into ") + db_name(db_) + ": the store lacks it", ENOENT);
  }
  MDB_val k = to_val(key);
  MDB_val v = to_val(value);
  int rc = mdb_cursor_put(cursor_, &k, &v, 0);
  if (rc != 0) {
    fail(std::string("put into ") + db_name(db_), rc);
  }
}

bool Cursor::move(MDB_cursor_op op) {
  if (cursor_ == nullptr) {
    return false;
  }
  int rc = mdb_cursor_get(cursor_, &key_, &value_, op);
  if (rc == MDB_NOTFOUND) {
    return false;
  }
  if (rc != 0) {
    fail("cursor", rc);
  }
  return true;
}

bool Cursor::first() {
  return move(MDB_FIRST);
}
bool Cursor::last() {
  return move(MDB_LAST);
}
bool Cursor::next() {
  return move(MDB_NEXT);
}
bool Cursor::prev() {
  return move(MDB_PREV);
}
bool Cursor::seek(ByteView key) {
  key_ = to_val(key);
  return move(MDB_SET_RANGE);
}

}  // namespace pkirepo::store
