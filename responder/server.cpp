#include "responder/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace pkirepo::responder {

struct Server::ThreadState {
  ReaderPool::Reader* reader = nullptr;
  Metrics::Block* metrics = nullptr;
};

// Per request, kept in MHD's con_cls between the calls for one request.
struct Server::RequestState {
  std::chrono::steady_clock::time_point start;
  Bytes body;
  bool too_large = false;
};

namespace {

std::atomic<uint64_t> g_next_server_id{1};

// The thread's state for the Server it currently works for (ids never repeat, so a thread of
// a stopped Server never sees a stale pointer).
struct ThreadSlot {
  uint64_t server_id = 0;
  void* state = nullptr;
};
thread_local ThreadSlot t_slot;

Method parse_method(const char* m) {
  if (std::strcmp(m, MHD_HTTP_METHOD_GET) == 0) {
    return Method::get;
  }
  if (std::strcmp(m, MHD_HTTP_METHOD_POST) == 0) {
    return Method::post;
  }
  if (std::strcmp(m, MHD_HTTP_METHOD_HEAD) == 0) {
    return Method::head;
  }
  return Method::other;
}

std::string_view header(MHD_Connection* c, const char* name) {
  const char* v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
  return v == nullptr ? std::string_view() : std::string_view(v);
}

// Parses "host:port" / "[v6]:port" into a sockaddr. Throws naming the value.
struct ListenAddress {
  sockaddr_storage storage{};
  bool ipv6 = false;
};
ListenAddress parse_listen(const std::string& listen) {
  ListenAddress a;
  std::string host;
  std::string port;
  if (!listen.empty() && listen[0] == '[') {
    size_t close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      throw std::runtime_error("listen address \"" + listen + "\": expected [v6]:port");
    }
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
    a.ipv6 = true;
  } else {
    size_t colon = listen.rfind(':');
    if (colon == std::string::npos) {
      throw std::runtime_error("listen address \"" + listen + "\": expected host:port");
    }
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
  }
  char* end = nullptr;
  long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || p < 0 || p > 65535) {
    throw std::runtime_error("listen address \"" + listen + "\": bad port");
  }
  if (a.ipv6) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&a.storage);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(static_cast<uint16_t>(p));
    if (inet_pton(AF_INET6, host.c_str(), &sa->sin6_addr) != 1) {
      throw std::runtime_error("listen address \"" + listen + "\": bad IPv6 address");
    }
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&a.storage);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(static_cast<uint16_t>(p));
    if (host.empty() || host == "*") {
      sa->sin_addr.s_addr = htonl(INADDR_ANY);
    } else if (inet_pton(AF_INET, host.c_str(), &sa->sin_addr) != 1) {
      throw std::runtime_error("listen address \"" + listen + "\": bad IPv4 address");
    }
  }
  return a;
}

const sockaddr* client_sockaddr(MHD_Connection* c) {
  const MHD_ConnectionInfo* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  return info == nullptr ? nullptr : info->client_addr;
}

// The guard's record of `c`, set in NOTIFY_STARTED (nullptr for a connection it never saw).
ConnectionGuard::Entry* guard_entry(MHD_Connection* c) {
  const MHD_ConnectionInfo* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return info == nullptr ? nullptr : static_cast<ConnectionGuard::Entry*>(info->socket_context);
}

std::string client_address(MHD_Connection* c) {
  const MHD_ConnectionInfo* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (info == nullptr || info->client_addr == nullptr) {
    return "-";
  }
  char buf[INET6_ADDRSTRLEN] = "-";
  const sockaddr* sa = info->client_addr;
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  } else if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

}  // namespace

// C callbacks: noexcept, nothing escapes into libmicrohttpd.
struct Trampolines {
  static MHD_Result access(void* cls, MHD_Connection* connection, const char* url,
                           const char* method, const char* /*version*/, const char* upload_data,
                           size_t* upload_data_size, void** con_cls) noexcept {
    try {
      return static_cast<Server*>(cls)->on_request(connection, url, method, upload_data,
                                                   upload_data_size, con_cls) != 0
                 ? MHD_YES
                 : MHD_NO;
    } catch (...) {
      return MHD_NO;  // closes the connection; MHD logs it
    }
  }

  static void completed(void* /*cls*/, MHD_Connection* connection, void** con_cls,
                        MHD_RequestTerminationCode /*toe*/) noexcept {
    if (*con_cls != Server::no_state_marker()) {
      delete static_cast<Server::RequestState*>(*con_cls);
    }
    *con_cls = nullptr;
    if (ConnectionGuard::Entry* e = guard_entry(connection)) {
      e->request_done(ConnectionGuard::Clock::now());
    }
  }

