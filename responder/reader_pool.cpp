#include "responder/reader_pool.h"

#include <vector>

namespace pkirepo::responder {

ReaderPool::Reader& ReaderPool::acquire() {
  std::lock_guard registry(registry_mutex_);
  // Creating a transaction may itself adopt a new map size (store/lmdb.cpp): do it while no
  // Reader is inside a snapshot.
  std::vector<std::unique_lock<std::mutex>> held;
  held.reserve(readers_.size());
  for (auto& other : readers_) {
    held.emplace_back(other->mutex);
  }
  auto r = std::make_unique<Reader>();
  r->txn = std::make_unique<store::ReadTxn>(env_);
  r->txn->reset();
  readers_.push_back(std::move(r));
  return *readers_.back();
}

void ReaderPool::release(Reader& r) {
  std::lock_guard registry(registry_mutex_);
  readers_.remove_if([&](const std::unique_ptr<Reader>& p) { return p.get() == &r; });
}

size_t ReaderPool::size() const {
  std::lock_guard registry(registry_mutex_);
  return readers_.size();
}

bool ReaderPool::renew(Reader& r, int attempt) {
  try {
    r.txn->renew();
    return true;
  } catch (const store::StoreError& e) {
    if (e.code() != MDB_MAP_RESIZED || attempt > 0) {
      throw;
    }
    return false;  // the failed renew left the transaction reset: renew again after adopting
  }
}

void ReaderPool::adopt_new_map_size() {
  std::lock_guard registry(registry_mutex_);
  std::vector<std::unique_lock<std::mutex>> held;
  held.reserve(readers_.size());
  for (auto& r : readers_) {
    held.emplace_back(r->mutex);
  }
  env_.adopt_new_size();
}

}  // namespace pkirepo::responder
