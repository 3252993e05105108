// The abuse limits against the real binary over loopback (docs/responder.md, "Abuse limits"):
// a client trickling its request head (or body) is closed at the deadline although it is never
// idle; a connection limit full of slow connections still serves a client that sends a whole
// request; the per-source limit over IPv6; the access log escapes what the client sent;
// /metrics on its own address only. Every loop is bounded in count and time.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <regex>
#include <thread>

#include "responder_process.h"
#include "store/store.h"
#include "support/server_process.h"
#include "support/test_support.h"

using namespace pkirepo;
using namespace pkirepo::test;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

// A socket owned for the scope of a test.
struct Socket {
  int fd = -1;
  explicit Socket(int f) : fd(f) {}
  ~Socket() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  Socket(Socket&& o) noexcept : fd(o.fd) { o.fd = -1; }
  void reset() {
    if (fd >= 0) {
      ::close(fd);
      fd = -1;
    }
  }
};

Socket connect_to(int family, const char* address, int port) {
  Socket s(::socket(family, SOCK_STREAM, 0));
  REQUIRE(s.fd >= 0);
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (family == AF_INET) {
    auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(static_cast<uint16_t>(port));
    REQUIRE(inet_pton(AF_INET, address, &sa->sin_addr) == 1);
    len = sizeof(sockaddr_in);
  } else {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(static_cast<uint16_t>(port));
    REQUIRE(inet_pton(AF_INET6, address, &sa->sin6_addr) == 1);
    len = sizeof(sockaddr_in6);
  }
  REQUIRE(::connect(s.fd, reinterpret_cast<sockaddr*>(&ss), len) == 0);
  return s;
}

bool send_all(int fd, std::string_view bytes) {
  return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
}

// What the server did with `fd` within `ms`: "eof" (closed it, or reset), "data", "timeout".
std::string wait_event(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, ms) <= 0) {
    return "timeout";
  }
  char buf[4096];
  ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  if (n > 0) {
    return "data";
  }
  return n == 0 || errno == ECONNRESET ? "eof" : "timeout";
}

// Sends `bytes` one byte every `every`, at most `max_time`, until the server closes the
// connection. Returns how long after the first byte that happened (or max_time + 1 s).
SteadyClock::duration trickle_until_closed(int fd, std::string_view bytes,
                                           std::chrono::milliseconds every,
                                           std::chrono::milliseconds max_time) {
  const auto start = SteadyClock::now();
  for (size_t i = 0; SteadyClock::now() - start < max_time; ++i) {  // bounded by max_time
    if (!send_all(fd, bytes.substr(i % bytes.size(), 1))) {
      return SteadyClock::now() - start;  // EPIPE/ECONNRESET: closed
    }
    const std::string e = wait_event(fd, static_cast<int>(every.count()));
    if (e == "eof") {
      return SteadyClock::now() - start;
    }
    if (e == "data") {
      FAIL("the server answered a request that was never complete");
    }
  }
  return max_time + 1s;
}

std::string metrics_text(const std::string& url) {
  RunResult r = curl({"-s", url});
  REQUIRE(r.exit_code == 0);
  return r.out;
}

void empty_store(const std::filesystem::path& dir) {
  store::WriteStore st(dir / "store");
  st.transact([](store::WriteTxn&) {});  // schema only: "/" answers 200
}

}  // namespace

