// The normal expiry of a certificate never makes the service look stale: a 2-day and a 47-day
// certificate, `run` once a simulated day as cron does, and after every run the real
// responder's /healthz and /metrics and `pkirepo-signer status` agree that all is well, while
// the expired certificate's last response runs out and is then removed (the responder answers
// as for an unknown certificate). Before this rule the responder answered 503 from day 6 on.
#include <catch2/catch.hpp>
#include <fstream>
#include <regex>

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

struct DailyRepo {
  TempDir dir;
  std::filesystem::path config;
  std::map<std::string, std::string> env = signer_env();

  DailyRepo() {
    config = write_demo_config(dir.path(), R"(
[[profile]]
id = "tls-short"
validity = "2d"
eku = ["serverAuth"]
)");
    // The demo config's issuing CA issues under tls-server only: add the short profile.
    std::ifstream in(config);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    const std::string from = "profiles = [\"tls-server\"]";
    text.replace(text.find(from), from.size(), "profiles = [\"tls-server\", \"tls-short\"]");
    write_text(config, text);
  }
  RunResult signer(std::vector<std::string> args, UnixTime at) {
    env["PKIREPO_NOW"] = rfc3339(at);
    args.insert(args.begin(),
                {binary("pkirepo-signer").string(), "-c", config.string(), "--operator", "cron"});
    return run(args, env);
  }
  std::string issue(const std::string& profile, const std::string& host, UnixTime at) {
    EvpPkeyPtr key = make_key("ec-p256");
    X509ReqPtr req = make_csr(key.get(), host, {host});
    const auto csr = dir / (host + ".csr");
    write_text(csr, to_pem(req.get()));
    const auto pem = dir / (host + ".pem");
    RunResult r =
        signer({"issue", "--profile", profile, "--csr", csr.string(), "--out", pem.string()}, at);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    X509Ptr cert = parse_cert_any(read_file(pem));
    return serial_hex(cert.get());
  }
  size_t ocsp_records_of(const std::string& serial) {
    Bytes serial_bytes;
    REQUIRE(parse_serial_hex(serial, serial_bytes));
    store::ReadStore st(dir / "store");
    store::ReadTxn txn = st.begin_read();
    size_t n = 0;
    store::Cursor c(txn, store::Db::ocsp);
    for (bool ok = c.first(); ok; ok = c.next()) {
      const ByteView key = c.key();
      n += key.size() > serial_bytes.size() &&
                   std::equal(serial_bytes.begin(), serial_bytes.end(),
                              key.end() - static_cast<std::ptrdiff_t>(serial_bytes.size()))
               ? 1
               : 0;
    }
    return n;
  }
};

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
  const std::string long_serial = repo.issue("tls-server", "long.example.com", t0);
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
    const RunResult health = curl({"-s", "-w", "\n%{http_code}", p.url("/healthz")});
    INFO(health.out);
    CHECK(health.out.ends_with("\n200"));
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
    between.issue("tls-server", "long.example.com", t0);
    REQUIRE(between.signer({"run"}, t0).exit_code == 0);
    REQUIRE(between.signer({"run"}, t0 + 2 * kDay + 3600).exit_code == 0);
    const UnixTime late = t0 + 4 * kDay - 1800;
    ResponderProcess p(between.config, {{"PKIREPO_NOW", rfc3339(late)}});
    const RunResult health = curl({"-s", "-w", "\n%{http_code}", p.url("/healthz")});
    INFO(health.out);
    CHECK(health.out.ends_with("\n200"));
    CHECK(between.signer({"status"}, late).exit_code == 0);
    CHECK(p.stop() == 0);
  }
  CHECK(removed_seen);
  const RunResult audit = repo.signer({"audit", "export"}, t0 + 16 * kDay + 3600);
  CHECK_THAT(audit.out, Catch::Contains("\"event\":\"ocsp_responses_removed\""));
  CHECK(repo.signer({"audit", "verify"}, t0 + 16 * kDay + 3600).exit_code == 0);
}
