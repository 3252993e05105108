// Routing and the small status handlers (/, /healthz, /metrics).
#include "responder/responder.h"

#include "responder/caching.h"
#include "responder/ocsp_request.h"
#include "store/meta_keys.h"
#include "store/store.h"

namespace pkirepo::responder {
namespace {

std::string normalise_prefix(std::string p) {
  while (!p.empty() && p.back() == '/') {
    p.pop_back();
  }
  if (!p.empty() && p.front() != '/') {
    p.insert(p.begin(), '/');
  }
  return p;
}

// "/ocsp" matches "/ocsp" and "/ocsp/..."; `rest` is what follows, leading slashes removed
// (base64 of a DER SEQUENCE starts with 'M', never '/', so this loses nothing).
bool strip_prefix(std::string_view path, std::string_view prefix, std::string_view& rest) {
  if (prefix.empty() || path.substr(0, prefix.size()) != prefix ||
      (path.size() > prefix.size() && path[prefix.size()] != '/')) {
    return false;
  }
  rest = path.substr(prefix.size());
  while (!rest.empty() && rest.front() == '/') {
    rest.remove_prefix(1);
  }
  return true;
}

bool is_object_route(std::string_view path) {
  return path == "/healthz" || path == "/metrics" || path.starts_with("/crl/") ||
         path.starts_with("/ca/");
}

Response method_not_allowed(const char* allow, Route route, UnixTime now) {
  Response r = plain_response(405, Outcome::method_not_allowed, route, "method not allowed\n", now);
  r.add_header("Allow", allow);
  return r;
}

}  // namespace

ResponderOptions ResponderOptions::from_config(const Config& config) {
  ResponderOptions o;
  o.ocsp_path = normalise_prefix(config.ocsp.path);
  o.nonce = config.ocsp.nonce;
  o.max_age_cap = config.responder.max_age_cap.seconds;
  o.stale_margin = config.responder.stale_margin.seconds;
  o.crl_shards = config.crl.shards;
  o.nonce_rate = static_cast<uint32_t>(config.responder.nonce_rate);
  o.nonce_burst = static_cast<uint32_t>(config.responder.nonce_burst);
  o.metrics_separate = !config.responder.metrics_listen.empty();
  return o;
}

Responder::Responder(ResponderOptions options, const NonceSigner* nonce_signer,
                     const HealthMonitor& health, const Metrics& metrics)
    : options_(std::move(options)),
      nonce_signer_(nonce_signer),
      nonce_limiter_(std::make_unique<NonceLimiter>(options_.nonce_rate, options_.nonce_burst)),
      health_(health),
      metrics_(metrics) {
  options_.ocsp_path = normalise_prefix(options_.ocsp_path);
}

Response ocsp_error_response(OcspError e, Outcome outcome, Route route, UnixTime now) {
  Response r;
  r.status = 200;  // RFC 6960 A.1: OCSP errors travel inside a successful HTTP response
  r.content_type = "application/ocsp-response";
  r.body = ocsp_error_der(e);
  r.route = route;
  r.outcome = outcome;
  add_no_store_headers(r, now);
  return r;
}

Response plain_response(int status, Outcome outcome, Route route, std::string_view text,
                        UnixTime now) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.set_text_body(text);
  r.route = route;
  r.outcome = outcome;
  add_no_store_headers(r, now);
  return r;
}

Response Responder::handle(const Request& req, const store::Txn& txn) const noexcept {
  try {
    return route(req, txn);
  } catch (...) {
    // A store failure or an allocation failure: OCSP clients get internalError (RFC 6960
    // 2.3), everyone else 500. Building these can itself throw only on allocation failure.
    try {
      bool ocsp = req.method == Method::post || (!is_object_route(req.path) && req.path != "/");
      if (ocsp) {
        return ocsp_error_response(OcspError::internal_error, Outcome::internal_error,
                                   req.method == Method::post ? Route::ocsp_post : Route::ocsp_get,
                                   req.now);
      }
      return plain_response(500, Outcome::internal_error, Route::other, "internal error\n",
                            req.now);
    } catch (...) {
      Response r;
      r.status = 500;
      r.outcome = Outcome::internal_error;
      return r;
    }
  }
}

