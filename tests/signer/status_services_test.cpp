// Which status a certificate gets, decided by its CA and profile and kept for its lifetime:
// short-lived profiles (no CDP, no OCSP URL, no records; the limit by date), CRL-only CAs (no
// OCSP URL, no responses, no responder certificate; a CA turned CRL-only keeps OCSP for the
// certificates that carry its URL) and how long a revoked certificate stays on the CRL after it
// expires (the profile's crl_retention). Driven through the real pkirepo-signer over simulated
// time.
#include <catch2/catch.hpp>
#include <fstream>

#include "cli_support.h"
#include "run_support.h"
#include "support/config_snippets.h"
#include "x509/cert_info.h"
#include "x509/der.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

constexpr UnixTime kDay = 86400;

// Issues under `profile` by `ca` at the pki's PKIREPO_NOW; the certificate, or nullptr.
X509Ptr issue(const TestPki& pki, const std::string& host, const std::string& profile,
              const std::string& ca, RunResult* result = nullptr) {
  const auto pem = pki.dir / (host + ".pem");
  RunResult r = pki.signer({"issue", "--profile", profile, "--ca", ca, "--csr",
                            pki.csr(host).string(), "--out", pem.string()});
  if (result != nullptr) {
    *result = r;
  }
  INFO(r.err);
  return r.exit_code == 0 ? parse_cert_any(read_file(pem)) : nullptr;
}

// Whether the CA's current CRL (shard 0) lists `serial`.
bool on_crl(const TestPki& pki, const std::string& ca, const std::string& serial) {
  auto rec = crl_record(pki.dir / "store", ca, 0);
  REQUIRE(rec);
  X509CrlPtr crl = parse_crl_der(rec->der);
  REQUIRE(crl);
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    if (to_hex(serial_bytes(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i)))) ==
        serial) {
      return true;
    }
  }
  return false;
}

void set_now(TestPki& pki, UnixTime t) {
  pki.env["PKIREPO_NOW"] = rfc3339(t);
}

}  // namespace

TEST_CASE("a short-lived profile: no CDP, no OCSP URL, no status records, its limit by date",
          "[signer][issue][status][time]") {
  TestPki pki(profile_toml({.id = "short9", .validity = "9d", .extra = "short_lived = true\n"}) +
              ca_toml({.id = "short", .profiles = {"short9"}}));
  // Before 2026-03-15 short-lived meant up to 10 days (BR 1.6.1).
  const UnixTime feb = *parse_rfc3339("2026-02-01T00:00:00Z");
  set_now(pki, feb);
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  X509Ptr cert = issue(pki, "s1.example.com", "short9", "short");
  REQUIRE(cert);
  CHECK_FALSE(has_ocsp_url(cert.get()));
  CHECK_FALSE(has_crl_distribution_point(cert.get()));
  const RunResult run = pki.signer({"run"});
  INFO(run.out << run.err);
  CHECK(run.exit_code == 0);
  CHECK(count_ocsp(pki.dir / "store", "short", CertIdHash::sha1) == 0);
  CHECK(count_ocsp(pki.dir / "store", "short", CertIdHash::sha256) == 0);
  RunResult status = pki.signer({"status"});
  INFO(status.out);
  CHECK(status.exit_code == 0);
  CHECK_THAT(status.out,
             Catch::Contains("1 certificates without an OCSP URL (no responses to sign)"));

  // From 2026-03-15 it means at most 7 days: the same profile issues nothing any more.
  set_now(pki, *parse_rfc3339("2026-03-15T00:00:00Z"));
  const StoreSnapshot before = snapshot(pki.dir / "store");
  RunResult refused;
  CHECK_FALSE(issue(pki, "s2.example.com", "short9", "short", &refused));
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("profile[short9].validity: 9d exceeds the maximum of 7 "
                                          "days for a short-lived profile (ballot SC-063)"));
  CHECK(snapshot(pki.dir / "store") == before);
  status = pki.signer({"status"});
  CHECK(status.exit_code == 1);
}

