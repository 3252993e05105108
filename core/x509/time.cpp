#include "x509/time.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace pkirepo {

bool simulated_clock_build() {
#ifdef PKIREPO_SIMULATED_CLOCK
  return true;
#else
  return false;
#endif
}

const char* clock_build_note() {
  return simulated_clock_build() ? " (simulated clock: test build)" : "";
}

std::optional<UnixTime> clock_pinned() {
  const char* pinned = std::getenv("PKIREPO_NOW");
  if (pinned == nullptr || *pinned == '\0') {
    return std::nullopt;
  }
  // A production build never lets the environment move its clock: certificates, responses and
  // audit records carry the system's time, so PKIREPO_NOW there is refused, not ignored.
  if (!simulated_clock_build()) {
    throw std::runtime_error(
        "PKIREPO_NOW is set, but this build reads only the real clock (a simulated clock needs a "
        "test build: -DPKIREPO_SIMULATED_CLOCK=ON)");
  }
  if (auto t = parse_rfc3339(pinned)) {
    return *t;
  }
  throw std::runtime_error(std::string("PKIREPO_NOW: not an RFC 3339 time: ") + pinned);
}

UnixTime clock_now() {
  if (auto pinned = clock_pinned()) {
    return *pinned;
  }
  return static_cast<UnixTime>(std::time(nullptr));
}

Asn1TimePtr make_x509_time(UnixTime t) {
  Asn1TimePtr out(ASN1_TIME_set(nullptr, static_cast<time_t>(t)));
  if (!out) {
    throw std::runtime_error("time " + std::to_string(t) + " cannot be encoded");
  }
  return out;
}

Asn1GeneralizedTimePtr make_generalized_time(UnixTime t) {
  Asn1GeneralizedTimePtr out(ASN1_GENERALIZEDTIME_set(nullptr, static_cast<time_t>(t)));
  if (!out) {
    throw std::runtime_error("time " + std::to_string(t) + " cannot be encoded");
  }
  return out;
}

std::optional<UnixTime> to_unix(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    return std::nullopt;
  }
  return static_cast<UnixTime>(timegm(&tm));
}

std::string rfc3339(UnixTime t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<UnixTime> parse_rfc3339(std::string_view text) {
  std::string s(text);
  std::tm tm{};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  char sep = 0;
  char z = 0;
  int consumed = 0;
  if (s.size() == 10 && std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &consumed) == 3 &&
      consumed == 10) {
  } else if (std::sscanf(s.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%c%n", &y, &mo, &d, &sep, &h, &mi,
                         &sec, &z, &consumed) == 8 &&
             static_cast<size_t>(consumed) == s.size() && (sep == 'T' || sep == ' ') &&
             (z == 'Z' || z == 'z')) {
  } else {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1950) {
    return std::nullopt;
  }
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  UnixTime t = static_cast<UnixTime>(timegm(&tm));
  // timegm normalizes 2026-02-31 to March: refuse dates that do not round-trip.
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm back{};
  gmtime_r(&tt, &back);
  if (back.tm_mday != d || back.tm_mon != mo - 1) {
    return std::nullopt;
  }
  return t;
}

std::string http_date(UnixTime t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
                tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::optional<UnixTime> parse_http_date(std::string_view text) {
  std::string s(text);
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') {
    return std::nullopt;
  }
  return static_cast<UnixTime>(timegm(&tm));
}

UnixTime add_years(UnixTime t, int years) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  tm.tm_year += years;
  if (tm.tm_mon == 1 && tm.tm_mday == 29) {
    tm.tm_mday = 28;
  }
  return static_cast<UnixTime>(timegm(&tm));
}

}  // namespace pkirepo
