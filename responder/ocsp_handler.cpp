// OCSP over GET and POST: decode → one CertID → store key → one mdb_get → stored bytes with
// RFC 9919 caching headers (docs/responder.md).
#include <openssl/ocsp.h>

#include "responder/caching.h"
#include "responder/ocsp_request.h"
#include "responder/responder.h"
#include "store/schema.h"
#include "store/store.h"

namespace pkirepo::responder {

Response Responder::handle_ocsp(const Request& req, ByteView der, Route route,
                                const store::Txn& txn) const {
  DecodedRequest decoded;
  switch (decode_ocsp_request(der, decoded)) {
    case RequestDecode::ok:
      break;
    case RequestDecode::malformed:
      return ocsp_error_response(OcspError::malformed_request, Outcome::malformed, route, req.now);
    case RequestDecode::unknown_hash:
    case RequestDecode::serial_out_of_range:
      // Nothing we could hold answers this CertID (RFC 9919 3.2.3: unauthorized).
      return ocsp_error_response(OcspError::unauthorized, Outcome::unauthorized, route, req.now);
  }
  // The key holds issuerNameHash and issuerKeyHash: an unknown issuer, a right key with a
  // wrong name, or an unknown serial are all simply absent.
  std::optional<ByteView> value = txn.get(store::Db::ocsp, decoded.key.view());
  if (!value) {
    return ocsp_error_response(OcspError::unauthorized, Outcome::unauthorized, route, req.now);
  }
  store::OcspView view;
  if (!store::decode_view(*value, view)) {
    return ocsp_error_response(OcspError::internal_error, Outcome::internal_error, route, req.now);
  }
  // The response is the record's head and, for a delegated responder, the shared tail (its
  // certificate) from the same snapshot; a record without a tail is served from the map.
  std::optional<Bytes> joined;
  if (view.tail_id != 0 && !(joined = store::ocsp_der(txn, view))) {
    return ocsp_error_response(OcspError::internal_error, Outcome::internal_error, route, req.now);
  }
  const ByteView response = joined ? ByteView(*joined) : view.head;
  // RFC 9919 / BR 4.9.10: never serve a response past its nextUpdate.
  if (view.next_update <= req.now) {
    return ocsp_error_response(OcspError::try_later, Outcome::stale, route, req.now);
  }
  const Outcome status_outcome =
      view.status == store::CertStatus::revoked ? Outcome::revoked : Outcome::good;

  bool sign_nonce =
      decoded.has_nonce && options_.nonce == NonceMode::sign && nonce_signer_ != nullptr;
  if (sign_nonce && decoded.nonce_malformed) {  // RFC 9654 2.1: 1 to 128 octets
    return ocsp_error_response(OcspError::malformed_request, Outcome::malformed, route, req.now);
  }
  // One signature per token: over its source's rate, the client gets the pre-signed response
  // below, without its nonce (docs/responder.md, "Abuse limits").
  if (sign_nonce && !nonce_limiter_->allow(req.client, req.now)) {
    metrics_.note(AbuseEvent::nonce_rate_limited);
    sign_nonce = false;
  }
  if (sign_nonce) {
    Response r;
    r.route = route;
    r.content_type = "application/ocsp-response";
    switch (nonce_signer_->sign(response, decoded.request.get(), r.owned_body)) {
      case NonceSigner::Result::signed_ok:
        r.body = r.owned_body;
        r.outcome = Outcome::nonce_signed;
        // Unique to this request: no shared caching.
        r.add_header("Cache-Control", "no-store");
        r.add_header("Last-Modified", format_http_date(view.this_update));
        r.add_header("Expires", format_http_date(view.next_update));
        r.add_header("Date", format_http_date(req.now));
        return r;
      case NonceSigner::Result::no_key:
        break;  // not signed by a responder key we hold: serve as stored, without nonce
      case NonceSigner::Result::failed:
        return ocsp_error_response(OcspError::internal_error, Outcome::internal_error, route,
                                   req.now);
    }
  }

  Response r;
  r.route = route;
  r.content_type = "application/ocsp-response";
  add_caching_headers(r, view.this_update, view.next_update, view.etag, req.now,
                      options_.max_age_cap);
  if (is_not_modified(req, view.etag, view.this_update)) {
    r.status = 304;
    r.content_type = nullptr;
    r.outcome = Outcome::not_modified;
    return r;
  }
  if (joined) {
    r.set_owned_body(std::move(*joined));
  } else {
    r.body = response;  // zero-copy: valid until the caller resets `txn`
  }
  r.outcome = status_outcome;
  return r;
}

}  // namespace pkirepo::responder
