// Connection-level abuse limits that libmicrohttpd 0.9.75 does not have (docs/responder.md,
// "Abuse limits"):
//
//  - a hard deadline for a request head (request line and headers) and, after it, for the
//    body: MHD's connection_timeout is an idle timeout, so a client that trickles one byte
//    every few seconds would otherwise hold its connection for ever;
//  - headroom under MHD's connection limit: when the open connections pass `soft_cap`, the
//    oldest connections whose request is not complete (head or body still coming, or a
//    kept-alive connection between requests) are closed, so the connection limit is never what
//    stands between a client that sends a whole request and its answer;
//  - a connection limit per IPv4 address and per IPv6 /64 (client_source.h), where MHD's own
//    limit counts exact addresses only.
//
// The Server calls admit() from MHD's accept policy callback, opened()/closed() from
// MHD_OPTION_NOTIFY_CONNECTION, and the Entry's phase setters from the access handler and
// MHD_OPTION_NOTIFY_COMPLETED; a thread of the guard's own runs sweep() every 200 ms.
// Closing is shutdown(2) of the socket (the Closer): the descriptor stays MHD's, whose worker
// sees end-of-file and closes the connection itself. An Entry leaves the guard in closed(),
// which MHD calls before it closes the descriptor, and the Closer runs under the same mutex:
// a descriptor is never shut down after MHD let it go.
//
// Time is passed in (steady clock), so the policy is tested without sockets or sleeps.
// Thread-safety: every member may be called from any thread; Entry's setters are lock-free.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "responder/client_source.h"

namespace pkirepo::responder {

class Metrics;

class ConnectionGuard {
 public:
  using Clock = std::chrono::steady_clock;

  struct Limits {
    size_t soft_cap = 3840;  // shed the oldest incomplete requests above this
    size_t per_source = 64;  // per IPv4 address / IPv6 /64; 0: unlimited
    Clock::duration head_timeout = std::chrono::seconds(10);
    Clock::duration body_timeout = std::chrono::seconds(5);
    // A kept-alive connection waits for its next request head at most
    // max(head_timeout, idle_timeout) after its previous response (MHD's idle timeout
    // closes a silent one at idle_timeout anyway).
    Clock::duration idle_timeout = std::chrono::seconds(10);
  };
  // The headroom the Server keeps under MHD's connection limit of `max_connections` shared by
  // `threads` workers (MHD splits its limit evenly between them).
  [[nodiscard]] static size_t soft_cap_for(size_t max_connections, size_t threads);

  // Called with a connection's socket to end it (shutdown(2) in the Server; a recorder in
  // tests). Runs under the guard's mutex: it must not call back into the guard.
  using Closer = std::function<void(int fd)>;

  enum class Phase : uint8_t {
    head,      // waiting for a request head (since accept, or since the previous response)
    body,      // head complete, reading a POST body
    handling,  // the request is complete: answering, sending
  };

  // One open connection, address stable from opened() to closed().
  class Entry {
   public:
    void set(Phase p, Clock::time_point now) noexcept {
      since_ns_.store(now.time_since_epoch().count(), std::memory_order_relaxed);
      phase_.store(static_cast<uint8_t>(p), std::memory_order_release);
    }
    // The request head is complete: the body phase begins when one is expected.
    void head_complete(bool expects_body, Clock::time_point now) noexcept {
      set(expects_body ? Phase::body : Phase::handling, now);
    }
    // MHD finished a request (NOTIFY_COMPLETED): a kept-alive connection waits for its next head.
    void request_done(Clock::time_point now) noexcept {
      served_.store(true, std::memory_order_relaxed);
      set(Phase::head, now);
    }
    [[nodiscard]] Phase phase() const noexcept {
      return static_cast<Phase>(phase_.load(std::memory_order_acquire));
    }

   private:
    friend class ConnectionGuard;
    std::atomic<uint8_t> phase_{static_cast<uint8_t>(Phase::head)};
    std::atomic<Clock::rep> since_ns_{0};
    std::atomic<bool> served_{false};  // a request completed on it before
    int fd_ = -1;
    SourceKey source_;
    size_t index_ = 0;      // in live_
    bool closing_ = false;  // the Closer ran (under mutex_)
  };

  // `metrics` (borrowed, may be nullptr in tests) counts what the guard closes and refuses.
  // `sweep_thread`: run sweep() every 200 ms on a thread of the guard's own until destruction.
  ConnectionGuard(Limits limits, Closer closer, Metrics* metrics, bool sweep_thread);
  ~ConnectionGuard();
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

  // Accept policy: false when `source` already holds per_source connections.
  [[nodiscard]] bool admit(const SourceKey& source);

  // A connection was accepted on `fd`. Registers it (phase head, since `now`) and, when the
  // open connections now exceed soft_cap, closes the oldest ones in phase head or body (by the
  // start of that phase; never this one while an older one waits), down to soft_cap minus a
  // batch. A
  // connection that got past admit() in a race over its source's limit is closed at once.
  // Returns the Entry, owned by the guard until closed().
  Entry& opened(int fd, const SourceKey& source, Clock::time_point now);
  // MHD is about to close the connection: the Entry is destroyed.
  void closed(Entry& entry) noexcept;

  // Closes every connection past its head or body deadline at `now`. Returns how many.
  size_t sweep(Clock::time_point now);

  [[nodiscard]] size_t open_connections() const;
  [[nodiscard]] size_t connections_from(const SourceKey& source) const;
  [[nodiscard]] const Limits& limits() const { return limits_; }

 private:
  enum class Reason { head_timeout, body_timeout, shed, per_source };
  void close_locked(Entry& e, Reason why);
  void sweeper();

  const Limits limits_;
  const Closer closer_;
  Metrics* metrics_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Entry>> live_;  // every open connection (closing ones too)
  size_t closing_ = 0;                        // of live_, how many the Closer already ran for
  std::unordered_map<SourceKey, uint32_t, SourceKeyHash> per_source_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace pkirepo::responder
