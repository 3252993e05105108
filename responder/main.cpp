// pkirepo-responder: serves pre-signed OCSP responses, CRLs and CA certificates from the
// store, read-only. Composition root: load config → open store → build the
// responder → serve until SIGTERM; SIGHUP reloads the config and reopens the store. The wall clock
// is read here only, and handed to the server as a function.
//
// Exit codes: 0 after SIGTERM/SIGINT, 1 start-up failed (one line on stderr), 2 usage error.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "cli/parse_and_run.h"
#include "config/config.h"
#include "responder/health.h"
#include "responder/metrics.h"
#include "responder/nonce_signer.h"
#include "responder/ocsp_request.h"
#include "responder/reader_pool.h"
#include "responder/responder.h"
#include "responder/server.h"
#include "store/store.h"
#include "x509/time.h"

namespace {

using namespace pkirepo;
using namespace pkirepo::responder;

struct Overrides {
  std::string listen;
  int threads = -1;
};

class Scanner;
struct NonceKeysLoaded;

// The store as one generation sees it: opened at start and again at every SIGHUP, so that a
// store directory swapped under the same path (docs/scale-out.md) is served after a reload.
// Destroyed with the last generation that uses it: the scanner stops first, then the reader
// slot, the pool and the environment go.
struct StoreView {
  StoreView(const std::filesystem::path& path, HealthMonitor& health, const WallClock& clock,
            const NonceKeysLoaded& nonce_keys);
  ~StoreView();
  StoreView(const StoreView&) = delete;
  StoreView& operator=(const StoreView&) = delete;

  std::filesystem::path path;
  store::ReadStore store;  // MDB_RDONLY: this process never writes
  ReaderPool pool;
  ReaderPool::Reader& main_reader;
  std::unique_ptr<Scanner> scanner;
};

// Everything a config (re)load builds. Destroyed only after its Server stopped.
struct Generation {
  std::shared_ptr<StoreView> view;
  Config config;
  std::unique_ptr<NonceSigner> nonce_signer;  // only for [ocsp] nonce = "sign"
  std::unique_ptr<Responder> responder;
  std::unique_ptr<Server> server;
  std::unique_ptr<Server> metrics_server;  // responder.metrics_listen only
};

// "127.0.0.1:0" → "127.0.0.1", "[::1]:8080" → "[::1]" (the bound port is printed instead).
std::string listen_host(const std::string& listen) {
  size_t colon = listen.rfind(':');
  return colon == std::string::npos ? listen : listen.substr(0, colon);
}

void print_metrics_listener(const Generation& g) {
  if (g.metrics_server) {
    std::cout << "pkirepo-responder: metrics on " << listen_host(g.config.responder.metrics_listen)
              << ":" << g.metrics_server->port() << std::endl;
  }
}

Config load(const std::filesystem::path& path, const Overrides& o) {
  Config c = load_config(path);
  if (!o.listen.empty()) {
    c.responder.listen = o.listen;
  }
  if (o.threads >= 0) {
    c.responder.threads = o.threads;
  }
  return c;
}

// Everything of a generation that can fail on a bad config or key (config, nonce keys,
// responder), built before the running daemon is touched.
std::unique_ptr<Generation> prepare(Config config, std::shared_ptr<StoreView> view,
                                    const HealthMonitor& health, Metrics& metrics) {
  auto g = std::make_unique<Generation>();
  g->view = std::move(view);
  g->config = std::move(config);
  ReaderPool& pool = g->view->pool;
  ReaderPool::Reader& reader = g->view->main_reader;
  const bool token = g->config.responder_keys_in_token();
  if (g->config.ocsp.nonce == NonceMode::sign && !g->config.has_responder_passphrase() && !token) {
    // The responder never takes the CA passphrase. Pre-signed answers go on; only nonces
    // are ignored, so a config from before the split is no status outage.
    std::cerr << "pkirepo-responder: warning: ocsp.nonce = \"sign\" needs "
                 "ocsp.responder_passphrase_file or ocsp.responder_passphrase_env (the responder "
                 "never takes the CA passphrase): nonces will be ignored\n";
  } else if (g->config.ocsp.nonce == NonceMode::sign) {
    // The responder token's PIN, or the responder keys' passphrase: never the CA's.
    std::string secret = token ? g->config.responder_pin() : g->config.responder_key_passphrase();
    g->nonce_signer = pool.with_snapshot(reader, [&](const store::Txn& txn) {
      return std::make_unique<NonceSigner>(txn, secret, g->config);
    });
    if (g->nonce_signer->key_count() == 0) {
      std::cerr << "pkirepo-responder: warning: ocsp.nonce = \"sign\" but the store holds no "
                   "responder key (ocsp.signer = \"ca\"?): nonces will be ignored\n";
    }
  }
  g->responder = std::make_unique<Responder>(ResponderOptions::from_config(g->config),
                                             g->nonce_signer.get(), health, metrics);
  return g;
}

// `inherited_fd` / `inherited_metrics_fd`: listening sockets of the previous generation to
// serve (≥ 0), or -1 to bind the configured addresses.
void start(Generation& g, Metrics& metrics, const WallClock& clock, int inherited_fd,
           int inherited_metrics_fd) {
  ServerOptions so = ServerOptions::from_config(g.config);
  so.listen_fd = inherited_fd;
  g.server = std::make_unique<Server>(so, *g.responder, g.view->pool, metrics, clock);
  if (!g.config.responder.metrics_listen.empty()) {
    ServerOptions mo = ServerOptions::metrics_from_config(g.config);
    mo.listen_fd = inherited_metrics_fd;
    g.metrics_server = std::make_unique<Server>(mo, *g.responder, g.view->pool, metrics, clock);
  } else if (inherited_metrics_fd >= 0) {
    ::close(inherited_metrics_fd);
  }
}

// Stops the generation's metrics listener (if any) and returns its socket when the next
// generation listens on the same address, else closes it and returns -1.
int hand_over_metrics(Generation& current, const Generation& next) {
  if (!current.metrics_server) {
    return -1;
  }
  int fd = current.metrics_server->quiesce();
  if (fd >= 0 && next.config.responder.metrics_listen != current.config.responder.metrics_listen) {
    ::close(fd);
    fd = -1;
  }
  return fd;
}

// What the running generation's nonce signer was loaded from, for the Scanner to compare.
struct NonceKeysLoaded {
  std::atomic<bool> watching{false};  // ocsp.nonce = "sign"
  std::atomic<uint64_t> fingerprint{0};

