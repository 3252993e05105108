// The normal expiry of a certificate never makes the service look stale: a 2-day and a 47-day
// certificate, `run` once a simulated day as cron does, and after every run the real
// responder's /healthz and /metrics and `pkirepo-signer status` agree that all is well, while
// the expired certificate's last response runs out and is then removed (the responder answers
// as for an unknown certificate). Before this rule the responder answered 503 from day 6 on.
#include <catch2/catch.hpp>
#include <regex>

#include "daily_repo.h"
#include "pki_fixture.h"
#include "responder_process.h"
#include "store/store.h"
#include "x509/cert_info.h"
#include "x509/der.h"
#include "x509/time.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

constexpr UnixTime kDay = 86400;

double metric(const std::string& text, const std::string& name) {
  std::smatch m;
  REQUIRE(std::regex_search(text, m, std::regex("\n" + name + " (-?[0-9.e+]+)\n")));
  return std::stod(m[1]);
}

}  // namespace

TEST_CASE("a certificate's expiry never makes /healthz, /metrics or status report stale",
          "[responder][integration][expiry][time]") {
  DailyRepo repo;
  const UnixTime t0 = kT0;
  REQUIRE(repo.signer({"init"}, t0).exit_code == 0);
  const std::string short_serial = repo.issue("tls-short", "short.example.com", t0);
  const std::string long_serial = repo.issue("tls-server", "long.example.com", t0, "tls");
  bool removed_seen = false;
  for (int day = 0; day <= 16; ++day) {
    const UnixTime now = t0 + day * kDay + 3600;  // the daily cron, an hour past midnight
    INFO("day " << day << " " << rfc3339(now));
    const RunResult run = repo.signer({"run"}, now);
    INFO(run.out << run.err);
    REQUIRE(run.exit_code == 0);
    const RunResult status = repo.signer({"status"}, now);
    INFO(status.out);
    CHECK(status.exit_code == 0);

    ResponderProcess p(repo.config, {{"PKIREPO_NOW", rfc3339(now)}});
    const std::string health = healthz_after_scan(p);
    INFO(health);
    CHECK(health.ends_with("\n200"));
    const RunResult metrics = curl({"-s", p.url("/metrics")});
    CHECK(metric(metrics.out, "pkirepo_responder_earliest_next_update_seconds") > 3600);
    CHECK(metric(metrics.out, "pkirepo_responder_stale_records") == 0);

    // The 2-day certificate expires on day 2; its last response (signed on day 0, 4 days)
    // is served until it runs out, then the first run after that removes it.
    const size_t short_records = repo.ocsp_records_of(short_serial);
    if (day < 4) {
      CHECK(short_records == 2);  // SHA-1 and SHA-256 CertIDs
    } else {
      CHECK(short_records == 0);
      removed_seen = removed_seen || day == 4;
    }
    if (day >= 2 && day < 4) {
      CHECK(metric(metrics.out, "pkirepo_responder_expired_ocsp_records") == 2);
    }
    CHECK(repo.ocsp_records_of(long_serial) == 2);
    CHECK(p.stop() == 0);
  }
  // Between two runs the expired certificate's last response comes within the 1-hour margin of
  // its nextUpdate (t0 + 4 days) before any run can remove it: still healthy.
  {
    DailyRepo between;
    REQUIRE(between.signer({"init"}, t0).exit_code == 0);
    between.issue("tls-short", "short.example.com", t0);
    between.issue("tls-server", "long.example.com", t0, "tls");
    REQUIRE(between.signer({"run"}, t0).exit_code == 0);
    REQUIRE(between.signer({"run"}, t0 + 2 * kDay + 3600).exit_code == 0);
    const UnixTime late = t0 + 4 * kDay - 1800;
    ResponderProcess p(between.config, {{"PKIREPO_NOW", rfc3339(late)}});
    const std::string health = healthz_after_scan(p);
    INFO(health);
    CHECK(health.ends_with("\n200"));
    CHECK(between.signer({"status"}, late).exit_code == 0);
    CHECK(p.stop() == 0);
  }
  CHECK(removed_seen);
  const RunResult audit = repo.signer({"audit", "export"}, t0 + 16 * kDay + 3600);
  CHECK_THAT(audit.out, Catch::Contains("\"event\":\"ocsp_responses_removed\""));
  CHECK(repo.signer({"audit", "verify"}, t0 + 16 * kDay + 3600).exit_code == 0);
}
