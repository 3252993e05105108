// Unsigned OCSP error responses (RFC 6960 4.2.1): an OCSPResponse holding only responseStatus.
// They never change, so their DER is built once, by OpenSSL, on first use and then shared
// read-only by every thread.
#pragma once

#include "x509/bytes.h"

namespace pkirepo::responder {

enum class OcspError {
  malformed_request = 1,  // OCSP_RESPONSE_STATUS_MALFORMEDREQUEST
  internal_error = 2,
  try_later = 3,
  unauthorized = 6,
};

// DER of the error response; the view points to static storage valid for the process's life.
// Thread-safe (initialised once, C++ magic statics).
[[nodiscard]] ByteView ocsp_error_der(OcspError e);

}  // namespace pkirepo::responder
