// Time as pkirepo passes it around: seconds since the Unix epoch, UTC. Only main() reads the
// clock (STYLE.md habit 5); everything else takes a UnixTime.
#pragma once

#include <openssl/asn1.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "x509/openssl_ptr.h"

namespace pkirepo {

using UnixTime = std::int64_t;

// Reads the wall clock; call it from main() only (or PKIREPO_NOW for tests, see .cpp).
[[nodiscard]] UnixTime clock_now();

// RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
[[nodiscard]] Asn1TimePtr make_x509_time(UnixTime t);
// RFC 6960 / RFC 9919: always GeneralizedTime, Zulu, whole seconds.
[[nodiscard]] Asn1GeneralizedTimePtr make_generalized_time(UnixTime t);
// nullopt when the value is not a valid time.
[[nodiscard]] std::optional<UnixTime> to_unix(const ASN1_TIME* t);

// "2026-11-22T02:15:29Z"
[[nodiscard]] std::string rfc3339(UnixTime t);
// Accepts "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SSZ" (and a space for the T). nullopt otherwise.
[[nodiscard]] std::optional<UnixTime> parse_rfc3339(std::string_view text);
// HTTP-date (RFC 9110 5.6.7): "Sun, 22 Nov 2026 02:15:29 GMT"
[[nodiscard]] std::string http_date(UnixTime t);
[[nodiscard]] std::optional<UnixTime> parse_http_date(std::string_view text);

// Adds calendar years (clamping Feb 29 to Feb 28), for the CPS maximum validity periods.
[[nodiscard]] UnixTime add_years(UnixTime t, int years);

}  // namespace pkirepo
