// HTTP caching for pre-signed objects (RFC 9919 7, RFC 6960 A.1; RFC 9110 13 for
// conditional requests). Pure functions of their arguments.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "responder/http.h"
#include "x509/time.h"

namespace pkirepo::responder {

// RFC 9919 7: max-age n with thisUpdate < now + n < nextUpdate, so n is at most nextUpdate − now
// − 1 seconds, further capped by [responder] max_age_cap; never negative.
[[nodiscard]] int64_t cache_max_age(UnixTime next_update, UnixTime now, int64_t cap);

// IMF-fixdate, "Sun, 22 Nov 2026 02:15:29 GMT" (RFC 9110 5.6.7), without locale or libc time
// calls: this runs on every response.
[[nodiscard]] std::string format_http_date(UnixTime t);

// Adds Cache-Control, Last-Modified (thisUpdate), Expires (nextUpdate), ETag (when not empty)
// and Date to `resp`.
void add_caching_headers(Response& resp, UnixTime this_update, UnixTime next_update,
                         std::string_view etag, UnixTime now, int64_t max_age_cap);

// Headers for answers that must not be cached (errors, nonce-bearing responses).
void add_no_store_headers(Response& resp, UnixTime now);

// RFC 9110 13.1.2 / 13.1.3 for GET and HEAD: If-None-Match (weak comparison, lists, "*") wins;
// If-Modified-Since is consulted only without it. true → answer 304.
[[nodiscard]] bool is_not_modified(const Request& req, std::string_view etag,
                                   UnixTime last_modified);

}  // namespace pkirepo::responder
