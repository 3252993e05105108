#include "responder/ocsp_errors.h"

#include <openssl/ocsp.h>

#include <array>
#include <stdexcept>

#include "x509/der.h"
#include "x509/openssl_ptr.h"

namespace pkirepo::responder {
namespace {

Bytes build(int status) {
  OcspResponsePtr resp(OCSP_response_create(status, nullptr));
  if (!resp) {
    throw std::runtime_error("OCSP_response_create failed: " + openssl_error());
  }
  return to_der(resp.get());
}

struct ErrorDers {
  Bytes malformed = build(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  Bytes internal = build(OCSP_RESPONSE_STATUS_INTERNALERROR);
  Bytes try_later = build(OCSP_RESPONSE_STATUS_TRYLATER);
  Bytes unauthorized = build(OCSP_RESPONSE_STATUS_UNAUTHORIZED);
};

}  // namespace

ByteView ocsp_error_der(OcspError e) {
  static const ErrorDers ders;
  switch (e) {
    case OcspError::malformed_request:
      return ders.malformed;
    case OcspError::internal_error:
      return ders.internal;
    case OcspError::try_later:
      return ders.try_later;
    case OcspError::unauthorized:
      return ders.unauthorized;
  }
  return ders.internal;
}

}  // namespace pkirepo::responder
