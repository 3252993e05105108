#include "responder/caching.h"

#include <algorithm>

namespace pkirepo::responder {
namespace {

// Howard Hinnant's days → civil date (proleptic Gregorian).
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2 ? 1 : 0;
}

void put2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10 % 10);
  p[1] = static_cast<char>('0' + v % 10);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string_view opaque_tag(std::string_view tag) {
  if (tag.size() >= 2 && tag[0] == 'W' && tag[1] == '/') {
    tag.remove_prefix(2);
  }
  return tag;
}

}  // namespace

int64_t cache_max_age(UnixTime next_update, UnixTime now, int64_t cap) {
  return std::clamp<int64_t>(next_update - now - 1, 0, std::max<int64_t>(cap, 0));
}

std::string format_http_date(UnixTime t) {
  static constexpr const char* kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  int64_t secs = t - days * 86400;
  int64_t year = 0;
  unsigned month = 0;
  unsigned day = 0;
  civil_from_days(days, year, month, day);
  if (year < 0 || year > 9999) {
    year = std::clamp<int64_t>(year, 0, 9999);
  }
  int64_t wd = days % 7;
  if (wd < 0) {
    wd += 7;
  }
  std::string out = "Thu, 01 Jan 1970 00:00:00 GMT";
  char* p = out.data();
  const char* dn = kDays[wd];
  std::copy(dn, dn + 3, p);
  put2(p + 5, day);
  const char* mn = kMonths[month - 1];
  std::copy(mn, mn + 3, p + 8);
  auto y = static_cast<unsigned>(year);
  put2(p + 12, y / 100);
  put2(p + 14, y % 100);
  put2(p + 17, static_cast<unsigned>(secs / 3600));
  put2(p + 20, static_cast<unsigned>(secs / 60 % 60));
  put2(p + 23, static_cast<unsigned>(secs % 60));
  return out;
}

void add_caching_headers(Response& resp, UnixTime this_update, UnixTime next_update,
                         std::string_view etag, UnixTime now, int64_t max_age_cap) {
  resp.add_header("Cache-Control",
                  "max-age=" + std::to_string(cache_max_age(next_update, now, max_age_cap)) +
                      ", public, no-transform, must-revalidate");
  resp.add_header("Last-Modified", format_http_date(this_update));
  resp.add_header("Expires", format_http_date(next_update));
  if (!etag.empty()) {
    resp.add_header("ETag", std::string(etag));
  }
  resp.add_header("Date", format_http_date(now));
}

void add_no_store_headers(Response& resp, UnixTime now) {
  resp.add_header("Cache-Control", "no-store");
  resp.add_header("Date", format_http_date(now));
}

bool is_not_modified(const Request& req, std::string_view etag, UnixTime last_modified) {
  if (req.method != Method::get && req.method != Method::head) {
    return false;
  }
  if (!req.if_none_match.empty()) {
    if (etag.empty()) {
      return false;
    }
    std::string_view want = opaque_tag(etag);
    std::string_view list = req.if_none_match;
    while (!list.empty()) {
      size_t comma = list.find(',');
      std::string_view item = trim(list.substr(0, comma));
      if (item == "*" || opaque_tag(item) == want) {
        return true;
      }
      if (comma == std::string_view::npos) {
        break;
      }
      list.remove_prefix(comma + 1);
    }
    return false;
  }
  if (!req.if_modified_since.empty()) {
    auto since = parse_http_date(req.if_modified_since);
    return since && last_modified <= *since;
  }
  return false;
}

}  // namespace pkirepo::responder
