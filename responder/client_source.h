// The unit the responder's abuse limits count by: an IPv4 address, or an IPv6 /64 (one
// subscriber's LAN: a single host may use any address of its /64, RFC 4941, so a limit per
// exact IPv6 address is no limit). IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, a dual-stack
// listener) count as their IPv4 address.
//
// Thread-safety: plain values.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace pkirepo::responder {

struct SourceKey {
  // [0]: 4, 6, or 0 (unknown: a test's Request, or a family we do not count); then the IPv4
  // address (4 bytes) or the IPv6 /64 prefix (8 bytes), the rest zero.
  std::array<uint8_t, 9> bytes{};
  friend bool operator==(const SourceKey&, const SourceKey&) = default;
};

struct SourceKeyHash {
  [[nodiscard]] size_t operator()(const SourceKey& k) const noexcept;
};

// The key of a peer address (`sa` may be nullptr: unknown). Never reads past the address of
// the family `sa` names.
[[nodiscard]] SourceKey source_key_of(const sockaddr* sa) noexcept;

// "192.0.2.1", "2001:db8:1:2::/64" or "-", for logs and tests.
[[nodiscard]] std::string to_string(const SourceKey& k);

}  // namespace pkirepo::responder
