// Read transactions for the responder's threads: one per worker thread, reset between
// requests and renewed at the start of the next, so each request sees the latest committed
// signer run at the cost of no allocation (LMDB Caveats: never keep a snapshot open).
//
// MDB_MAP_RESIZED: when the signer grew the map, renewing fails until this process adopts the
// new size, which remaps the file. No other thread may be inside a transaction while that
// happens, so each Reader has its own mutex (uncontended on the hot path: only its thread
// takes it) and a resize takes every Reader's mutex first.
//
// Thread-safety: acquire()/release() from any thread; a Reader is used by one thread at a time.
#pragma once

#include <list>
#include <memory>
#include <mutex>

#include "store/lmdb.h"

namespace pkirepo::responder {

class ReaderPool {
 public:
  struct Reader {
    std::mutex mutex;
    std::unique_ptr<store::ReadTxn> txn;  // kept reset between uses
  };

  // `env` is borrowed (read-only store, outlives the pool and every Reader).
  explicit ReaderPool(store::Env& env) : env_(env) {}
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;

  // A new Reader with its own LMDB reader slot. Throws StoreError.
  [[nodiscard]] Reader& acquire();
  // Frees `r`; no thread may use it any more.
  void release(Reader& r);

  // Runs fn(const store::Txn&) on a fresh snapshot and resets it afterwards (even when fn
  // throws). Whatever fn returns must not point into the snapshot. Throws StoreError.
  template <class Fn>
  decltype(auto) with_snapshot(Reader& r, Fn&& fn) {
    for (int attempt = 0;; ++attempt) {
      std::unique_lock lock(r.mutex);
      if (!renew(r, attempt)) {
        lock.unlock();
        adopt_new_map_size();
        continue;
      }
      struct Reset {
        store::ReadTxn& txn;
        ~Reset() { txn.reset(); }
      } reset{*r.txn};
      return fn(static_cast<const store::Txn&>(*r.txn));
    }
  }

  [[nodiscard]] size_t size() const;

 private:
  // false when the map must be adopted first (only on the first attempt).
  bool renew(Reader& r, int attempt);
  void adopt_new_map_size();

  store::Env& env_;
  mutable std::mutex registry_mutex_;
  std::list<std::unique_ptr<Reader>> readers_;
};

}  // namespace pkirepo::responder
