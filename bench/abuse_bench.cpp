// The slow-client attack of issue #19 against a running responder, and a normal client beside
// it (bench/abuse_bench builds and runs it):
//
//   abuse_bench --port P [--ocsp-path /ocsp/<base64>] [--sources 70] [--per-source 64]
//               [--byte-every-ms 2000] [--seconds 40] [--normal-every-ms 100]
//
// Slow clients: --sources loopback addresses 127.0.0.2, 127.0.0.3, ... (all of 127/8 is
// loopback on Linux; each socket is bound to its source before connect), --per-source
// connections each, every one sending one byte of a request head that never ends every
// --byte-every-ms. A connection the server closes is opened again at its next turn (at most
// one reconnect per connection per period, as slowloris tools do).
// Normal client (its own thread, from 127.0.0.1): every --normal-every-ms a GET /healthz and,
// with --ocsp-path, a GET of that OCSP request, each on a new connection, timed from connect
// to the end of the answer (5 s timeout).
// Prints how long the slow connections lived (from connect to the server's close) and the
// normal client's latencies. Only ever talks to 127.0.0.0/8.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int port = 0;
  std::string ocsp_path;
  int sources = 70;
  int per_source = 64;
  int byte_every_ms = 2000;
  int seconds = 40;
  int normal_every_ms = 100;
};

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  const auto i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

sockaddr_in loopback(uint32_t host_part, int port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(0x7f000000u | host_part);
  return sa;
}

// One slow connection: its socket (-1 while closed), when it was opened, its next turn.
struct Slow {
  int fd = -1;
  uint32_t source = 0;  // host part of 127.0.0.x
  Clock::time_point opened;
  Clock::time_point next_turn;
  size_t sent = 0;
};

constexpr char kHead[] =
    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\nX-Padding: "
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

class SlowClients {
 public:
  explicit SlowClients(const Options& o) : o_(o), epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (epoll_ < 0) {
      std::perror("epoll_create1");
      std::exit(1);
    }
    const auto start = Clock::now();
    const size_t n = static_cast<size_t>(o.sources) * static_cast<size_t>(o.per_source);
    conns_.resize(n);
    for (size_t i = 0; i < n; ++i) {
      conns_[i].source = 2 + static_cast<uint32_t>(i % static_cast<size_t>(o.sources));
      // Turns spread evenly over one period.
      conns_[i].next_turn =
          start + std::chrono::microseconds(static_cast<int64_t>(i) * o.byte_every_ms * 1000 /
                                            static_cast<int64_t>(n));
    }
  }
  ~SlowClients() {
    for (Slow& s : conns_) {
      if (s.fd >= 0) {
        ::close(s.fd);
      }
    }
    ::close(epoll_);
  }
  SlowClients(const SlowClients&) = delete;
  SlowClients& operator=(const SlowClients&) = delete;

  void run_until(Clock::time_point end) {
    std::vector<epoll_event> events(1024);
    while (Clock::now() < end) {
      const auto now = Clock::now();
      for (size_t i = 0; i < conns_.size(); ++i) {
        Slow& s = conns_[i];
        if (s.next_turn > now) {
          continue;
        }
        s.next_turn += std::chrono::milliseconds(o_.byte_every_ms);
        if (s.fd < 0 && !open(i)) {
          continue;
        }
        const char byte = kHead[s.sent % (sizeof kHead - 1)];
        if (::send(s.fd, &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1) {
          ++s.sent;
          ++bytes_sent_;
        } else if (errno != EAGAIN && errno != ENOTCONN && errno != EWOULDBLOCK) {
          closed(i);
        }
      }
      const int k = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 10);
      for (int e = 0; e < k; ++e) {
        const auto i = static_cast<size_t>(events[static_cast<size_t>(e)].data.u64);
        char buf[512];
        const ssize_t r = ::recv(conns_[i].fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r > 0) {
          ++answered_;  // the server answered a head that never ended: should not happen
        } else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
          closed(i);
        }
      }
      if (Clock::now() - last_count_ > std::chrono::seconds(1)) {
        last_count_ = Clock::now();
        size_t open_now = 0;
        for (const Slow& s : conns_) {
          open_now += s.fd >= 0 ? 1 : 0;
        }
        open_samples_.push_back(open_now);
      }
    }
  }

  void report(Clock::time_point end) const {
    std::vector<double> open_ages;
    for (const Slow& s : conns_) {
      if (s.fd >= 0) {
        open_ages.push_back(ms_between(s.opened, end) / 1000);
      }
    }
    size_t open_max = 0;
    for (size_t v : open_samples_) {
      open_max = std::max(open_max, v);
    }
    std::printf(
        "slow connections: %zu targeted (%d sources x %d), %zu opened, %zu connect failures, %zu "
        "bytes sent; closed by the server: %zu, lifetime p50 %.2f s, p99 %.2f s, max %.2f s; "
        "open at once: max %zu; open at the end: %zu, oldest %.2f s; answered: %zu\n",
        conns_.size(), o_.sources, o_.per_source, opened_, connect_failures_, bytes_sent_,
        lifetimes_.size(), percentile(lifetimes_, 0.5), percentile(lifetimes_, 0.99),
        lifetimes_.empty() ? 0.0 : *std::max_element(lifetimes_.begin(), lifetimes_.end()),
        open_max, open_ages.size(),
        open_ages.empty() ? 0.0 : *std::max_element(open_ages.begin(), open_ages.end()), answered_);
  }

 private:
  bool open(size_t i) {
    Slow& s = conns_[i];
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      ++connect_failures_;
      return false;
    }
    const sockaddr_in src = loopback(s.source, 0);
    const sockaddr_in dst = loopback(1, o_.port);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&src), sizeof src) != 0 ||
        (::connect(fd, reinterpret_cast<const sockaddr*>(&dst), sizeof dst) != 0 &&
         errno != EINPROGRESS)) {
      ::close(fd);
      ++connect_failures_;
      return false;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = i;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
    s.fd = fd;
    s.opened = Clock::now();
    s.sent = 0;
    ++opened_;
    return true;
  }

  void closed(size_t i) {
    Slow& s = conns_[i];
    lifetimes_.push_back(ms_between(s.opened, Clock::now()) / 1000);
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, s.fd, nullptr);
    ::close(s.fd);
    s.fd = -1;
  }

  const Options& o_;
  int epoll_;
  std::vector<Slow> conns_;
  std::vector<double> lifetimes_;
  std::vector<size_t> open_samples_;
  Clock::time_point last_count_ = Clock::now();
  size_t opened_ = 0;
  size_t connect_failures_ = 0;
  size_t bytes_sent_ = 0;
  size_t answered_ = 0;
};

