// The responder's request handling, as a pure function of (Request, read transaction): routing
// and one handler per route (ocsp_handler.cpp, object_handlers.cpp; /, /healthz and /metrics in
// responder.cpp). No socket, no clock, no globals: tests call handle() directly.
//
// Routes (URLs as config.h's helpers build them into certificates):
//   POST /  or  POST <ocsp.path>[/]           OCSP, body application/ocsp-request
//   GET  /<b64>  or  GET <ocsp.path>/<b64>    OCSP, RFC 6960 A.1 (HEAD as GET)
//   GET  /crl/<ca>.crl, /crl/<ca>/<shard>.crl, /crl/<ca>.json
//   GET  /ca/<ca>.crt
//   GET  /healthz, /metrics, / (load balancer probe)
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "config/config.h"
#include "responder/health.h"
#include "responder/http.h"
#include "responder/metrics.h"
#include "responder/nonce_limiter.h"
#include "responder/nonce_signer.h"
#include "responder/ocsp_errors.h"
#include "store/lmdb.h"

namespace pkirepo::responder {

struct ResponderOptions {
  std::string ocsp_path = "/ocsp";  // [ocsp] path; "" or "/" when OCSP lives at the root
  NonceMode nonce = NonceMode::ignore;
  int64_t max_age_cap = 86400;
  int64_t stale_margin = 3600;
  int crl_shards = 1;        // [crl] shards: >1 serves /crl/<ca>/<n>.crl
  uint32_t nonce_rate = 10;  // nonce = "sign": signatures per second per source
  uint32_t nonce_burst = 20;
  // responder.metrics_listen is set: /metrics is answered on Listener::metrics only, and that
  // listener answers nothing else.
  bool metrics_separate = false;

  [[nodiscard]] static ResponderOptions from_config(const Config& config);
};

class Responder {
 public:
  // Borrowed, all outliving the Responder: `nonce_signer` (nullptr unless nonce = "sign"),
  // `health` (published by the scanner thread), `metrics` (rendered by /metrics; the nonce
  // rate limit counts its refusals there).
  Responder(ResponderOptions options, const NonceSigner* nonce_signer, const HealthMonitor& health,
            const Metrics& metrics);

  // Answers one request from `txn`, a read transaction the caller renewed for this request.
  // The Response's body and ETag may point into `txn`'s snapshot: send (or copy) them before
  // the transaction is reset. Never throws: a store failure becomes OCSP internalError (OCSP
  // routes) or HTTP 500.
  [[nodiscard]] Response handle(const Request& req, const store::Txn& txn) const noexcept;

  [[nodiscard]] const ResponderOptions& options() const { return options_; }

 private:
  Response route(const Request& req, const store::Txn& txn) const;
  Response handle_ocsp(const Request& req, ByteView der, Route route, const store::Txn& txn) const;
  Response handle_crl(const Request& req, std::string_view rest, const store::Txn& txn) const;
  Response handle_ca(const Request& req, std::string_view rest, const store::Txn& txn) const;
  Response handle_healthz(const Request& req) const;
  Response handle_metrics(const Request& req, const store::Txn& txn) const;

  ResponderOptions options_;
  const NonceSigner* nonce_signer_;
  std::unique_ptr<NonceLimiter> nonce_limiter_;  // internally synchronised
  const HealthMonitor& health_;
  const Metrics& metrics_;
};

// Helpers the handler files share.
[[nodiscard]] Response ocsp_error_response(OcspError e, Outcome outcome, Route route, UnixTime now);
[[nodiscard]] Response plain_response(int status, Outcome outcome, Route route,
                                      std::string_view text, UnixTime now);

}  // namespace pkirepo::responder