  // Per IPv4 address / IPv6 /64 (MHD's own per-IP limit counts exact addresses).
  static MHD_Result accept_policy(void* cls, const sockaddr* addr, socklen_t /*len*/) noexcept {
    try {
      return static_cast<Server*>(cls)->guard_->admit(source_key_of(addr)) ? MHD_YES : MHD_NO;
    } catch (...) {
      return MHD_NO;
    }
  }

  static void connection_event(void* cls, MHD_Connection* connection, void** socket_context,
                               MHD_ConnectionNotificationCode code) noexcept {
    ConnectionGuard& guard = *static_cast<Server*>(cls)->guard_;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
      const MHD_ConnectionInfo* fd =
          MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
      if (fd == nullptr) {
        return;
      }
      try {
        *socket_context = &guard.opened(fd->connect_fd, source_key_of(client_sockaddr(connection)),
                                        ConnectionGuard::Clock::now());
      } catch (...) {
        *socket_context = nullptr;  // out of memory: the connection goes unguarded
      }
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context != nullptr) {
      guard.closed(*static_cast<ConnectionGuard::Entry*>(*socket_context));
      *socket_context = nullptr;
    }
  }

  // Keep the path exactly as sent: OCSP GET decoding handles percent-encoding itself
  // (ocsp_request.h), including the '+' a generic unescaper would get wrong.
  static size_t no_unescape(void* /*cls*/, MHD_Connection* /*c*/, char* s) noexcept {
    return std::strlen(s);
  }

  static void free_bytes(void* cls) noexcept { delete static_cast<Bytes*>(cls); }
};

void* Server::no_state_marker() {
  static char marker;
  return &marker;
}

ServerOptions ServerOptions::from_config(const Config& config) {
  ServerOptions o;
  o.listen = config.responder.listen;
  o.threads = config.responder.threads;
  o.max_connections = config.responder.max_connections;
  o.per_ip_connections = config.responder.per_ip_connections;
  o.connection_timeout_seconds = static_cast<int>(config.responder.connection_timeout.seconds);
  o.request_head_timeout_seconds = static_cast<int>(config.responder.request_head_timeout.seconds);
  o.request_body_timeout_seconds = static_cast<int>(config.responder.request_body_timeout.seconds);
  o.access_log = config.responder.access_log;
  return o;
}

ServerOptions ServerOptions::metrics_from_config(const Config& config) {
  ServerOptions o = from_config(config);
  o.listen = config.responder.metrics_listen;
  o.threads = 1;
  o.max_connections = 64;
  o.per_ip_connections = 0;
  o.listener = Listener::metrics;
  return o;
}

Server::Server(const ServerOptions& options, const Responder& responder, ReaderPool& pool,
               Metrics& metrics, WallClock clock)
    : responder_(responder),
      pool_(pool),
      metrics_(metrics),
      clock_(std::move(clock)),
      access_log_(options.access_log),
      listener_(options.listener),
      id_(g_next_server_id.fetch_add(1)) {
  threads_ = options.threads > 0
                 ? options.threads
                 : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ConnectionGuard::Limits limits;
  limits.soft_cap = ConnectionGuard::soft_cap_for(static_cast<size_t>(options.max_connections),
                                                  static_cast<size_t>(threads_));
  limits.per_source = static_cast<size_t>(std::max(options.per_ip_connections, 0));
  limits.head_timeout = std::chrono::seconds(options.request_head_timeout_seconds);
  limits.body_timeout = std::chrono::seconds(options.request_body_timeout_seconds);
  limits.idle_timeout = std::chrono::seconds(options.connection_timeout_seconds);
  // shutdown(2), never close(2): the descriptor stays libmicrohttpd's, whose worker reads
  // end-of-file and closes the connection in its own thread (connection_guard.h).
  guard_ = std::make_unique<ConnectionGuard>(
      limits, [](int fd) { ::shutdown(fd, SHUT_RDWR); }, &metrics_, true);
  ListenAddress addr;
  if (options.listen_fd < 0) {
    addr = parse_listen(options.listen);
  }
  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
                   MHD_USE_SUPPRESS_DATE_NO_CLOCK;  // we send Date from the same `now`
  if (addr.ipv6) {
    flags |= MHD_USE_IPv6;
  }
  std::vector<MHD_OptionItem> opts;
  auto add = [&](MHD_OPTION o, intptr_t v, void* p = nullptr) { opts.push_back({o, v, p}); };
  add(MHD_OPTION_THREAD_POOL_SIZE, threads_);
  add(MHD_OPTION_CONNECTION_LIMIT, options.max_connections);
  add(MHD_OPTION_CONNECTION_TIMEOUT, options.connection_timeout_seconds);
  add(MHD_OPTION_NOTIFY_CONNECTION, reinterpret_cast<intptr_t>(&Trampolines::connection_event),
      this);
  // Per-connection pool: the request line and headers, the upload buffer, the reply headers.
  // libmicrohttpd zeroes the whole pool after every request on a kept-alive connection
  // (MHD_pool_reset), so its size is CPU per request: 48 KiB cost 8% of the server's time.
  // 8 KiB still takes a GET path of several KiB (RFC 6960 A.1 asks GET only for requests
  // under 255 bytes); beyond the pool libmicrohttpd answers 414 itself.
  add(MHD_OPTION_CONNECTION_MEMORY_LIMIT, 8 * 1024);
  add(MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024);
  add(MHD_OPTION_NOTIFY_COMPLETED, reinterpret_cast<intptr_t>(&Trampolines::completed), this);
  add(MHD_OPTION_UNESCAPE_CALLBACK, reinterpret_cast<intptr_t>(&Trampolines::no_unescape), nullptr);
  if (options.listen_fd >= 0) {
    add(MHD_OPTION_LISTEN_SOCKET, options.listen_fd);
  } else {
    add(MHD_OPTION_SOCK_ADDR, 0, &addr.storage);
    add(MHD_OPTION_LISTENING_ADDRESS_REUSE, 1);
  }
  add(MHD_OPTION_END, 0);
  daemon_.reset(MHD_start_daemon(flags, 0, &Trampolines::accept_policy, this, &Trampolines::access,
                                 this, MHD_OPTION_ARRAY, opts.data(), MHD_OPTION_END));
  if (daemon_ == nullptr) {
    throw std::runtime_error("cannot listen on " + options.listen +
                             " (address in use, or not allowed?)");
  }
}

