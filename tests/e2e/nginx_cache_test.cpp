// The scale-out path: nginx with proxy_cache in front of the responder, the way a CDN fronts
// it. The second identical OCSP GET is a cache HIT that never reaches the responder, and the
// lifetime nginx gives the cached response is exactly our Cache-Control max-age: read from
// nginx's cache file header, and, with a responder whose max-age cap is 2 s, seen to expire
// and be revalidated (a conditional GET our responder answers 304) right after.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>

#include "e2e_pki.h"

using namespace pkirepo::test;

namespace {

// nginx's cache file header (ngx_http_file_cache_header_t, NGX_HTTP_CACHE_VERSION 5 in nginx
// 1.22 on 64-bit Linux): version, valid_sec, updating_sec, error_sec, last_modified, date.
struct CacheHeader {
  uint64_t version = 0;
  int64_t valid_sec = 0;
  int64_t last_modified = 0;
  int64_t date = 0;
};

std::optional<CacheHeader> read_cache_header(const std::filesystem::path& cache_dir) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(cache_dir)) {
    if (!entry.is_regular_file()) {
      continue;
    }
    std::string bytes = slurp(entry.path());
    if (bytes.size() < 48) {
      continue;
    }
    CacheHeader h;
    std::memcpy(&h.version, bytes.data(), 8);
    std::memcpy(&h.valid_sec, bytes.data() + 8, 8);
    std::memcpy(&h.last_modified, bytes.data() + 32, 8);
    std::memcpy(&h.date, bytes.data() + 40, 8);
    return h;
  }
  return std::nullopt;
}

struct Proxy {
  std::filesystem::path prefix;
  std::unique_ptr<ServerProcess> process;
  int port = 0;
};

// nginx as the current user: one process (master_process off, so no switch to a worker user
// when we are root), every path inside `prefix`, one cache zone per upstream.
Proxy start_nginx(const std::filesystem::path& prefix, const std::vector<int>& upstreams,
                  std::vector<int>& ports) {
  std::filesystem::create_directories(prefix);
  for (int attempt = 0; attempt < 3; ++attempt) {
    ports.clear();
    std::string servers;
    for (size_t i = 0; i < upstreams.size(); ++i) {
      ports.push_back(reserve_free_port());
      std::string zone = "z" + std::to_string(i);
      servers += "  proxy_cache_path " + (prefix / ("cache-" + zone)).string() +
                 " levels=1 keys_zone=" + zone +
                 ":1m max_size=10m inactive=10d use_temp_path=off;\n";
      servers +=
          "  server {\n    listen 127.0.0.1:" + std::to_string(ports[i]) +
          ";\n    location / {\n      proxy_pass http://127.0.0.1:" + std::to_string(upstreams[i]) +
          ";\n      proxy_cache " + zone +
          ";\n      proxy_cache_revalidate on;\n"
          "      add_header X-Cache-Status $upstream_cache_status always;\n    }\n  }\n";
    }
    std::string p = prefix.string();
    write_text(prefix / "nginx.conf",
               "master_process off;\nworker_processes 1;\npid " + p + "/nginx.pid;\n" +
                   "error_log stderr notice;\nevents { worker_connections 64; }\nhttp {\n" +
                   "  access_log " + p + "/access.log;\n  client_body_temp_path " + p +
                   "/body;\n  proxy_temp_path " + p + "/proxy;\n  fastcgi_temp_path " + p +
                   "/fastcgi;\n  uwsgi_temp_path " + p + "/uwsgi;\n  scgi_temp_path " + p +
                   "/scgi;\n" + servers + "}\n");
    Proxy proxy;
    proxy.prefix = prefix;
    proxy.process = std::make_unique<ServerProcess>(std::vector<std::string>{
        "nginx", "-p", p + "/", "-c", p + "/nginx.conf", "-e", "stderr", "-g", "daemon off;"});
    bool up = true;
    for (int port : ports) {
      up = up && wait_for_port(port, 10000);
    }
    if (up) {
      proxy.port = ports[0];
      return proxy;
    }
    std::string out = proxy.process->output();
    proxy.process->stop();
    if (!contains(out, "Address already in use")) {
      FAIL("nginx did not start:\n" << out);
    }
  }
  FAIL("nginx: no free port after 3 attempts");
  return {};
}

bool have_nginx() {
  return run({"sh", "-c", "command -v nginx"}).exit_code == 0;
}

}  // namespace

