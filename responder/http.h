// The responder's HTTP vocabulary, free of libmicrohttpd: the adapter (server.h) turns each
// request into a Request and sends the Response back, so handlers are plain functions that
// tests drive without a socket.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "responder/client_source.h"
#include "x509/bytes.h"
#include "x509/time.h"

namespace pkirepo::responder {

enum class Method { get, head, post, other };

// Which listening socket a request came in on: the public one, or responder.metrics_listen
// (which serves /metrics only, and then the public one does not).
enum class Listener { main, metrics };

// Requests larger than this are refused (413 for a body, 414 for a GET path whose decoded
// DER would exceed it): an OCSP request with one CertID is ~80-130 bytes, a nonce adds ≤ 132.
inline constexpr size_t kMaxRequestBytes = 4096;

// One HTTP request as the handlers see it. Every view is borrowed from the adapter and valid
// for the duration of the handler call only.
struct Request {
  Method method = Method::get;
  std::string_view path;           // raw (still percent-encoded), without the query string
  ByteView body;                   // POST body; empty otherwise
  bool body_too_large = false;     // the adapter stopped reading at kMaxRequestBytes
  std::string_view if_none_match;  // header values, "" when absent
  std::string_view if_modified_since;
  UnixTime now = 0;  // read by the adapter's clock (main's), once per request
  // The peer's IPv4 address or IPv6 /64, for the nonce rate limit: set by the adapter when
  // nonce = "sign" (unknown otherwise, and in handler tests unless a test sets it).
  SourceKey client;
  Listener listener = Listener::main;
};

// Appends `text` for a one-line log: bytes below 0x20, 0x7f and above, the double quote and
// the backslash become \xHH, so nothing a client sends can end a quoted field, forge a line,
// or reach a terminal as a control sequence. At most `max_in` bytes of `text` are written; a
// cut is marked with "...".
void append_log_escaped(std::string& out, std::string_view text, size_t max_in);

// Which handler answered and how, for /metrics and the access log.
enum class Route : uint8_t { ocsp_get, ocsp_post, crl, ca, healthz, metrics, root, other, count_ };
enum class Outcome : uint8_t {
  good,                // 200 with a pre-signed "good" response
  revoked,             // 200 with a pre-signed "revoked" response
  nonce_signed,        // 200 with a freshly signed response echoing the nonce ([ocsp] nonce=sign)
  served,              // 200 for a non-OCSP route (CRL, CA certificate, /healthz, /metrics, /)
  not_modified,        // 304
  unauthorized,        // OCSP unauthorized: unknown issuer, serial or hash algorithm
  malformed,           // OCSP malformedRequest
  stale,               // OCSP tryLater: the stored response's nextUpdate has passed
  internal_error,      // OCSP internalError or HTTP 500
  not_found,           // 404
  method_not_allowed,  // 405
  too_large,           // 413 / 414
  unhealthy,           // /healthz 503
  count_
};
[[nodiscard]] const char* route_name(Route r);
[[nodiscard]] const char* outcome_name(Outcome o);

struct Header {
  const char* name;  // a string literal
  std::string value;
};

// The answer. `body` may point into `owned_body`, into static storage, or into the store's
// memory map (valid until the worker's read transaction is reset): the adapter copies it
// before it resets the transaction.
struct Response {
  int status = 200;
  const char* content_type = nullptr;  // a string literal; nullptr: no Content-Type
  ByteView body;
  Bytes owned_body;
  static constexpr size_t kMaxHeaders = 8;
  Header headers[kMaxHeaders];
  size_t header_count = 0;
  Route route = Route::other;
  Outcome outcome = Outcome::served;

  void add_header(const char* name, std::string value) {
    if (header_count < kMaxHeaders) {
      headers[header_count++] = Header{name, std::move(value)};
    }
  }
  [[nodiscard]] const std::string* header(std::string_view name) const;
  void set_owned_body(Bytes bytes) {
    owned_body = std::move(bytes);
    body = owned_body;
  }
  void set_text_body(std::string_view text) { set_owned_body(Bytes(text.begin(), text.end())); }
};

}  // namespace pkirepo::responder