  void set(const Generation& g) {
    fingerprint = g.nonce_signer ? g.nonce_signer->fingerprint() : 0;
    watching = g.nonce_signer != nullptr;
  }
};

// Rescans the store for /healthz whenever a signer run committed, and at least every minute
// (time alone moves responses towards their nextUpdate). When a run rotated a responder
// certificate and nonces are signed, asks the main thread to reload (SIGHUP to this process):
// until then nonce requests would get the stored response without their nonce.
class Scanner {
 public:
  Scanner(ReaderPool& pool, store::Env& env, HealthMonitor& health, WallClock clock,
          const NonceKeysLoaded& nonce_keys)
      : pool_(pool),
        env_(env),
        health_(health),
        clock_(std::move(clock)),
        nonce_keys_(nonce_keys),
        thread_([this] { loop(); }) {}
  ~Scanner() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void loop() {
    ReaderPool::Reader& reader = pool_.acquire();
    uint64_t scanned_txn = 0;
    auto last = std::chrono::steady_clock::time_point{};
    std::unique_lock lock(mutex_);
    while (!stop_) {
      uint64_t committed = 0;  // 0 (never a real id) when it cannot be read: rescan
      try {
        committed = env_.last_txn_id();
      } catch (const std::exception&) {
      }
      auto now = std::chrono::steady_clock::now();
      if (committed != scanned_txn || now - last >= std::chrono::seconds(60) ||
          last == std::chrono::steady_clock::time_point{}) {
        lock.unlock();
        try {
          HealthSnapshot s = pool_.with_snapshot(
              reader, [&](const store::Txn& txn) { return scan_store(txn, clock_()); });
          scanned_txn = s.txn_id;
          health_.publish(std::move(s));
          check_nonce_keys(reader);
        } catch (const std::exception& e) {
          std::cerr << "pkirepo-responder: store scan failed: " << e.what() << "\n";
        }
        last = std::chrono::steady_clock::now();
        lock.lock();
      }
      cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return stop_; });
    }
    pool_.release(reader);
  }

  void check_nonce_keys(ReaderPool::Reader& reader) {
    if (!nonce_keys_.watching) {
      return;
    }
    const uint64_t now_in_store = pool_.with_snapshot(
        reader, [](const store::Txn& txn) { return responders_fingerprint(txn); });
    // Once per change: a reload that fails (say, an unreadable key file) is not retried in a loop.
    if (now_in_store != nonce_keys_.fingerprint && now_in_store != requested_) {
      requested_ = now_in_store;
      std::cout << "pkirepo-responder: the store names new responder certificates; reloading "
                   "(as on SIGHUP) to sign nonces with their keys"
                << std::endl;
      ::kill(::getpid(), SIGHUP);
    }
  }

  ReaderPool& pool_;
  store::Env& env_;
  HealthMonitor& health_;
  WallClock clock_;
  const NonceKeysLoaded& nonce_keys_;
  uint64_t requested_ = 0;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

StoreView::StoreView(const std::filesystem::path& p, HealthMonitor& health, const WallClock& clock,
                     const NonceKeysLoaded& nonce_keys)
    : path(p), store(p), pool(store.env()), main_reader(pool.acquire()) {
  scanner = std::make_unique<Scanner>(pool, store.env(), health, clock, nonce_keys);
}

