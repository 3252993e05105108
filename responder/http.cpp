#include "responder/http.h"

#include <strings.h>

#include <algorithm>

namespace pkirepo::responder {

const char* route_name(Route r) {
  switch (r) {
    case Route::ocsp_get:
      return "ocsp_get";
    case Route::ocsp_post:
      return "ocsp_post";
    case Route::crl:
      return "crl";
    case Route::ca:
      return "ca";
    case Route::healthz:
      return "healthz";
    case Route::metrics:
      return "metrics";
    case Route::root:
      return "root";
    case Route::other:
      return "other";
    case Route::count_:
      break;
  }
  return "?";
}

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::good:
      return "good";
    case Outcome::revoked:
      return "revoked";
    case Outcome::nonce_signed:
      return "nonce_signed";
    case Outcome::served:
      return "served";
    case Outcome::not_modified:
      return "not_modified";
    case Outcome::unauthorized:
      return "unauthorized";
    case Outcome::malformed:
      return "malformed";
    case Outcome::stale:
      return "stale";
    case Outcome::internal_error:
      return "internal_error";
    case Outcome::not_found:
      return "not_found";
    case Outcome::method_not_allowed:
      return "method_not_allowed";
    case Outcome::too_large:
      return "too_large";
    case Outcome::unhealthy:
      return "unhealthy";
    case Outcome::count_:
      break;
  }
  return "?";
}

void append_log_escaped(std::string& out, std::string_view text, size_t max_in) {
  static constexpr char kHex[] = "0123456789abcdef";
  const size_t n = std::min(text.size(), max_in);
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (n < text.size()) {
    out += "...";
  }
}

const std::string* Response::header(std::string_view name) const {
  for (size_t i = 0; i < header_count; ++i) {
    std::string_view n = headers[i].name;
    if (n.size() == name.size() && ::strncasecmp(n.data(), name.data(), n.size()) == 0) {
      return &headers[i].value;
    }
  }
  return nullptr;
}

}  // namespace pkirepo::responder
