#include "store/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "store/cert_index.h"
#include "store/meta_keys.h"
#include "store/revocation_index.h"

namespace pkirepo::store {
namespace {

int take_lock(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  std::filesystem::path path = dir / "signer.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw StoreError(path.string() + ": cannot open lock file: " + std::strerror(errno), errno);
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    throw StoreError(dir.string() + ": another pkirepo-signer is using this store (lock held)",
                     EWOULDBLOCK);
  }
  return fd;
}

void check_schema(const Txn& txn, const std::filesystem::path& dir) {
  auto v = txn.get(Db::meta, as_bytes(meta::kSchemaVersion));
  if (v && (v->size() != 8 || read_be64(*v) != kSchemaVersion)) {
    const std::string found = v->size() == 8 ? std::to_string(read_be64(*v)) : "unreadable";
    const bool newer = v->size() == 8 && read_be64(*v) > kSchemaVersion;
    throw StoreError(dir.string() + ": store schema version " + found + ", this pkirepo knows " +
                         std::to_string(kSchemaVersion) +
                         (newer ? " (written by a newer pkirepo: run that release)"
                                : " (no migration from it)") +
                         "; nothing was changed",
                     EINVAL);
  }
}

}  // namespace

ReadStore::ReadStore(const std::filesystem::path& dir) : env_(dir, OpenMode::read_only) {
  ReadTxn txn(env_);
  check_schema(txn, dir);
}

namespace {
// What the WriteStore being constructed on this thread found: its constructor's handler needs
// it after the members are gone.
thread_local bool t_creating_store = false;
thread_local bool t_creating_dir = false;
}  // namespace

WriteStore::Creation WriteStore::detect_creation(const std::filesystem::path& dir) {
  std::error_code ec;
  Creation c;
  c.dir = !std::filesystem::exists(dir, ec);
  c.store = c.dir || !std::filesystem::exists(dir / "data.mdb", ec);
  t_creating_store = c.store;
  t_creating_dir = c.dir;
  return c;
}

WriteStore::WriteStore(const std::filesystem::path& dir, size_t initial_map_size) try
    : dir_(dir),
      created_(detect_creation(dir)),
      lock_fd_(take_lock(dir)),
      env_(dir, OpenMode::read_write, initial_map_size) {
  if (!created_.store) {
    // An existing store: refuse a schema we do not know before anything else touches it.
    ReadTxn txn(env_);
    check_schema(txn, dir);
  }
} catch (const StoreError& e) {
  // Opening a store this command was creating failed (a full disk, a read-only file system):
  // the destructor does not run for a half-built object, so the new files go here. Not when
  // another signer holds the lock: the store may be its own, being created.
  if (t_creating_store && e.code() != EWOULDBLOCK) {
    std::error_code ec;
    for (const char* name : {"data.mdb", "lock.mdb", "signer.lock"}) {
      std::filesystem::remove(dir / name, ec);
    }
    if (t_creating_dir) {
      std::filesystem::remove(dir, ec);  // only when empty
    }
  }
}

WriteStore::~WriteStore() {
  if (created_.store && !committed_) {
    // Nothing of ours was ever committed: take the new store away again. Unlinking files the
    // environment still has open is fine; env_ closes them right after.
    std::error_code ec;
    for (const char* name : {"data.mdb", "lock.mdb", "signer.lock"}) {
      std::filesystem::remove(dir_ / name, ec);
    }
    if (created_.dir) {
      std::filesystem::remove(dir_, ec);  // only when empty
    }
  }
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);
  }
}

void WriteStore::transact(const std::function<void(WriteTxn&)>& body) {
  for (int attempt = 0;; ++attempt) {
    try {
      WriteTxn txn(env_);
      if (!txn.get(Db::meta, as_bytes(meta::kSchemaVersion))) {
        txn.put(Db::meta, as_bytes(meta::kSchemaVersion), be64(kSchemaVersion));
        // A new store: every certificate enters the indexes with its record (put_new_cert).
        if (!Cursor(txn, Db::certs).first()) {
          mark_cert_index_complete(txn);
          mark_revocation_index_complete(txn);
        }
      }
      body(txn);
      txn.commit();
      committed_ = true;
      return;
    } catch (const StoreError& e) {
      if (e.code() != MDB_MAP_FULL || attempt >= 16) {
        throw;
      }
    }
    env_.grow();  // the failed transaction is gone: safe to resize now
  }
}

std::optional<CaRecord> get_ca(const Txn& txn, std::string_view id) {
  auto v = txn.get(Db::cas, as_bytes(id));
  if (!v) {
    return std::nullopt;
  }
  CaRecord r;
  if (!decode(*v, r)) {
    throw StoreError("cas/" + std::string(id) + ": malformed record", EINVAL);
  }
  return r;
}

