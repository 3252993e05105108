// Time as pkirepo passes it around: seconds since the Unix epoch, UTC. Only main() reads the
// clock; everything else takes a UnixTime.
#pragma once

#include <openssl/asn1.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "x509/openssl_ptr.h"

namespace pkirepo {

using UnixTime = std::int64_t;

// The clock. A production build reads the system clock only. A test build (cmake
// -DPKIREPO_SIMULATED_CLOCK=ON: scripts/test, scripts/demo, the benchmarks) reads the
// environment variable PKIREPO_NOW (RFC 3339) instead when it is set and not empty, so tests
// and the demo can run at any moment. In a production build a set PKIREPO_NOW is an error, never
// silently ignored: clock_now() and clock_pinned() throw std::runtime_error (one line).

// Reads the clock; call it from main() only. Throws as above, or on a PKIREPO_NOW that is not
// an RFC 3339 time.
[[nodiscard]] UnixTime clock_now();
// PKIREPO_NOW's time in a test build; nullopt when it is unset or empty. Throws as clock_now().
// For a program that reads the system clock again later (the responder, per request).
[[nodiscard]] std::optional<UnixTime> clock_pinned();
// True in a PKIREPO_SIMULATED_CLOCK build.
[[nodiscard]] bool simulated_clock_build();
// What each program's --version appends: " (simulated clock: test build)" in a
// PKIREPO_SIMULATED_CLOCK build, "" in a production build.
[[nodiscard]] const char* clock_build_note();

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
