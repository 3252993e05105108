// CRLs (RFC 5280 5, BR 4.9.7; DER as application/pkix-crl, RFC 5280 4.2.1.13), the CCADB list
// of CRL partitions (CCADB policy 6.2) and CA certificates for AIA caIssuers
// (application/pkix-cert, RFC 5280 4.2.2.1). Served with the same caching headers as OCSP.
#include <charconv>

#include "responder/caching.h"
#include "responder/responder.h"
#include "store/store.h"

namespace pkirepo::responder {
namespace {

// CA ids are config identifiers; anything else cannot name a stored CA.
bool valid_ca_id(std::string_view id) {
  if (id.empty() || id.size() > 128) {
    return false;
  }
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) {
      return false;
    }
  }
  return true;
}

bool strip_suffix(std::string_view& s, std::string_view suffix) {
  if (s.size() <= suffix.size() || s.substr(s.size() - suffix.size()) != suffix) {
    return false;
  }
  s.remove_suffix(suffix.size());
  return true;
}

Response object_response(const Request& req, Route route, const char* content_type,
                         UnixTime last_modified, UnixTime expires, std::string_view etag,
                         Bytes body, int64_t max_age_cap) {
  Response r;
  r.route = route;
  r.content_type = content_type;
  add_caching_headers(r, last_modified, expires, etag, req.now, max_age_cap);
  if (is_not_modified(req, etag, last_modified)) {
    r.status = 304;
    r.content_type = nullptr;
    r.outcome = Outcome::not_modified;
    return r;
  }
  r.set_owned_body(std::move(body));
  r.outcome = Outcome::served;
  return r;
}

// Built by appending: GCC 12's -Wrestrict misfires on `"\"" + std::string` at -O2 (PR 105329).
std::string quoted_sha256(ByteView data) {
  std::string out;
  out.reserve(66);
  out += '"';
  out += to_hex(sha256(data));
  out += '"';
  return out;
}

}  // namespace

Response Responder::handle_crl(const Request& req, std::string_view rest,
                               const store::Txn& txn) const {
  auto not_found = [&] {
    return plain_response(404, Outcome::not_found, Route::crl, "no such CRL\n", req.now);
  };
  std::string_view name = rest;
  if (strip_suffix(name, ".json")) {
    // CCADB 6.2: the JSON array of the CA's CRL URLs, which `pkirepo-signer run` keeps under
    // crls "<ca>/list.json" (a CrlRecord whose `der` is the JSON; no nextUpdate).
    if (!valid_ca_id(name)) {
      return not_found();
    }
    std::string key = std::string(name) + "/list.json";
    std::optional<ByteView> value = txn.get(store::Db::crls, as_bytes(key));
    store::CrlRecord list;
    if (!value || !store::decode(*value, list)) {
      return not_found();
    }
    std::string etag = list.etag.empty() ? quoted_sha256(list.der) : list.etag;
    return object_response(req, Route::crl, "application/json", list.this_update,
                           req.now + options_.max_age_cap + 1, etag, std::move(list.der),
                           options_.max_age_cap);
  }
  if (!strip_suffix(name, ".crl")) {
    return not_found();
  }
  // The URLs of Config::crl_url(): "/crl/<ca>.crl" for a full CRL (stored as shard 0),
  // "/crl/<ca>/<n>.crl" for the partitions of a sharded issuing CA (signer/run.h).
  int shard = 0;
  bool partition = false;
  size_t slash = name.find('/');
  if (slash != std::string_view::npos) {
    std::string_view digits = name.substr(slash + 1);
    name = name.substr(0, slash);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), shard);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
        (digits.size() > 1 && digits[0] == '0') || shard < 0) {
      return not_found();
    }
    partition = true;
  }
  if (!valid_ca_id(name)) {
    return not_found();
  }
  auto ca = store::get_ca(txn, name);
  if (!ca) {
    return not_found();
  }
  const bool sharded = ca->role == CaRole::issuing && options_.crl_shards > 1;
  if (partition != sharded) {
    return not_found();  // a URL no certificate of this CA carries
  }
  auto crl = store::get_crl(txn, name, shard);
  if (!crl) {
    return not_found();
  }
  if (crl->next_update <= req.now) {
    // Never serve past nextUpdate (the CRL analogue of tryLater).
    Response r =
        plain_response(503, Outcome::stale, Route::crl,
                       "CRL past its nextUpdate; the signer has not refreshed it\n", req.now);
    r.add_header("Retry-After", "60");
    return r;
  }
  std::string etag = crl->etag.empty() ? quoted_sha256(crl->der) : crl->etag;
  return object_response(req, Route::crl, "application/pkix-crl", crl->this_update,
                         crl->next_update, etag, std::move(crl->der), options_.max_age_cap);
}

Response Responder::handle_ca(const Request& req, std::string_view rest,
                              const store::Txn& txn) const {
  std::string_view name = rest;
  if (!strip_suffix(name, ".crt") || !valid_ca_id(name)) {
    return plain_response(404, Outcome::not_found, Route::ca, "no such CA\n", req.now);
  }
  auto ca = store::get_ca(txn, name);
  if (!ca) {
    return plain_response(404, Outcome::not_found, Route::ca, "no such CA\n", req.now);
  }
  // A CA certificate does not change: cache for the full cap.
  std::string etag = quoted_sha256(ca->cert_der);
  return object_response(req, Route::ca, "application/pkix-cert", ca->created,
                         req.now + options_.max_age_cap + 1, etag, std::move(ca->cert_der),
                         options_.max_age_cap);
}

}  // namespace pkirepo::responder