std::vector<CaRecord> list_cas(const Txn& txn) {
  std::vector<CaRecord> out;
  Cursor c(txn, Db::cas);
  for (bool ok = c.first(); ok; ok = c.next()) {
    CaRecord r;
    if (!decode(c.value(), r)) {
      throw StoreError("cas: malformed record", EINVAL);
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::optional<CertRecord> get_cert(const Txn& txn, const Sha1Digest& issuer_key_id,
                                   ByteView serial) {
  auto v = txn.get(Db::certs, cert_key(issuer_key_id, serial));
  if (!v) {
    return std::nullopt;
  }
  CertRecord r;
  if (!decode(*v, r)) {
    throw StoreError("certs/" + to_hex(serial) + ": malformed record", EINVAL);
  }
  return r;
}

std::optional<uint64_t> get_meta_u64(const Txn& txn, std::string_view name) {
  auto v = txn.get(Db::meta, as_bytes(name));
  if (!v) {
    return std::nullopt;
  }
  return read_be64(*v);
}

std::optional<CrlRecord> get_crl(const Txn& txn, std::string_view ca_id, int shard) {
  auto v = txn.get(Db::crls, crl_key(ca_id, shard));
  if (!v) {
    return std::nullopt;
  }
  CrlRecord r;
  if (!decode(*v, r)) {
    throw StoreError("crls/" + std::string(ca_id) + ": malformed record", EINVAL);
  }
  return r;
}

std::optional<ByteView> get_ocsp_tail(const Txn& txn, uint64_t id) {
  return txn.get(Db::meta, as_bytes(meta::ocsp_tail(id)));
}

std::optional<Bytes> ocsp_der(const Txn& txn, const OcspView& view) {
  Bytes der(view.head.begin(), view.head.end());
  if (view.tail_id != 0) {
    const std::optional<ByteView> tail = get_ocsp_tail(txn, view.tail_id);
    if (!tail) {
      return std::nullopt;
    }
    der.insert(der.end(), tail->begin(), tail->end());
  }
  return der;
}

std::optional<OcspRecord> get_ocsp(const Txn& txn, ByteView key) {
  auto v = txn.get(Db::ocsp, key);
  if (!v) {
    return std::nullopt;
  }
  OcspView view;
  if (!decode_view(*v, view)) {
    throw StoreError("ocsp/" + to_hex(key) + ": malformed record", EINVAL);
  }
  std::optional<Bytes> der = ocsp_der(txn, view);
  if (!der) {
    throw StoreError(
        "ocsp/" + to_hex(key) + ": its tail " + meta::ocsp_tail(view.tail_id) + " is missing",
        EINVAL);
  }
  return OcspRecord{view.status, view.this_update, view.next_update, std::string(view.etag),
                    std::move(*der)};
}

void put_ocsp_tail(WriteTxn& txn, const OcspTail& tail) {
  if (tail.id == 0) {
    return;  // no tail (the CA signs its own responses)
  }
  const std::string name = meta::ocsp_tail(tail.id);
  if (auto have = txn.get(Db::meta, as_bytes(name))) {
    if (!std::equal(have->begin(), have->end(), tail.bytes.begin(), tail.bytes.end())) {
      throw StoreError("meta/" + name + ": holds another tail (hash collision)", EEXIST);
    }
    return;
  }
  txn.put(Db::meta, as_bytes(name), tail.bytes);
}

void put_ca(WriteTxn& txn, const CaRecord& record) {
  txn.put(Db::cas, as_bytes(record.id), encode(record));
}

void put_cert(WriteTxn& txn, const Sha1Digest& issuer_key_id, ByteView serial,
              const CertRecord& record) {
  const Bytes key = cert_key(issuer_key_id, serial);
  txn.put(Db::certs, key, encode(record));
  txn.put(Db::by_expiry, expiry_key(record.not_after, issuer_key_id, serial), {});
  if (record.status == CertStatus::revoked) {
    txn.put(
        Db::revocations, key,
        encode(RevocationRecord{record.revocation_time, record.reason, record.invalidity_date}));
  }
}

void put_new_cert(WriteTxn& txn, const Sha1Digest& issuer_key_id, ByteView serial,
                  const CertRecord& record, const X509* cert) {
  put_cert(txn, issuer_key_id, serial, record);
  index_cert(txn, cert_key(issuer_key_id, serial), cert);
}

std::optional<RevocationRecord> get_revocation(const Txn& txn, ByteView cert_key) {
  auto v = txn.get(Db::revocations, cert_key);
  if (!v) {
    return std::nullopt;
  }
  RevocationRecord r;
  if (!decode(*v, r)) {
    throw StoreError("malformed revocation record", EINVAL);
  }
  return r;
}

void put_meta_u64(WriteTxn& txn, std::string_view name, uint64_t value) {
  txn.put(Db::meta, as_bytes(name), be64(value));
}

}  // namespace pkirepo::store