void Server::DaemonStop::operator()(MHD_Daemon* d) const noexcept {
  MHD_stop_daemon(d);
}

Server::~Server() {
  daemon_.reset();  // first: no worker may still use a reader released below
  for (auto& s : states_) {
    pool_.release(*s->reader);
  }
}

uint16_t Server::port() const {
  const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_.get(), MHD_DAEMON_INFO_BIND_PORT);
  return info == nullptr ? 0 : info->port;
}

int Server::quiesce() {
  draining_.store(true);
  MHD_socket fd = MHD_quiesce_daemon(daemon_.get());
  return fd == MHD_INVALID_SOCKET ? -1 : fd;
}

unsigned Server::drain(std::chrono::milliseconds max_wait) {
  auto deadline = std::chrono::steady_clock::now() + max_wait;
  for (;;) {
    const MHD_DaemonInfo* info =
        MHD_get_daemon_info(daemon_.get(), MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    unsigned left = info == nullptr ? 0 : info->num_connections;
    if (left == 0 || std::chrono::steady_clock::now() >= deadline) {
      return left;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Server::ThreadState& Server::thread_state() {
  if (t_slot.server_id == id_) {
    return *static_cast<ThreadState*>(t_slot.state);
  }
  auto state = std::make_unique<ThreadState>();
  state->reader = &pool_.acquire();
  state->metrics = &metrics_.new_block();
  ThreadState* raw = state.get();
  {
    std::lock_guard lock(states_mutex_);
    states_.push_back(std::move(state));
  }
  t_slot = ThreadSlot{id_, raw};
  return *raw;
}

int Server::on_request(MHD_Connection* connection, const char* url, const char* method,
                       const char* upload_data, size_t* upload_data_size, void** con_cls) {
  const Method m = parse_method(method);
  // libmicrohttpd 0.9.75 closes the connection after any response queued on the first call
  // ("early response"), so keep-alive needs every answer to wait for the second call. GET and
  // HEAD without a body keep no state in between: a static marker stands in for it.
  void* const marker = no_state_marker();
  if (*con_cls == marker) {
    if (*upload_data_size != 0) {
      return 0;  // a body nobody announced
    }
    RequestState local;
    local.start = std::chrono::steady_clock::now();
    return answer(connection, local, url, m);
  }
  auto* state = static_cast<RequestState*>(*con_cls);
  if (state == nullptr) {
    // First call: headers only.
    std::string_view length = header(connection, MHD_HTTP_HEADER_CONTENT_LENGTH);
    std::string_view chunked = header(connection, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    const bool has_body = (!length.empty() && length != "0") || !chunked.empty();
    const auto head_done = std::chrono::steady_clock::now();
    if (ConnectionGuard::Entry* e = guard_entry(connection)) {
      // The head deadline is met; a POST body now has request_body_timeout.
      e->head_complete(has_body && m == Method::post, head_done);
    }
    if ((m == Method::get || m == Method::head) && !has_body) {
      *con_cls = marker;
      return 1;
    }
    auto fresh = std::make_unique<RequestState>();
    fresh->start = head_done;
    size_t declared = 0;
    auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), declared);
    const bool oversized =
        !length.empty() &&
        (ec != std::errc() || end != length.data() + length.size() || declared > kMaxRequestBytes);
    if (m != Method::post || oversized) {
      // Answered at once, which closes the connection: a body we will not read (RFC 9110
      // 15.5.14 for the oversized POST; 405 or a GET with a body otherwise).
      fresh->too_large = oversized;
      RequestState& st = *fresh;
      *con_cls = fresh.release();
      return answer(connection, st, url, m);
    }
    *con_cls = fresh.release();
    return 1;  // wait for the body
  }
  if (*upload_data_size != 0) {
    if (state->body.size() + *upload_data_size > kMaxRequestBytes) {
      return 0;  // chunked upload past the cap: close the connection, read no further
    }
    state->body.insert(state->body.end(), upload_data, upload_data + *upload_data_size);
    *upload_data_size = 0;
    return 1;
  }
  return answer(connection, *state, url, m);
}

int Server::answer(MHD_Connection* connection, RequestState& state, const char* url,
                   Method method) {
  ThreadState& ts = thread_state();
  Request req;
  req.method = method;
  req.path = url;
  req.body = state.body;
  req.body_too_large = state.too_large;
  req.if_none_match = header(connection, MHD_HTTP_HEADER_IF_NONE_MATCH);
  req.if_modified_since = header(connection, MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
  req.now = clock_();
  if (responder_.options().nonce == NonceMode::sign) {
    req.client = source_key_of(client_sockaddr(connection));  // the nonce rate limit's key
  }
  req.listener = listener_;

  Route route = Route::other;
  Outcome outcome = Outcome::internal_error;
  int status = 500;
  size_t body_size = 0;
  MHD_Response* resp = nullptr;
  try {
    resp = pool_.with_snapshot(*ts.reader, [&](const store::Txn& txn) -> MHD_Response* {
      Response r = responder_.handle(req, txn);
      route = r.route;
      outcome = r.outcome;
      status = r.status;
      body_size = r.body.size();
      MHD_Response* out = nullptr;
      if (!r.owned_body.empty() && r.body.data() == r.owned_body.data()) {
        // Owned bodies (CRLs, responses joined with their tail): hand the buffer over instead
        // of copying it.
        auto* keep = new Bytes(std::move(r.owned_body));
        out = MHD_create_response_from_buffer_with_free_callback_cls(
            keep->size(), keep->data(), &Trampolines::free_bytes, keep);
        if (out == nullptr) {
          delete keep;
        }
      } else {
        // Copies: the body may point into the snapshot, which is reset when we return.
        out = MHD_create_response_from_buffer(r.body.size(), const_cast<uint8_t*>(r.body.data()),
                                              MHD_RESPMEM_MUST_COPY);
      }
      if (out == nullptr) {
        return nullptr;
      }
      if (r.content_type != nullptr) {
        MHD_add_response_header(out, MHD_HTTP_HEADER_CONTENT_TYPE, r.content_type);
      }
      for (size_t i = 0; i < r.header_count; ++i) {
        MHD_add_response_header(out, r.headers[i].name, r.headers[i].value.c_str());
      }
      return out;
    });
  } catch (...) {
    resp = nullptr;  // the store could not be read at all
  }
  if (resp == nullptr) {
    status = 500;
    outcome = Outcome::internal_error;
    static const char kError[] = "internal error\n";
    resp = MHD_create_response_from_buffer(sizeof kError - 1, const_cast<char*>(kError),
                                           MHD_RESPMEM_PERSISTENT);
    if (resp == nullptr) {
      return 0;
    }
  }
  if (draining_.load(std::memory_order_relaxed)) {
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
  }
  MHD_Result queued = MHD_queue_response(connection, static_cast<unsigned>(status), resp);
  MHD_destroy_response(resp);

  auto latency = std::chrono::steady_clock::now() - state.start;
  auto ns =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(latency).count());
  ts.metrics->record(route, outcome, ns);
  if (access_log_) {
    std::string line = client_address(connection) + " " + rfc3339(req.now) + " \"" +
                       std::string(method == Method::get    ? "GET"
                                   : method == Method::post ? "POST"
                                   : method == Method::head ? "HEAD"
                                                            : "OTHER") +
                       " ";
    // The path is the client's: escaped, so it cannot end the quoted field or the line.
    append_log_escaped(line, req.path, 512);
    line += "\" " + std::to_string(status) + " " + std::to_string(body_size) + " " +
            route_name(route) + " " + outcome_name(outcome) + " " + std::to_string(ns / 1000) +
            "us\n";
    // One write(2) per line keeps lines whole across threads. Logging fails open.
    [[maybe_unused]] ssize_t w = ::write(STDOUT_FILENO, line.data(), line.size());
  }
  return queued == MHD_YES ? 1 : 0;
}

}  // namespace pkirepo::responder
