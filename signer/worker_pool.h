// The signing threads of a run: a fixed set of threads that run fn(worker, item) over
// [0, count) and tell when done. start() returns at once so the main thread can scan and commit
// while the workers sign (ca_run.cpp).
//
// Owns its threads: created by the constructor, joined by the destructor. One job at a time:
// start() may only be called when no job is running (after wait(), or before the first job).
// Each item is run exactly once, by one worker; `worker` (0 .. size() - 1) names the thread, so
// fn may use per-worker state (a signing context each) without locking.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pkirepo::signer {

class WorkerPool {
 public:
  using Fn = std::function<void(unsigned worker, size_t item)>;
  explicit WorkerPool(unsigned threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  [[nodiscard]] unsigned size() const { return static_cast<unsigned>(threads_.size()); }

  // Starts fn over items [0, count) on every worker; returns at once.
  void start(size_t count, Fn fn);
  // Blocks until every worker has finished the job last started.
  void wait();

 private:
  void loop(unsigned index);

  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  Fn fn_;
  size_t count_ = 0;
  std::atomic<size_t> next_{0};
  unsigned active_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
};

}  // namespace pkirepo::signer