TEST_CASE("a CRL-only CA signs CRLs and no OCSP, and keeps OCSP for certificates that carry it",
          "[signer][run][status][time]") {
  TestPki pki(ca_toml({.id = "crl", .profiles = {"tls-server"}}));
  const UnixTime t0 = *parse_rfc3339(pki.env["PKIREPO_NOW"]);
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  // While the CA still has OCSP: a certificate with an OCSP URL.
  X509Ptr before = issue(pki, "old.example.com", "tls-server", "crl");
  REQUIRE(before);
  CHECK(has_ocsp_url(before.get()));

  // The operator turns the CA CRL-only (and CRLs every 4 days, as BR 4.9.7 then asks).
  {
    std::ifstream in(pki.config);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    text += "ocsp = false\n";  // the last table is the CA's
    write_text(pki.config, text);
  }
  X509Ptr after = issue(pki, "new.example.com", "tls-server", "crl");
  REQUIRE(after);
  CHECK_FALSE(has_ocsp_url(after.get()));
  CHECK(has_crl_distribution_point(after.get()));

  for (int day = 0; day <= 48; day += 2) {
    set_now(pki, t0 + day * kDay + 3600);
    INFO("day " << day);
    const RunResult run = pki.signer({"run"});
    INFO(run.out << run.err);
    REQUIRE(run.exit_code == 0);
    const RunResult status = pki.signer({"status"});
    INFO(status.out);
    REQUIRE(status.exit_code == 0);
    // The old certificate keeps fresh OCSP until it expires (47 days); the new one never has any.
    const auto old_response =
        ocsp_record(pki.dir / "store", "crl", serial_hex(before.get()), CertIdHash::sha256);
    if (day < 47) {
      REQUIRE(old_response);
      CHECK(old_response->next_update > t0 + day * kDay + 3600);
    } else if (old_response) {
      CHECK(old_response->next_update > t0 + day * kDay + 3600);  // removed once it runs out
    }
    CHECK_FALSE(ocsp_record(pki.dir / "store", "crl", serial_hex(after.get()), CertIdHash::sha256));
    CHECK(crl_record(pki.dir / "store", "crl", 0)->next_update > t0 + day * kDay);
  }
  // Every certificate with an OCSP URL has expired and its responses ran out: nothing is left.
  set_now(pki, t0 + 60 * kDay);
  REQUIRE(pki.signer({"run"}).exit_code == 0);
  CHECK(count_ocsp(pki.dir / "store", "crl", CertIdHash::sha1) == 0);
  CHECK(count_ocsp(pki.dir / "store", "crl", CertIdHash::sha256) == 0);
  CHECK(pki.signer({"status"}).exit_code == 0);
}

TEST_CASE("a revoked certificate stays on the CRL for its profile's retention after expiry",
          "[signer][run][crl][time]") {
  TestPki pki(
      profile_toml({.id = "tls-keep", .validity = "10d", .extra = "crl_retention = \"30d\"\n"}) +
      ca_toml({.id = "keep", .profiles = {"tls-keep", "tls-server"}}));
  const UnixTime t0 = *parse_rfc3339(pki.env["PKIREPO_NOW"]);
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  X509Ptr kept = issue(pki, "kept.example.com", "tls-keep", "keep");
  REQUIRE(kept);
  const std::string serial = serial_hex(kept.get());
  set_now(pki, t0 + kDay);
  REQUIRE(pki.signer({"revoke", "--ca", "keep", "--serial", serial, "--reason", "keyCompromise"})
              .exit_code == 0);
  // notAfter is t0 + 10 days - 1 s: listed through notAfter + 30 days, gone after.
  const UnixTime not_after = t0 + 10 * kDay - 1;
  for (const auto& [at, listed] : std::vector<std::pair<UnixTime, bool>>{
           {t0 + kDay, true},
           {not_after + 2 * kDay, true},  // the default day would have dropped it here
           {not_after + 29 * kDay, true},
           {not_after + 30 * kDay + 1, false}}) {
    set_now(pki, at);
    const RunResult run = pki.signer({"run"});
    INFO(rfc3339(at) << "\n" << run.out << run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(on_crl(pki, "keep", serial) == listed);
    CHECK(pki.signer({"status"}).exit_code == 0);
  }
}
