// The real binary's lifecycle on a store the test writes itself: a write is visible to the
// next request (including after the writer grew the map: MDB_MAP_RESIZED), and SIGTERM lets
// a request that is already on the wire finish before the process exits 0; the per-IP cap and
// the idle timeout hold.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ocsp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <fstream>
#include <thread>

#include "pki_fixture.h"
#include "responder_process.h"
#include "x509/der.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

int post_status(const ResponderProcess& p, const TempDir& dir, ByteView request) {
  write_text(dir / "req.der", std::string(request.begin(), request.end()));
  RunResult r =
      curl({"-o", (dir / "resp.der").string(), "--data-binary", "@" + (dir / "req.der").string(),
            "-H", "Content-Type: application/ocsp-request", p.url("/ocsp")});
  REQUIRE(r.exit_code == 0);
  Bytes der = read_file(dir / "resp.der");
  OcspResponsePtr resp = parse_ocsp_response_der(der);
  REQUIRE(resp);
  if (OCSP_response_status(resp.get()) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    return -OCSP_response_status(resp.get());
  }
  OcspBasicRespPtr basic(OCSP_response_get1_basic(resp.get()));
  int reason = 0;
  return OCSP_single_get0_status(OCSP_resp_get0(basic.get(), 0), &reason, nullptr, nullptr,
                                 nullptr);
}

}  // namespace

TEST_CASE("a write is served at once, also after the writer grew the map (MDB_MAP_RESIZED)",
          "[responder][integration][store]") {
  TempDir dir;
  const UnixTime now = static_cast<UnixTime>(std::time(nullptr));
  std::filesystem::path config =
      write_demo_config(dir.path(), "\n[responder]\naccess_log = true\n");
  FixtureCa ca = make_fixture_ca("ec-ca", "ec-p256");
  const Bytes serial = serial_of(0x4242);
  auto store = std::make_unique<store::WriteStore>(dir / "store", size_t{1} << 20);  // 1 MiB
  put_ca(*store, ca);
  put_response(*store, ca, serial, {}, now - 60, now + 4 * 86400);

  std::map<std::string, std::string> env = {{"PKIREPO_NOW", rfc3339(now)}};
  ResponderProcess p(config, env);
  const Bytes request = make_request(ca, serial, CertIdHash::sha256);
  CHECK(post_status(p, dir, request) == V_OCSP_CERTSTATUS_GOOD);
  // access_log = true: one line per request on stdout.
  CHECK(p.wait_for_output("\"POST /ocsp\" 200", 5000));
  CHECK(p.wait_for_output("ocsp_post good", 5000));

  // Grow the store well past its 1 MiB map, then revoke: the very next request sees both.
  const size_t map_before = store->env().map_size();
  store::OcspRecord filler = sign_ocsp(ca, serial_of(1), CertIdHash::sha1, {}, now, now + 86400);
  store->transact([&](store::WriteTxn& txn) {
    for (uint64_t i = 0; i < 4000; ++i) {
      Bytes key = store::ocsp_key(CertIdHash::sha1, Bytes(20, 1), Bytes(20, 2), serial_of(i + 1));
      txn.put(store::Db::ocsp, key, store::encode(filler));
    }
  });
  REQUIRE(store->env().map_size() > map_before);
  put_response(*store, ca, serial,
               {store::CertStatus::revoked, CrlReason::key_compromise, now - 30}, now - 30,
               now + 4 * 86400);
  CHECK(post_status(p, dir, request) == V_OCSP_CERTSTATUS_REVOKED);
  CHECK(post_status(p, dir, make_request(ca, serial, CertIdHash::sha1)) ==
        V_OCSP_CERTSTATUS_REVOKED);
  CHECK(p.stop() == 0);
}

TEST_CASE("SIGTERM drains a request already on the wire, then exits 0",
          "[responder][integration][lifecycle]") {
  TempDir dir;
  std::filesystem::path config = write_demo_config(dir.path());
  {
    store::WriteStore st(dir / "store");
    st.transact([](store::WriteTxn&) {});  // an empty store, schema only
  }
  ResponderProcess p(config, {});

  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(p.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const std::string head = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  REQUIRE(::send(fd, head.data(), head.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(head.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  p.send(SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  REQUIRE(::send(fd, "\r\n", 2, MSG_NOSIGNAL) == 2);
  std::string reply;
  char buf[4096];
  for (int i = 0; i < 50; ++i) {  // bounded: at most 50 reads, each ≤ 5 s
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      break;
    }
    reply.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  CHECK(reply.starts_with("HTTP/1.1 200"));
  CHECK(reply.find("Connection: close") != std::string::npos);
  CHECK(p.stop() == 0);
  CHECK(p.output().find("stopped") != std::string::npos);
}

namespace {

int connect_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  timeval tv{5, 0};  // every read below is bounded
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// What the server does with `fd` within 5 s: "eof" (closed it), "data" or "timeout".
std::string next_event(int fd) {
  char buf[512];
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  if (n > 0) {
    return "data";
  }
  if (n == 0 || errno == ECONNRESET) {
    return "eof";
  }
  return "timeout";
}

// Reads whatever is left until the server closes `fd` (true) or 5 s pass without it (false).
bool closed_by_server(int fd) {
  for (int i = 0; i < 20; ++i) {  // bounded: a short reply, then the close
    std::string e = next_event(fd);
    if (e != "data") {
      return e == "eof";
    }
  }
  return false;
}

}  // namespace

TEST_CASE("abuse limits: past the per-IP cap a client is turned away, idle connections close",
          "[responder][integration][limits]") {
  TempDir dir;
  std::filesystem::path config = write_demo_config(
      dir.path(), "\n[responder]\nper_ip_connections = 3\nconnection_timeout = \"1s\"\n");
  {
    store::WriteStore st(dir / "store");
    st.transact([](store::WriteTxn&) {});
  }
  ResponderProcess p(config, {});
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(connect_loopback(p.port()));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the server has accepted them

  // A fourth connection from the same address is closed without an answer.
  const std::string get = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  int extra = connect_loopback(p.port());
  (void)::send(extra, get.data(), get.size(), MSG_NOSIGNAL);
  CHECK(next_event(extra) == "eof");  // closed, no HTTP answer
  ::close(extra);

  // The held connections are answered while they are within the cap...
  REQUIRE(::send(held[0], get.data(), get.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(get.size()));
  CHECK(next_event(held[0]) == "data");
  // ...and every one of them, left idle, is closed by the server after connection_timeout.
  for (int fd : held) {
    CHECK(closed_by_server(fd));
    ::close(fd);
  }
  // With the slots free again, a normal client is served.
  RunResult r = curl({"-s", "-o", "/dev/null", "-w", "%{http_code}", p.url("/")});
  CHECK(r.out == "200");
  CHECK(p.stop() == 0);
}
