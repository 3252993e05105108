#include "responder/nonce_limiter.h"

#include <algorithm>
#include <iterator>

namespace pkirepo::responder {

NonceLimiter::NonceLimiter(uint32_t rate, uint32_t burst, size_t max_sources)
    : rate_(std::max<uint32_t>(rate, 1)),
      burst_(std::max<uint32_t>(burst, 1)),
      max_per_shard_(std::max<size_t>(max_sources / kShards, 1)) {}

void NonceLimiter::refill(Bucket& b, UnixTime now) const {
  if (now > b.last) {  // a clock that steps back refills nothing
    b.tokens = std::min(burst_, b.tokens + static_cast<double>(now - b.last) * rate_);
    b.last = now;
  }
}

bool NonceLimiter::allow(const SourceKey& source, UnixTime now) {
  Shard& shard = shards_[SourceKeyHash{}(source) % kShards];
  std::lock_guard lock(shard.mutex);
  auto it = shard.buckets.find(source);
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= max_per_shard_ && shard.pruned != now) {
      shard.pruned = now;
      // Forget the sources whose bucket is full again: they would start afresh anyway.
      for (auto i = shard.buckets.begin(); i != shard.buckets.end();) {
        refill(i->second, now);
        i = i->second.tokens >= burst_ ? shard.buckets.erase(i) : std::next(i);
      }
    }
    if (shard.buckets.size() >= max_per_shard_) {
      return false;
    }
    it = shard.buckets.emplace(source, Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  refill(b, now);
  if (b.tokens < 1) {
    return false;
  }
  b.tokens -= 1;
  return true;
}

}  // namespace pkirepo::responder