Response Responder::route(const Request& req, const store::Txn& txn) const {
  const std::string_view path = req.path;
  std::string_view rest;
  const bool under_prefix = strip_prefix(path, options_.ocsp_path, rest);

  // responder.metrics_listen: that listener serves /metrics and nothing else, and the public
  // one no /metrics.
  if (req.listener == Listener::metrics || (options_.metrics_separate && path == "/metrics")) {
    if (path != "/metrics" || req.listener != Listener::metrics) {
      return plain_response(404, Outcome::not_found, Route::other, "not found\n", req.now);
    }
    if (req.method != Method::get && req.method != Method::head) {
      return method_not_allowed("GET, HEAD", Route::other, req.now);
    }
    return handle_metrics(req, txn);
  }
  if (req.method == Method::other) {
    return method_not_allowed(is_object_route(path) ? "GET, HEAD" : "GET, HEAD, POST", Route::other,
                              req.now);
  }
  if (req.method == Method::post) {
    if (path == "/" || (under_prefix && rest.empty())) {
      if (req.body_too_large) {
        return plain_response(413, Outcome::too_large, Route::ocsp_post,
                              "request body over 4096 bytes\n", req.now);
      }
      return handle_ocsp(req, req.body, Route::ocsp_post, txn);
    }
    if (is_object_route(path)) {
      return method_not_allowed("GET, HEAD", Route::other, req.now);
    }
    return plain_response(404, Outcome::not_found, Route::other, "not found\n", req.now);
  }

  // GET and HEAD.
  if (path == "/" || path.empty() || (under_prefix && rest.empty())) {
    return plain_response(200, Outcome::served, Route::root, "pkirepo-responder\n", req.now);
  }
  if (path == "/healthz") {
    return handle_healthz(req);
  }
  if (path == "/metrics") {
    return handle_metrics(req, txn);
  }
  if (path.starts_with("/crl/")) {
    return handle_crl(req, path.substr(5), txn);
  }
  if (path.starts_with("/ca/")) {
    return handle_ca(req, path.substr(4), txn);
  }
  if (!under_prefix) {
    rest = path;
    while (!rest.empty() && rest.front() == '/') {
      rest.remove_prefix(1);
    }
  }
  Bytes der;
  switch (decode_get_path(rest, der, kMaxRequestBytes)) {
    case GetPathDecode::ok:
      return handle_ocsp(req, der, Route::ocsp_get, txn);
    case GetPathDecode::too_large:
      return plain_response(414, Outcome::too_large, Route::ocsp_get,
                            "request over 4096 bytes; use POST\n", req.now);
    case GetPathDecode::malformed:
      break;
  }
  return ocsp_error_response(OcspError::malformed_request, Outcome::malformed, Route::ocsp_get,
                             req.now);
}

Response Responder::handle_healthz(const Request& req) const {
  HealthVerdict v = evaluate_health(health_.snapshot(), req.now, options_.stale_margin);
  return plain_response(v.healthy ? 200 : 503, v.healthy ? Outcome::served : Outcome::unhealthy,
                        Route::healthz, v.reason + "\n", req.now);
}

Response Responder::handle_metrics(const Request& req, const store::Txn& txn) const {
  Metrics::Gauges g;
  if (auto last_run = store::get_meta_u64(txn, store::meta::kLastRun)) {
    g.store_age_seconds = static_cast<double>(req.now - static_cast<int64_t>(*last_run));
  }
  HealthSnapshot s = health_.snapshot();
  g.scanned = s.scanned;
  g.ocsp_records = s.ocsp_records;
  g.expired_ocsp_records = s.expired_records;
  g.crl_records = s.crl_records;
  g.records_past_next_update = s.past_next_update;
  if (s.earliest_next_update != std::numeric_limits<UnixTime>::max()) {
    g.seconds_to_earliest_next_update = static_cast<double>(s.earliest_next_update - req.now);
  }
  std::string text;
  metrics_.render(g, text);
  Response r = plain_response(200, Outcome::served, Route::metrics, text, req.now);
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  return r;
}

}  // namespace pkirepo::responder
