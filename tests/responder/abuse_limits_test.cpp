// The abuse limits as plain objects, time passed in, no sockets: the ConnectionGuard's
// deadlines, shedding and per-source counts (a recorder stands in for shutdown(2)), the
// /64 grouping of IPv6 sources, the nonce token bucket, and the access log's escaping.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "responder/client_source.h"
#include "responder/connection_guard.h"
#include "responder/http.h"
#include "responder/metrics.h"
#include "responder/nonce_limiter.h"

using namespace pkirepo;
using namespace pkirepo::responder;
using namespace std::chrono_literals;
using Clock = ConnectionGuard::Clock;

namespace {

SourceKey v6(const char* text) {
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  REQUIRE(inet_pton(AF_INET6, text, &sa.sin6_addr) == 1);
  return source_key_of(reinterpret_cast<const sockaddr*>(&sa));
}

SourceKey v4(const char* text) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  REQUIRE(inet_pton(AF_INET, text, &sa.sin_addr) == 1);
  return source_key_of(reinterpret_cast<const sockaddr*>(&sa));
}

// A guard without its sweeper thread, whose "closes" are recorded.
struct Recorded {
  std::set<int> closed;
  Metrics metrics;
  ConnectionGuard guard;
  explicit Recorded(ConnectionGuard::Limits limits)
      : guard(
            limits, [this](int fd) { closed.insert(fd); }, &metrics, false) {}
};

}  // namespace

TEST_CASE("sources: an IPv4 address, an IPv6 /64, IPv4-mapped IPv6 as IPv4",
          "[responder][limits]") {
  CHECK(v6("2001:db8:1:2::1") == v6("2001:db8:1:2:ffff:eeee:dddd:cccc"));
  CHECK_FALSE(v6("2001:db8:1:2::1") == v6("2001:db8:1:3::1"));
  CHECK(v6("::ffff:192.0.2.7") == v4("192.0.2.7"));
  CHECK_FALSE(v4("192.0.2.7") == v4("192.0.2.8"));
  CHECK(to_string(v6("2001:db8:1:2::99")) == "2001:db8:1:2::/64");
  CHECK(to_string(v4("127.0.0.2")) == "127.0.0.2");
  CHECK(to_string(source_key_of(nullptr)) == "-");
}

TEST_CASE("per-source limit: every address of one /64 counts against it", "[responder][limits]") {
  ConnectionGuard::Limits limits;
  limits.per_source = 2;
  Recorded r(limits);
  const auto t0 = Clock::now();
  const SourceKey a = v6("2001:db8:0:7::1");
  const SourceKey b = v6("2001:db8:0:7::2");      // same /64
  const SourceKey other = v6("2001:db8:0:8::1");  // next /64
  REQUIRE(r.guard.admit(a));
  ConnectionGuard::Entry& e1 = r.guard.opened(10, a, t0);
  REQUIRE(r.guard.admit(b));
  r.guard.opened(11, b, t0);
  CHECK_FALSE(r.guard.admit(a));
  CHECK_FALSE(r.guard.admit(v6("2001:db8:0:7:abcd::1")));
  CHECK(r.guard.admit(other));
  CHECK(r.guard.connections_from(a) == 2);
  CHECK(r.metrics.count(AbuseEvent::per_source_refused) == 2);
  // One admitted in a race past the limit is closed at once.
  r.guard.opened(12, a, t0);
  CHECK(r.closed == std::set<int>{12});
  r.guard.closed(e1);
  CHECK(r.guard.connections_from(a) == 2);  // 11 and the closing 12
  CHECK(r.guard.open_connections() == 1);
}

TEST_CASE("deadlines: head, body, and the next head on a kept-alive connection",
          "[responder][limits]") {
  ConnectionGuard::Limits limits;
  limits.head_timeout = 10s;
  limits.body_timeout = 5s;
  limits.idle_timeout = 15s;
  Recorded r(limits);
  const auto t0 = Clock::now();
  const SourceKey s = v4("192.0.2.1");
  r.guard.opened(1, s, t0);                                // trickles its head
  r.guard.opened(2, s, t0).head_complete(true, t0 + 1s);   // then trickles its body
  r.guard.opened(3, s, t0).head_complete(false, t0 + 1s);  // answered: no deadline
  ConnectionGuard::Entry& kept = r.guard.opened(4, s, t0);
  kept.head_complete(false, t0 + 1s);
  kept.request_done(t0 + 2s);  // kept alive: next head by max(10 s, 15 s) after this

  CHECK(r.guard.sweep(t0 + 5s) == 0);
  CHECK(r.guard.sweep(t0 + 6s + 1ms) == 1);  // the body, 5 s after its head
  CHECK(r.closed == std::set<int>{2});
  CHECK(r.guard.sweep(t0 + 10s) == 0);  // exactly at the deadline: still in time
  CHECK(r.guard.sweep(t0 + 10s + 1ms) == 1);
  CHECK(r.closed == std::set<int>{1, 2});
  CHECK(r.guard.sweep(t0 + 17s) == 0);  // a kept-alive connection waits up to 15 s
  CHECK(r.guard.sweep(t0 + 17s + 1ms) == 1);
  CHECK(r.closed == std::set<int>{1, 2, 4});
  CHECK(r.guard.sweep(t0 + 3600s) == 0);  // 3 is being answered; each is closed once
  CHECK(r.metrics.count(AbuseEvent::head_timeout) == 2);
  CHECK(r.metrics.count(AbuseEvent::body_timeout) == 1);
}

