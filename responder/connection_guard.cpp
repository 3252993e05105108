#include "responder/connection_guard.h"

#include <algorithm>

#include "responder/metrics.h"

namespace pkirepo::responder {

size_t ConnectionGuard::soft_cap_for(size_t max_connections, size_t threads) {
  // 1/16 of the limit, and at least two per worker so that each worker (MHD gives each
  // max_connections / threads) keeps a free slot however unevenly the kernel spreads accepts.
  size_t headroom = std::max(max_connections / 16, 2 * std::max<size_t>(threads, 1));
  headroom = std::min(headroom, max_connections / 2);
  return std::max<size_t>(max_connections - headroom, 1);
}

ConnectionGuard::ConnectionGuard(Limits limits, Closer closer, Metrics* metrics, bool sweep_thread)
    : limits_(limits), closer_(std::move(closer)), metrics_(metrics) {
  if (sweep_thread) {
    thread_ = std::thread([this] { sweeper(); });
  }
}

ConnectionGuard::~ConnectionGuard() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void ConnectionGuard::sweeper() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    stop_cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stop_; });
    if (stop_) {
      break;
    }
    lock.unlock();
    (void)sweep(Clock::now());
    lock.lock();
  }
}

bool ConnectionGuard::admit(const SourceKey& source) {
  if (limits_.per_source == 0) {
    return true;
  }
  std::lock_guard lock(mutex_);
  auto it = per_source_.find(source);
  if (it != per_source_.end() && it->second >= limits_.per_source) {
    if (metrics_ != nullptr) {
      metrics_->note(AbuseEvent::per_source_refused);
    }
    return false;
  }
  return true;
}

ConnectionGuard::Entry& ConnectionGuard::opened(int fd, const SourceKey& source,
                                                Clock::time_point now) {
  auto fresh = std::make_unique<Entry>();
  Entry& e = *fresh;
  e.fd_ = fd;
  e.source_ = source;
  e.set(Phase::head, now);
  std::lock_guard lock(mutex_);
  e.index_ = live_.size();
  live_.push_back(std::move(fresh));
  if (metrics_ != nullptr) {
    metrics_->connection_opened();
  }
  const uint32_t from_source = ++per_source_[source];
  if (limits_.per_source != 0 && from_source > limits_.per_source) {
    close_locked(e, Reason::per_source);  // admitted in a race with another worker
    return e;
  }
  const size_t open = live_.size() - closing_;
  if (open <= limits_.soft_cap) {
    return e;
  }
  // Over the soft cap: close the oldest connections that have not sent a whole request (head
  // or body still coming), plus a batch, so that the scan (O(open)) runs once per batch of
  // accepts, not per accept.
  const size_t batch = std::max<size_t>(1, limits_.soft_cap / 64);
  const size_t want = open - limits_.soft_cap + batch;
  std::vector<Entry*> candidates;
  candidates.reserve(open);
  for (const auto& p : live_) {
    if (p.get() != &e && !p->closing_ && p->phase() != Phase::handling) {
      candidates.push_back(p.get());
    }
  }
  const size_t n = std::min(want, candidates.size());
  auto older = [](const Entry* a, const Entry* b) {
    return a->since_ns_.load(std::memory_order_relaxed) <
           b->since_ns_.load(std::memory_order_relaxed);
  };
  std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(n),
                    candidates.end(), older);
  for (size_t i = 0; i < n; ++i) {
    close_locked(*candidates[i], Reason::shed);
  }
  return e;
}

void ConnectionGuard::closed(Entry& entry) noexcept {
  std::lock_guard lock(mutex_);
  auto it = per_source_.find(entry.source_);
  if (it != per_source_.end() && --it->second == 0) {
    per_source_.erase(it);
  }
  if (entry.closing_) {
    --closing_;
  }
  if (metrics_ != nullptr) {
    metrics_->connection_closed();
  }
  // Swap with the last and pop: O(1), indexes kept in step.
  const size_t i = entry.index_;
  if (i != live_.size() - 1) {
    live_[i] = std::move(live_.back());
    live_[i]->index_ = i;
  }
  live_.pop_back();  // destroys `entry`
}

void ConnectionGuard::close_locked(Entry& e, Reason why) {
  if (e.closing_) {
    return;
  }
  e.closing_ = true;
  ++closing_;
  closer_(e.fd_);
  if (metrics_ == nullptr) {
    return;
  }
  switch (why) {
    case Reason::head_timeout:
      metrics_->note(AbuseEvent::head_timeout);
      break;
    case Reason::body_timeout:
      metrics_->note(AbuseEvent::body_timeout);
      break;
    case Reason::shed:
      metrics_->note(AbuseEvent::shed);
      break;
    case Reason::per_source:
      metrics_->note(AbuseEvent::per_source_refused);
      break;
  }
}

size_t ConnectionGuard::sweep(Clock::time_point now) {
  const Clock::rep now_ns = now.time_since_epoch().count();
  const Clock::rep head = limits_.head_timeout.count();
  const Clock::rep kept_alive = std::max(limits_.head_timeout, limits_.idle_timeout).count();
  const Clock::rep body = limits_.body_timeout.count();
  size_t closed_now = 0;
  std::lock_guard lock(mutex_);
  for (const auto& p : live_) {
    Entry& e = *p;
    if (e.closing_) {
      continue;
    }
    const Phase phase = e.phase();
    const Clock::rep age = now_ns - e.since_ns_.load(std::memory_order_relaxed);
    if (phase == Phase::head &&
        age > (e.served_.load(std::memory_order_relaxed) ? kept_alive : head)) {
      close_locked(e, Reason::head_timeout);
      ++closed_now;
    } else if (phase == Phase::body && age > body) {
      close_locked(e, Reason::body_timeout);
      ++closed_now;
    }
  }
  return closed_now;
}

size_t ConnectionGuard::open_connections() const {
  std::lock_guard lock(mutex_);
  return live_.size() - closing_;
}

size_t ConnectionGuard::connections_from(const SourceKey& source) const {
  std::lock_guard lock(mutex_);
  auto it = per_source_.find(source);
  return it == per_source_.end() ? 0 : it->second;
}

}  // namespace pkirepo::responder
