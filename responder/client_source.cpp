#include "responder/client_source.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace pkirepo::responder {

size_t SourceKeyHash::operator()(const SourceKey& k) const noexcept {
  // FNV-1a over 9 bytes: the keys are few (one per client) and not attacker-chosen beyond the
  // address itself; buckets are bounded by the limits that use them.
  uint64_t h = 1469598103934665603ULL;
  for (uint8_t b : k.bytes) {
    h = (h ^ b) * 1099511628211ULL;
  }
  return static_cast<size_t>(h);
}

SourceKey source_key_of(const sockaddr* sa) noexcept {
  SourceKey k;
  if (sa == nullptr) {
    return k;
  }
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    k.bytes[0] = 4;
    std::memcpy(&k.bytes[1], &in->sin_addr, 4);
  } else if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    const uint8_t* a = in6->sin6_addr.s6_addr;
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(a, kMapped, sizeof kMapped) == 0) {
      k.bytes[0] = 4;
      std::memcpy(&k.bytes[1], a + 12, 4);
    } else {
      k.bytes[0] = 6;
      std::memcpy(&k.bytes[1], a, 8);  // the /64
    }
  }
  return k;
}

std::string to_string(const SourceKey& k) {
  char buf[INET6_ADDRSTRLEN] = "-";
  if (k.bytes[0] == 4) {
    inet_ntop(AF_INET, &k.bytes[1], buf, sizeof buf);
    return buf;
  }
  if (k.bytes[0] == 6) {
    uint8_t a[16] = {};
    std::memcpy(a, &k.bytes[1], 8);
    inet_ntop(AF_INET6, a, buf, sizeof buf);
    return std::string(buf) + "/64";
  }
  return buf;
}

}  // namespace pkirepo::responder