TEST_CASE("a client trickling its request head, or its body, is closed at the deadline",
          "[responder][integration][limits]") {
  TempDir dir;
  std::filesystem::path config = write_demo_config(
      dir.path(),
      "\n[responder]\nrequest_head_timeout = \"2s\"\nrequest_body_timeout = \"1s\"\n"
      "connection_timeout = \"10s\"\n");
  empty_store(dir.path());
  ResponderProcess p(config, {});

  // One byte every 250 ms: never idle for connection_timeout, never a whole head.
  Socket head = connect_to(AF_INET, "127.0.0.1", p.port());
  auto took =
      trickle_until_closed(head.fd, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", 250ms, 8000ms);
  CHECK(took >= 1800ms);
  CHECK(took <= 3500ms);

  // A whole head, then a body of 100 announced bytes at one byte every 250 ms.
  Socket body = connect_to(AF_INET, "127.0.0.1", p.port());
  REQUIRE(send_all(body.fd,
                   "POST /ocsp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                   "application/ocsp-request\r\nContent-Length: 100\r\n\r\n"));
  took = trickle_until_closed(body.fd, std::string(100, '0'), 250ms, 8000ms);
  CHECK(took >= 800ms);
  CHECK(took <= 2500ms);

  // A kept-alive connection that completed a request is not cut by the head deadline while
  // it is idle (connection_timeout is 10 s), and is still served.
  Socket kept = connect_to(AF_INET, "127.0.0.1", p.port());
  const std::string get = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  REQUIRE(send_all(kept.fd, get));
  CHECK(wait_event(kept.fd, 5000) == "data");
  std::this_thread::sleep_for(2500ms);
  REQUIRE(send_all(kept.fd, get));
  CHECK(wait_event(kept.fd, 5000) == "data");

  kept.reset();  // else SIGTERM's drain waits for it
  const std::string m = metrics_text(p.url("/metrics"));
  CHECK(m.find("pkirepo_responder_connections_closed_total{reason=\"head_timeout\"} 1\n") !=
        std::string::npos);
  CHECK(m.find("pkirepo_responder_connections_closed_total{reason=\"body_timeout\"} 1\n") !=
        std::string::npos);
  CHECK(p.stop() == 0);
}

TEST_CASE("a connection limit full of slow connections still serves a whole request",
          "[responder][integration][limits]") {
  TempDir dir;
  // 16 connections (8 per worker), no per-address limit: every slow connection comes from
  // 127.0.0.1 like the client. Deadlines far away: only shedding can make room.
  std::filesystem::path config =
      write_demo_config(dir.path(),
                        "\n[responder]\nmax_connections = 16\nper_ip_connections = 0\n"
                        "request_head_timeout = \"60s\"\nconnection_timeout = \"60s\"\n");
  empty_store(dir.path());
  ResponderProcess p(config, {});
  std::vector<Socket> slow;
  for (int i = 0; i < 40; ++i) {
    slow.push_back(connect_to(AF_INET, "127.0.0.1", p.port()));
    REQUIRE(send_all(slow.back().fd, "G"));
  }
  std::this_thread::sleep_for(300ms);  // let the server accept what it will
  for (int i = 0; i < 3; ++i) {
    const auto start = SteadyClock::now();
    RunResult r =
        curl({"-s", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code}", p.url("/")});
    CHECK(r.out == "200");
    CHECK(SteadyClock::now() - start < 2s);
    // More slow connections after each request.
    for (int j = 0; j < 10; ++j) {
      slow.push_back(connect_to(AF_INET, "127.0.0.1", p.port()));
      (void)send_all(slow.back().fd, "G");
    }
  }
  std::this_thread::sleep_for(300ms);
  int closed = 0;
  for (const Socket& s : slow) {
    closed += wait_event(s.fd, 0) == "eof" ? 1 : 0;
  }
  CHECK(closed >= 40);  // 70 opened, at most 16 held
  const std::string m = metrics_text(p.url("/metrics"));
  std::smatch shed;
  REQUIRE(std::regex_search(m, shed,
                            std::regex("connections_closed_total\\{reason=\"shed\"\\} ([0-9]+)")));
  CHECK(std::stoi(shed[1]) >= 40);
  slow.clear();
  CHECK(p.stop() == 0);
}

TEST_CASE("per-source limit over IPv6 loopback", "[responder][integration][limits]") {
  {
    int probe = ::socket(AF_INET6, SOCK_STREAM, 0);
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = in6addr_loopback;
    const bool ok = probe >= 0 && ::bind(probe, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    if (probe >= 0) {
      ::close(probe);
    }
    if (!ok) {
      WARN("no IPv6 loopback here: the /64 accounting is covered by abuse_limits_test only");
      return;
    }
  }
  TempDir dir;
  std::filesystem::path config =
      write_demo_config(dir.path(), "\n[responder]\nper_ip_connections = 2\n");
  empty_store(dir.path());
  ServerProcess server({binary("pkirepo-responder").string(), "-c", config.string(), "--listen",
                        "[::1]:0", "--threads", "2"});
  REQUIRE(server.wait_for_output("listening on", 20000));
  std::smatch m;
  const std::string out = server.output();
  REQUIRE(std::regex_search(out, m, std::regex("listening on \\[::1\\]:([0-9]+)")));
  const int port = std::stoi(m[1]);

  std::vector<Socket> held;
  held.push_back(connect_to(AF_INET6, "::1", port));
  held.push_back(connect_to(AF_INET6, "::1", port));
  std::this_thread::sleep_for(200ms);
  const std::string get = "GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n";
  Socket third = connect_to(AF_INET6, "::1", port);
  (void)send_all(third.fd, get);
  CHECK(wait_event(third.fd, 5000) == "eof");
  REQUIRE(send_all(held[0].fd, get));
  CHECK(wait_event(held[0].fd, 5000) == "data");
  held.clear();
  std::this_thread::sleep_for(200ms);
  RunResult metrics = curl({"-s", "-g", "http://[::1]:" + std::to_string(port) + "/metrics"});
  CHECK(
      metrics.out.find("pkirepo_responder_connections_refused_total{reason=\"per_source\"} 1\n") !=
      std::string::npos);
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("the access log escapes quotes, backslashes and control characters from the path",
          "[responder][integration][log]") {
  TempDir dir;
  std::filesystem::path config =
      write_demo_config(dir.path(), "\n[responder]\naccess_log = true\n");
  empty_store(dir.path());
  ResponderProcess p(config, {});
  Socket s = connect_to(AF_INET, "127.0.0.1", p.port());
  REQUIRE(send_all(s.fd, "GET /crl/x\"y\\z\x1b[2J\x7f.crl HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  CHECK(wait_event(s.fd, 5000) == "data");
  CHECK(p.wait_for_output("\"GET /crl/x\\x22y\\x5cz\\x1b[2J\\x7f.crl\" 404", 5000));
  CHECK(p.output().find('\x1b') == std::string::npos);
  s.reset();
  CHECK(p.stop() == 0);
}

TEST_CASE("metrics_listen: /metrics on its own address, 404 on the public one",
          "[responder][integration][metrics]") {
  TempDir dir;
  std::filesystem::path config =
      write_demo_config(dir.path(), "\n[responder]\nmetrics_listen = \"127.0.0.1:0\"\n");
  empty_store(dir.path());
  ResponderProcess p(config, {});
  REQUIRE(p.wait_for_output("metrics on 127.0.0.1:", 5000));
  std::smatch m;
  const std::string out = p.output();
  REQUIRE(std::regex_search(out, m, std::regex("metrics on 127\\.0\\.0\\.1:([0-9]+)")));
  const std::string metrics_url = "http://127.0.0.1:" + std::string(m[1]);

  RunResult scrape = curl({"-s", "-w", "\n%{http_code}", metrics_url + "/metrics"});
  CHECK(scrape.out.find("pkirepo_responder_requests_total") != std::string::npos);
  CHECK(scrape.out.ends_with("\n200"));
  auto status = [](const std::string& url) {
    return curl({"-s", "-o", "/dev/null", "-w", "%{http_code}", url}).out;
  };
  CHECK(status(p.url("/metrics")) == "404");
  CHECK(status(p.url("/")) == "200");
  CHECK(status(metrics_url + "/") == "404");
  CHECK(status(metrics_url + "/healthz") == "404");

  // SIGHUP hands both listening sockets to the new generation.
  p.send(SIGHUP);
  REQUIRE(p.wait_for_output("reloaded", 10000));
  CHECK(status(metrics_url + "/metrics") == "200");
  CHECK(status(p.url("/metrics")) == "404");
  CHECK(p.stop() == 0);
}
