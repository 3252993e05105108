// The libmicrohttpd adapter: an epoll daemon with an internal thread pool that turns each
// request into a Request, asks the Responder inside the calling thread's reused read
// transaction, and sends the Response. Every MHD callback is a noexcept trampoline: nothing
// throws into C; a failure becomes HTTP 500. A ConnectionGuard (connection_guard.h) enforces
// the request deadlines, the headroom under the connection limit and the per-source limit
// through MHD's accept policy and connection notifications.
//
// Ownership: the Server owns its MHD daemon (stopped in the destructor) and the Readers its
// threads took from the pool; Responder, ReaderPool and Metrics are borrowed and must outlive
// it. Thread-safety: construct, quiesce, drain and destroy from one (the main) thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "responder/connection_guard.h"
#include "responder/metrics.h"
#include "responder/reader_pool.h"
#include "responder/responder.h"

struct MHD_Daemon;
struct MHD_Connection;

namespace pkirepo::responder {

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";  // "host:port", "[v6]:port"; port 0 picks a free one
  int threads = 0;                        // 0: one per core
  int max_connections = 4096;             // MHD's limit; connection_guard.h keeps headroom
  int per_ip_connections = 64;            // per IPv4 address / IPv6 /64; 0: unlimited
  int connection_timeout_seconds = 10;    // idle
  int request_head_timeout_seconds = 10;  // hard deadline for the request line and headers
  int request_body_timeout_seconds = 5;   // hard deadline for the body, after the head
  bool access_log = false;                // one line per request on stdout
  int listen_fd = -1;                     // ≥ 0: serve this already-bound socket (SIGHUP)
  Listener listener = Listener::main;

  [[nodiscard]] static ServerOptions from_config(const Config& config);
  // The responder.metrics_listen daemon: one thread, a few connections.
  [[nodiscard]] static ServerOptions metrics_from_config(const Config& config);
};

using WallClock = std::function<UnixTime()>;

class Server {
 public:
  // Starts serving at once. Throws std::runtime_error when the address cannot be bound.
  Server(const ServerOptions& options, const Responder& responder, ReaderPool& pool,
         Metrics& metrics, WallClock clock);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  [[nodiscard]] uint16_t port() const;
  [[nodiscard]] int threads() const { return threads_; }
  // Stops accepting new connections and hands back the listening socket (the caller owns it:
  // pass it to the next Server, or close it). Responses sent from now on close their
  // connection. Returns -1 when already quiesced.
  int quiesce();
  // Waits until every connection is gone or `max_wait` passed. Returns the connections left.
  unsigned drain(std::chrono::milliseconds max_wait);

 private:
  struct ThreadState;
  struct RequestState;
  ThreadState& thread_state();
  // Stands in MHD's con_cls for a GET/HEAD between its first and second call.
  static void* no_state_marker();
  int on_request(MHD_Connection* connection, const char* url, const char* method,
                 const char* upload_data, size_t* upload_data_size, void** con_cls);
  int answer(MHD_Connection* connection, RequestState& state, const char* url, Method method);

  friend struct Trampolines;

  const Responder& responder_;
  ReaderPool& pool_;
  Metrics& metrics_;
  WallClock clock_;
  bool access_log_;
  Listener listener_;
  int threads_ = 1;
  uint64_t id_;
  std::atomic<bool> draining_{false};
  // Before daemon_: destroyed after it, since MHD's callbacks use it until the daemon stops.
  std::unique_ptr<ConnectionGuard> guard_;
  struct DaemonStop {
    void operator()(MHD_Daemon* d) const noexcept;  // MHD_stop_daemon: joins the workers
  };
  std::unique_ptr<MHD_Daemon, DaemonStop> daemon_;
  std::mutex states_mutex_;
  std::vector<std::unique_ptr<ThreadState>> states_;
};

}  // namespace pkirepo::responder
