// [ocsp] nonce = "sign" costs a signature per request; this bounds how many one client can
// force: a token bucket per source (an IPv4 address or an IPv6 /64, client_source.h) refilled
// at `rate` per second up to `burst`. A request over the limit is answered with the
// pre-signed response, without its nonce (RFC 9654 2.1 / RFC 6960 4.4.1 leave the nonce to
// the responder; clients fall back or fail closed as they would against a responder that
// ignores nonces).
//
// Memory is bounded: at most `max_sources` buckets. When the table is full, buckets that have
// refilled (their client went quiet) are forgotten; when none has, a new source is refused
// (served without nonce): under a flood of sources signing stops before memory grows.
//
// Time is passed in (seconds, the Request's `now`). Thread-safety: allow() from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "responder/client_source.h"
#include "x509/time.h"

namespace pkirepo::responder {

class NonceLimiter {
 public:
  static constexpr size_t kDefaultMaxSources = 65536;
  // rate: tokens per second (> 0); burst: bucket size (≥ 1).
  NonceLimiter(uint32_t rate, uint32_t burst, size_t max_sources = kDefaultMaxSources);
  NonceLimiter(const NonceLimiter&) = delete;
  NonceLimiter& operator=(const NonceLimiter&) = delete;

  // Takes a token from `source`'s bucket at `now`; false when it has none.
  [[nodiscard]] bool allow(const SourceKey& source, UnixTime now);

 private:
  struct Bucket {
    double tokens = 0;
    UnixTime last = 0;
  };
  static constexpr size_t kShards = 16;  // one lock per shard: signing threads rarely meet
  struct alignas(64) Shard {
    std::mutex mutex;
    std::unordered_map<SourceKey, Bucket, SourceKeyHash> buckets;
    UnixTime pruned = 0;  // a full shard is scanned at most once a second
  };
  void refill(Bucket& b, UnixTime now) const;

  const double rate_;
  const double burst_;
  const size_t max_per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace pkirepo::responder
