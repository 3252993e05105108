// The signing threads of a run: see worker_pool.h.
#include "signer/worker_pool.h"

#include <utility>

namespace pkirepo::signer {

WorkerPool::WorkerPool(unsigned threads) {
  for (unsigned i = 0; i < threads; ++i) {
    threads_.emplace_back([this, i] { loop(i); });
  }
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) {
    t.join();
  }
}

void WorkerPool::start(size_t count, Fn fn) {
  std::lock_guard<std::mutex> lock(mutex_);
  fn_ = std::move(fn);
  count_ = count;
  next_ = 0;
  active_ = size();
  ++generation_;
  wake_.notify_all();
}

void WorkerPool::wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return active_ == 0; });
}

void WorkerPool::loop(unsigned index) {
  uint64_t seen = 0;
  for (;;) {
    Fn fn;
    size_t count = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) {
        return;
      }
      seen = generation_;
      fn = fn_;
      count = count_;
    }
    for (size_t i = next_++; i < count; i = next_++) {
      fn(index, i);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (--active_ == 0) {
      done_.notify_all();
    }
  }
}

}  // namespace pkirepo::signer
