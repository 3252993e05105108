// Prometheus counters for the responder (text exposition format 0.0.4).
//
// Each worker thread writes to its own Block (no shared cache lines on the hot path); a scrape
// sums every block. Blocks are created on a thread's first request and live as long as the
// Metrics object, so their totals survive a SIGHUP daemon restart.
//
// Thread-safety: Block::record() from its one owning thread; everything else from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

#include "responder/http.h"

namespace pkirepo::responder {

// What the abuse limits (connection_guard.h, nonce_limiter.h) close or refuse.
enum class AbuseEvent : uint8_t {
  head_timeout,        // closed: request head incomplete at responder.request_head_timeout
  body_timeout,        // closed: body incomplete at responder.request_body_timeout
  shed,                // closed: waiting for a head while the connections were at the soft cap
  per_source_refused,  // refused: the IPv4 address or IPv6 /64 held per_ip_connections
  nonce_rate_limited,  // a nonce not signed: the source was over responder.nonce_rate
  count_
};
[[nodiscard]] const char* abuse_event_name(AbuseEvent e);

class Metrics {
 public:
  // Upper bounds of the latency histogram, in seconds (the last bucket is +Inf).
  static constexpr std::array<double, 12> kLatencyBounds = {2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4,
                                                            2.5e-4, 5e-4, 1e-3, 1e-2,   1e-1, 1.0};

  struct alignas(64) Block {
    std::array<std::array<std::atomic<uint64_t>, static_cast<size_t>(Outcome::count_)>,
               static_cast<size_t>(Route::count_)>
        requests{};
    std::array<std::atomic<uint64_t>, kLatencyBounds.size() + 1> latency_buckets{};
    std::atomic<uint64_t> latency_sum_ns{0};
    // Single writer: plain load + store, no locked read-modify-write.
    void record(Route route, Outcome outcome, uint64_t latency_ns);
  };

  // A new block owned by this object, address stable for its life.
  [[nodiscard]] Block& new_block();

  // Values read from elsewhere at scrape time.
  struct Gauges {
    double store_age_seconds = -1;  // now − meta "last_run"; < 0: no signer run yet
    uint64_t ocsp_records = 0;
    uint64_t expired_ocsp_records = 0;  // of expired certificates: served, not judged
    uint64_t crl_records = 0;
    uint64_t records_past_next_update = 0;  // at the last store scan
    double seconds_to_earliest_next_update = 0;
    bool scanned = false;
  };
  void render(const Gauges& gauges, std::string& out) const;

  // Sum over all blocks (tests, /healthz detail).
  [[nodiscard]] uint64_t count(Route route, Outcome outcome) const;

  // Abuse-limit events and the open-connection gauge: rare next to requests, so one shared
  // atomic each (any thread; const because the Responder holds a const Metrics&).
  void note(AbuseEvent e) const noexcept {
    events_[static_cast<size_t>(e)].fetch_add(1, std::memory_order_relaxed);
  }
  [[nodiscard]] uint64_t count(AbuseEvent e) const noexcept {
    return events_[static_cast<size_t>(e)].load(std::memory_order_relaxed);
  }
  void connection_opened() const noexcept { open_connections_.fetch_add(1); }
  void connection_closed() const noexcept { open_connections_.fetch_sub(1); }

 private:
  mutable std::mutex mutex_;
  std::deque<Block> blocks_;
  mutable std::array<std::atomic<uint64_t>, static_cast<size_t>(AbuseEvent::count_)> events_{};
  mutable std::atomic<int64_t> open_connections_{0};
};

}  // namespace pkirepo::responder