TEST_CASE("at the soft cap the oldest connections without a whole request are closed first",
          "[responder][limits]") {
  ConnectionGuard::Limits limits;
  limits.soft_cap = 8;
  limits.per_source = 0;
  Recorded r(limits);
  const auto t0 = Clock::now();
  const SourceKey s = v4("192.0.2.1");
  std::vector<ConnectionGuard::Entry*> entries;
  for (int fd = 0; fd < 8; ++fd) {
    entries.push_back(&r.guard.opened(fd, s, t0 + std::chrono::seconds(fd)));
  }
  // 0 sent a whole request (being answered): never shed. 1 sent its head and is sending its
  // body since t0 + 20 s: younger than 2 and 3.
  entries[0]->head_complete(false, t0 + 20s);
  entries[1]->head_complete(true, t0 + 20s);
  CHECK(r.closed.empty());
  // The ninth: over the cap by one, plus a batch of max(1, 8 / 64) = 1: the two oldest of
  // those without a whole request (2 and 3), never the new one.
  ConnectionGuard::Entry& ninth = r.guard.opened(100, s, t0 + 30s);
  CHECK(r.closed == std::set<int>{2, 3});
  CHECK(r.guard.open_connections() == 7);
  CHECK(ninth.phase() == ConnectionGuard::Phase::head);
  CHECK(r.metrics.count(AbuseEvent::shed) == 2);
  // Every other connection is being answered: what is left to shed is 1's body and the new
  // ones; with every connection busy the cap is MHD's.
  for (size_t i = 4; i < entries.size(); ++i) {
    entries[i]->head_complete(false, t0 + 31s);
  }
  ninth.head_complete(false, t0 + 31s);
  r.guard.opened(101, s, t0 + 32s);
  r.guard.opened(102, s, t0 + 33s);
  CHECK(r.closed == std::set<int>{1, 2, 3, 101});  // 102 is younger than 101
}

TEST_CASE("the soft cap keeps headroom for every worker", "[responder][limits]") {
  CHECK(ConnectionGuard::soft_cap_for(4096, 2) == 3840);
  CHECK(ConnectionGuard::soft_cap_for(16, 2) == 12);
  CHECK(ConnectionGuard::soft_cap_for(64, 1) == 60);
  CHECK(ConnectionGuard::soft_cap_for(2, 8) == 1);
  CHECK(ConnectionGuard::soft_cap_for(1, 1) == 1);
}

TEST_CASE("nonce rate: a token bucket per source, bounded table", "[responder][limits][nonce]") {
  NonceLimiter limiter(2, 3, 32);
  const SourceKey a = v4("198.51.100.1");
  const SourceKey b = v6("2001:db8::1");
  const UnixTime t = 1795305600;
  for (int i = 0; i < 3; ++i) {
    CHECK(limiter.allow(a, t));
  }
  CHECK_FALSE(limiter.allow(a, t));  // burst spent
  CHECK(limiter.allow(b, t));        // another source has its own bucket
  CHECK(limiter.allow(v6("2001:db8::2"), t));
  CHECK(limiter.allow(v6("2001:db8::3"), t));
  CHECK_FALSE(limiter.allow(v6("2001:db8::4"), t));  // same /64 as b
  CHECK(limiter.allow(a, t + 1));                    // 2 per second
  CHECK(limiter.allow(a, t + 1));
  CHECK_FALSE(limiter.allow(a, t + 1));
  CHECK_FALSE(limiter.allow(a, t));  // a clock stepping back refills nothing

  // 32 sources over 16 shards: 2 per shard. A flood of new sources fills the table; those
  // that find their shard full are refused (served without nonce), never stored.
  NonceLimiter small(1, 1, 32);
  int allowed = 0;
  for (uint32_t i = 0; i < 1000; ++i) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(0x0a000000 + i);
    allowed += small.allow(source_key_of(reinterpret_cast<const sockaddr*>(&sa)), t) ? 1 : 0;
  }
  CHECK(allowed <= 32);
  CHECK(allowed >= 16);
  // A second later the quiet buckets are full again and forgotten: new sources get in.
  CHECK(small.allow(v4("203.0.113.9"), t + 2));
}

TEST_CASE("access log fields: control characters, quotes and backslashes escaped",
          "[responder][limits][log]") {
  std::string out;
  append_log_escaped(out, std::string("/a\"b\\c\r\nX 1.2.3.4 - \x1b[31m\x7f\xff", 27), 512);
  CHECK(out == "/a\\x22b\\x5cc\\x0d\\x0aX 1.2.3.4 - \\x1b[31m\\x7f\\xff");
  out.clear();
  append_log_escaped(out, std::string(600, 'A'), 512);
  CHECK(out == std::string(512, 'A') + "...");
  out.clear();
  append_log_escaped(out, "/ocsp/MFMwUTBPME0wSzAJBgUrDgMCGgUABBT%2B", 512);
  CHECK(out == "/ocsp/MFMwUTBPME0wSzAJBgUrDgMCGgUABBT%2B");
}