// One GET on a new connection from 127.0.0.1; the status (0: failed) and the time it took.
int one_get(int port, const std::string& path, double& ms) {
  const auto start = Clock::now();
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int status = 0;
  if (fd >= 0) {
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const sockaddr_in dst = loopback(1, port);
    const std::string req =
        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&dst), sizeof dst) == 0 &&
        ::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      std::string reply;
      char buf[4096];
      for (int i = 0; i < 256; ++i) {  // bounded: small answers, then the close
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
          if (n < 0) {
            reply.clear();  // timed out
          }
          break;
        }
        reply.append(buf, static_cast<size_t>(n));
      }
      if (reply.starts_with("HTTP/1.1 ") && reply.size() >= 12) {
        status = std::atoi(reply.substr(9, 3).c_str());
      }
    }
    ::close(fd);
  }
  ms = ms_between(start, Clock::now());
  return status;
}

struct NormalClient {
  std::vector<double> latencies;
  std::map<std::string, std::map<int, int>> statuses;  // path kind → status → count

  void run(const Options& o, Clock::time_point end) {
    auto next = Clock::now();
    while (Clock::now() < end) {
      double ms = 0;
      ++statuses["healthz"][one_get(o.port, "/healthz", ms)];
      latencies.push_back(ms);
      if (!o.ocsp_path.empty()) {
        ++statuses["ocsp"][one_get(o.port, o.ocsp_path, ms)];
        latencies.push_back(ms);
      }
      next += std::chrono::milliseconds(o.normal_every_ms);
      std::this_thread::sleep_until(next);
    }
  }

  void report() const {
    std::printf("normal client: %zu requests, statuses", latencies.size());
    for (const auto& [kind, counts] : statuses) {
      for (const auto& [status, n] : counts) {
        std::printf(" %s:%d x%d", kind.c_str(), status, n);
      }
    }
    std::printf("; latency p50 %.2f ms, p99 %.2f ms, worst %.2f ms\n", percentile(latencies, 0.5),
                percentile(latencies, 0.99),
                latencies.empty() ? 0.0 : *std::max_element(latencies.begin(), latencies.end()));
  }
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    const char* v = argv[i + 1];
    if (name == "--port") {
      o.port = std::atoi(v);
    } else if (name == "--ocsp-path") {
      o.ocsp_path = v;
    } else if (name == "--sources") {
      o.sources = std::atoi(v);
    } else if (name == "--per-source") {
      o.per_source = std::atoi(v);
    } else if (name == "--byte-every-ms") {
      o.byte_every_ms = std::atoi(v);
    } else if (name == "--seconds") {
      o.seconds = std::atoi(v);
    } else if (name == "--normal-every-ms") {
      o.normal_every_ms = std::atoi(v);
    } else {
      std::fprintf(stderr, "abuse_bench: unknown option %s\n", name.c_str());
      return 2;
    }
  }
  if (o.port <= 0 || o.sources < 1 || o.sources > 250 || o.per_source < 1 || o.byte_every_ms < 1 ||
      o.seconds < 1 || o.normal_every_ms < 1) {
    std::fprintf(stderr,
                 "usage: abuse_bench --port P [--ocsp-path PATH] [--sources 1-250] "
                 "[--per-source N] [--byte-every-ms MS] [--seconds S] "
                 "[--normal-every-ms MS]\n");
    return 2;
  }
  std::printf(
      "abuse_bench: %d x %d slow connections, one byte every %d ms, for %d s; normal "
      "client every %d ms\n",
      o.sources, o.per_source, o.byte_every_ms, o.seconds, o.normal_every_ms);
  std::fflush(stdout);
  SlowClients slow(o);
  const auto end = Clock::now() + std::chrono::seconds(o.seconds);
  NormalClient normal;
  std::thread normal_thread([&] {
    // Starts once the slow connections are all open (their first period).
    std::this_thread::sleep_for(std::chrono::milliseconds(o.byte_every_ms));
    normal.run(o, end);
  });
  slow.run_until(end);
  normal_thread.join();
  slow.report(Clock::now());
  normal.report();
  return 0;
}