TEST_CASE("nginx proxy_cache in front of the responder follows our Cache-Control",
          "[e2e][nginx][cache]") {
  if (!have_nginx()) {
    WARN("SKIPPED: nginx is not installed (scripts/setup installs nginx-light)");
    return;
  }
  E2ePki& pki = E2ePki::shared();

  // A second responder on the same store (LMDB: any number of read-only processes) whose
  // max-age cap is 2 s, so expiry can be watched without waiting for the 1-day default.
  std::filesystem::path short_config = pki.file("pkirepo-short.toml");
  write_text(short_config, slurp(pki.config()) + "\n[responder]\nmax_age_cap = \"2s\"\n");
  ServerProcess short_responder({binary("pkirepo-responder").string(), "-c", short_config.string(),
                                 "--listen", "127.0.0.1:0", "--threads", "1"},
                                {}, E2ePki::unset_env());
  REQUIRE(short_responder.wait_for_output("listening on", 20000));
  std::string out = short_responder.output();
  int short_port = std::stoi(out.substr(out.find("127.0.0.1:") + 10));
  std::string short_url = "http://127.0.0.1:" + std::to_string(short_port);

  std::vector<int> ports;
  Proxy proxy = start_nginx(pki.file("nginx"), {pki.port(), short_port}, ports);
  auto via = [&](size_t i, const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(ports[i]) + path;
  };

  // One OCSP GET request (openssl builds it) for the good EC certificate.
  std::filesystem::path req = pki.file("nginx-req.der");
  REQUIRE(run({"openssl", "ocsp", "-sha256", "-issuer", pki.ca_pem("tls").string(), "-cert",
               pki.leaf_pem("tls", "good").string(), "-no_nonce", "-reqout", req.string()})
              .exit_code == 0);
  const std::string path = "/ocsp/" + ocsp_get_path(req);

  SECTION("second identical GET is a HIT, stored for exactly max-age") {
    uint64_t gets = pki.requests("ocsp_get");
    RunResult first = curl({"-D", "-", "-o", pki.file("nginx-1.der").string(), via(0, path)});
    RunResult second = curl({"-D", "-", "-o", pki.file("nginx-2.der").string(), via(0, path)});
    INFO(first.out << "\n" << second.out << "\n" << proxy.process->output());
    REQUIRE(first.exit_code == 0);
    REQUIRE(second.exit_code == 0);
    CHECK(header_value(first.out, "X-Cache-Status") == "MISS");
    CHECK(header_value(second.out, "X-Cache-Status") == "HIT");
    CHECK(pki.requests("ocsp_get") == gets + 1);  // the HIT never reached the responder
    CHECK(slurp(pki.file("nginx-1.der")) == slurp(pki.file("nginx-2.der")));
    // Our headers pass through unchanged (no-transform: the bytes stay the signed bytes).
    std::string cache_control = header_value(first.out, "Cache-Control");
    CHECK(contains(cache_control, "public, no-transform, must-revalidate"));
    CHECK(header_value(second.out, "Cache-Control") == cache_control);
    CHECK(header_value(second.out, "ETag") == header_value(first.out, "ETag"));

    int64_t max_age = std::stoll(cache_control.substr(cache_control.find("max-age=") + 8));
    CHECK(max_age == 86400);  // responder.max_age_cap default, below nextUpdate - now
    auto header = read_cache_header(proxy.prefix / "cache-z0");
    REQUIRE(header);
    if (header->version != 5) {
      WARN("nginx cache file version " << header->version << " (not 5): expiry not checked");
    } else {
      CHECK(header->valid_sec - header->date == max_age);
      CHECK(header->last_modified > 0);  // Last-Modified (thisUpdate) kept for revalidation
    }
  }

  SECTION("short max-age: HIT, then expired and revalidated with a 304") {
    uint64_t gets = pki.requests("ocsp_get", short_url);
    RunResult first = curl({"-D", "-", "-o", "/dev/null", via(1, path)});
    RunResult second = curl({"-D", "-", "-o", "/dev/null", via(1, path)});
    INFO(first.out << "\n" << second.out);
    REQUIRE(first.exit_code == 0);
    std::string cache_control = header_value(first.out, "Cache-Control");
    int64_t max_age = std::stoll(cache_control.substr(cache_control.find("max-age=") + 8));
    CHECK(max_age == 2);
    CHECK(header_value(first.out, "X-Cache-Status") == "MISS");
    CHECK(header_value(second.out, "X-Cache-Status") == "HIT");
    auto header = read_cache_header(proxy.prefix / "cache-z1");
    REQUIRE(header);
    if (header->version == 5) {
      CHECK(header->valid_sec - header->date == max_age);
    }
    // Past max-age (bounded wait): nginx asks again with If-None-Match/If-Modified-Since.
    std::this_thread::sleep_for(std::chrono::seconds(max_age + 1));
    RunResult third = curl({"-D", "-", "-o", "/dev/null", via(1, path)});
    INFO(third.out);
    CHECK(contains(third.out, "HTTP/1.1 200"));
    CHECK(header_value(third.out, "X-Cache-Status") == "REVALIDATED");
    CHECK(pki.requests("ocsp_get", short_url) == gets + 2);
  }

  CHECK(proxy.process->stop() == 0);
  CHECK(short_responder.stop() == 0);
}