StoreView::~StoreView() {
  scanner.reset();
  pool.release(main_reader);
}

int serve(const std::filesystem::path& config_path, const Overrides& overrides) {
  // Signals are taken synchronously by this thread (sigwait); every thread started below
  // inherits the mask. SIGPIPE from a client that went away must not kill the process.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // The wall clock, read per request by the server. In a test build PKIREPO_NOW pins it (tests,
  // the demo), as for the signer; a production build refuses to start with it set.
  const std::optional<UnixTime> pinned = clock_pinned();
  WallClock clock = [pinned] {
    return pinned ? *pinned : static_cast<UnixTime>(std::time(nullptr));
  };
  Config config = load(config_path, overrides);
  prepare_ocsp_request_shapes();

  Metrics metrics;
  HealthMonitor health;
  NonceKeysLoaded nonce_keys;
  auto view = std::make_shared<StoreView>(config.repository.store, health, clock, nonce_keys);
  std::unique_ptr<Generation> current = prepare(std::move(config), view, health, metrics);
  view.reset();
  start(*current, metrics, clock, -1, -1);
  nonce_keys.set(*current);

  std::cout << "pkirepo-responder: listening on " << listen_host(current->config.responder.listen)
            << ":" << current->server->port() << " (" << current->server->threads()
            << " threads, store " << current->view->path.string() << ")" << std::endl;
  print_metrics_listener(*current);

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) {
      continue;
    }
    if (sig == SIGHUP) {
      std::optional<Config> fresh;
      try {
        fresh = load(config_path, overrides);
      } catch (const std::exception& e) {
        std::cerr << "pkirepo-responder: SIGHUP: keeping the running config: " << e.what() << "\n";
        continue;
      }
      // The store is opened again, so a directory swapped under the same path (or a new
      // repository.store) is what the new generation serves; the old one keeps its own
      // environment until its last request is answered.
      std::unique_ptr<Generation> next;
      try {
        auto fresh_view =
            std::make_shared<StoreView>(fresh->repository.store, health, clock, nonce_keys);
        next = prepare(std::move(*fresh), std::move(fresh_view), health, metrics);
      } catch (const std::exception& e) {
        std::cerr << "pkirepo-responder: SIGHUP: keeping the running config and store: " << e.what()
                  << "\n";
        continue;
      }
      const bool same_listen = next->config.responder.listen == current->config.responder.listen;
      try {
        const int metrics_fd = hand_over_metrics(*current, *next);
        if (same_listen) {
          // The new daemon takes over the listening socket, so no connection is refused
          // while the old one finishes what it was doing.
          start(*next, metrics, clock, current->server->quiesce(), metrics_fd);
        } else {
          start(*next, metrics, clock, -1, metrics_fd);
          int old_fd = current->server->quiesce();
          if (old_fd >= 0) {
            ::close(old_fd);
          }
        }
      } catch (const std::exception& e) {
        std::cerr << "pkirepo-responder: SIGHUP: cannot serve with the new config, exiting: "
                  << e.what() << "\n";
        return 1;
      }
      current->server->drain(std::chrono::seconds(2));
      current = std::move(next);
      nonce_keys.set(*current);
      std::cout << "pkirepo-responder: reloaded " << config_path.string() << " and reopened "
                << current->view->path.string() << "; listening on "
                << listen_host(current->config.responder.listen) << ":" << current->server->port()
                << std::endl;
      print_metrics_listener(*current);
      continue;
    }
    // SIGTERM / SIGINT: stop accepting, let in-flight requests finish, exit 0.
    int fd = current->server->quiesce();
    if (fd >= 0) {
      ::close(fd);
    }
    if (current->metrics_server) {
      int metrics_fd = current->metrics_server->quiesce();
      if (metrics_fd >= 0) {
        ::close(metrics_fd);
      }
    }
    unsigned left = current->server->drain(std::chrono::seconds(
        std::min<int64_t>(current->config.responder.connection_timeout.seconds, 10)));
    current.reset();
    std::cout << "pkirepo-responder: stopped (" << left << " idle connections closed)" << std::endl;
    return 0;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pkirepo-responder: serve pre-signed OCSP responses, CRLs and CA certificates"};
  app.set_version_flag("--version", std::string("pkirepo-responder ") + PKIREPO_VERSION +
                                        pkirepo::clock_build_note());
  std::filesystem::path config_path = "pkirepo.toml";
  Overrides overrides;
  app.add_option("-c,--config", config_path, "Config file")->capture_default_str();
  app.add_option("--listen", overrides.listen, "host:port (overrides responder.listen)");
  app.add_option("--threads", overrides.threads, "Worker threads (0: one per core)")
      ->check(CLI::Range(0, 256));
  return parse_and_run(app, argc, argv, "pkirepo-responder",
                       [&] { return serve(config_path, overrides); });
}
