#include "config/status_services.h"

#include <string>

#include "config/duration.h"

namespace pkirepo {
namespace {

constexpr std::int64_t kDay = 86400;
// BR 1.6.1: short-lived meant at most 10 days before 2026-03-15 and 7 days from then.
constexpr std::int64_t kShortLivedMaxEver = 10 * kDay;
constexpr std::int64_t kMaxRetention = 10 * 365 * kDay;
// BR 4.9.7: CRLs re-issued at least every 4 days when some certificates carry no OCSP URL.
constexpr std::int64_t kCrlOnlyRefresh = 4 * kDay;

[[noreturn]] void fail(const Config& cfg, int line, const std::string& key,
                       const std::string& why) {
  throw ConfigError(cfg.file.string() + ":" + std::to_string(line) + ": " + key + ": " + why);
}

}  // namespace

void check_status_services(const Config& cfg) {
  for (const ProfileConfig& p : cfg.profiles) {
    if (p.short_lived && p.validity.seconds > kShortLivedMaxEver) {
      fail(cfg, p.validity_line, "profile[" + p.id + "].validity",
           p.validity.text +
               " is too long for a short-lived profile: at most 7 days (10 days before "
               "2026-03-15; BR 1.6.1, ballot SC-063)");
    }
    if (p.crl_retention.seconds > kMaxRetention) {
      fail(cfg, p.line, "profile[" + p.id + "].crl_retention",
           p.crl_retention.text + " exceeds 10 years");
    }
  }
  const std::int64_t crl_refresh = cfg.crl.validity.seconds - cfg.crl.refresh_before.seconds;
  for (const CaConfig& c : cfg.cas) {
    if (c.ocsp) {
      continue;
    }
    for (const std::string& id : c.profiles) {
      const ProfileConfig* p = cfg.find_profile(id);
      if (p != nullptr && !p->short_lived && crl_refresh > kCrlOnlyRefresh) {
        fail(cfg, c.line, "ca[" + c.id + "].ocsp",
             "a CRL-only CA's CRLs must be re-signed at least every 4 days (BR 4.9.7), but "
             "crl.validity - crl.refresh_before is " +
                 format_duration(crl_refresh) + "; raise crl.refresh_before");
      }
    }
  }
}

}  // namespace pkirepo
