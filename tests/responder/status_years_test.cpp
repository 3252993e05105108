// A status service over 400 simulated days of cron every 6 hours: certificates of 2, 7 and 47
// days with OCSP, 2-day short-lived ones with no status at all, and 47-day ones of a CRL-only CA,
// issued every month; revocations along the way (with and without --publish); the responder
// certificate rotating every 82 days; and on day 200 a CA rotation: a new issuing CA takes over
// issuance while the old one keeps serving status for what it issued, until the last of it
// expires. After every `run` (1,601 of them), independent checks through OpenSSL's decoders
// of what the store serves:
//   - every CRL fresh, its number strictly increasing whenever it changed, listing exactly the
//     revoked certificates within their retention (notAfter + 1 day);
//   - every live certificate with an OCSP URL answered fresh (re-signed within half the validity
//     plus one cron interval) and right (good or revoked, by either CertID hash); expired ones
//     answered unknown (no record) once their last response ran out; certificates without an
//     OCSP URL (CRL-only CA, short-lived) never answered at all;
//   - no response's nextUpdate past its responder certificate's notAfter;
//   - `status` exits 0 after every run that changed anything, at every day's start and after
//     every expiry (540 times); the real responder's /healthz is 200 every two weeks, with
//     `openssl ocsp` asking it about the newest 47-day certificate.
// The signer runs without LeakSanitizer here (1,600 process exits scanned for leaks would cost
// minutes): the same commands run with it in every other test.
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "daily_repo.h"
#include "pki_fixture.h"
#include "responder_process.h"
#include "store/store.h"
#include "support/config_snippets.h"
#include "x509/cert_info.h"
#include "x509/der.h"
#include "x509/time.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

constexpr UnixTime kDay = 86400;
constexpr UnixTime kStep = 6 * 3600;      // the cron interval
constexpr UnixTime kCrlRetention = kDay;  // every profile here keeps the default day

struct Issued {
  std::string serial;
  std::string host;
  std::string ca;
  UnixTime not_after = 0;
  bool ocsp = true;  // carries an OCSP URL
  bool revoked = false;
};

// One CA's CRL as the last step saw it.
struct CrlSeen {
  uint64_t number = 0;
  UnixTime this_update = 0;
};

// What one step's checks found wrong, one line each (empty: all right).
std::vector<std::string> check_store(const std::filesystem::path& store_dir,
                                     const std::map<std::string, Issued>& issued,
                                     const std::vector<std::string>& cas, UnixTime now,
                                     std::map<std::string, CrlSeen>& crls_seen) {
  std::vector<std::string> bad;
  store::ReadStore st(store_dir);
  store::ReadTxn txn = st.begin_read();
  std::map<std::string, X509Ptr> ca_certs;
  std::map<std::string, std::set<std::string>> on_crl;
  for (const std::string& id : cas) {
    ca_certs[id] = parse_cert_der(store::get_ca(txn, id)->cert_der);
    auto record = store::get_crl(txn, id, 0);
    if (!record) {
      bad.push_back(id + ": no CRL");
      continue;
    }
    X509CrlPtr crl = parse_crl_der(record->der);
    REQUIRE(crl);
    const UnixTime this_update = *to_unix(X509_CRL_get0_lastUpdate(crl.get()));
    if (now >= *to_unix(X509_CRL_get0_nextUpdate(crl.get()))) {
      bad.push_back(id + ": CRL past its nextUpdate");
    }
    Asn1IntegerPtr number_der(static_cast<ASN1_INTEGER*>(
        X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, nullptr, nullptr)));
    REQUIRE(number_der);
    BignumPtr number(ASN1_INTEGER_to_BN(number_der.get(), nullptr));
    const uint64_t n = BN_get_word(number.get());
    CrlSeen& seen = crls_seen[id];
    if (this_update != seen.this_update && n <= seen.number) {
      bad.push_back(id + ": CRL number " + std::to_string(n) + " not above " +
                    std::to_string(seen.number));
    }
    seen = {n, this_update};
    STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
    for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
      on_crl[id].insert(
          to_hex(serial_bytes(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i)))));
    }
  }
  for (const auto& [serial, cert] : issued) {
    const bool expired = cert.not_after < now;
    // `run` re-signs the CRL whenever the set of entries it must list changes, so after a run
    // the CRL lists exactly the revoked certificates within their retention.
    const bool crl_should_list = cert.revoked && cert.not_after + kCrlRetention > now;
    if (crl_should_list != (on_crl[cert.ca].count(serial) == 1)) {
      bad.push_back(serial + (crl_should_list ? " missing from" : " still on") + " the CRL");
    }
    Bytes serial_bytes_value;
    REQUIRE(parse_serial_hex(serial, serial_bytes_value));
    const X509* ca = ca_certs.at(cert.ca).get();
    for (CertIdHash h : {CertIdHash::sha1, CertIdHash::sha256}) {
      const Bytes key =
          store::ocsp_key(h, issuer_name_hash(ca, h), issuer_key_hash(ca, h), serial_bytes_value);
      const auto rec = store::get_ocsp(txn, key);
      if (!rec) {
        if (!expired && cert.ocsp) {
          bad.push_back(serial + ": no OCSP response for a live certificate");
        }
        continue;
      }
      if (!cert.ocsp) {
        bad.push_back(serial + ": an OCSP response for a certificate without an OCSP URL");
        continue;
      }
      OcspResponsePtr resp = parse_ocsp_response_der(rec->der);
      OcspBasicRespPtr basic(resp ? OCSP_response_get1_basic(resp.get()) : nullptr);
      REQUIRE(basic);
      int reason = 0;
      ASN1_GENERALIZEDTIME* this_update = nullptr;
      ASN1_GENERALIZEDTIME* next_update = nullptr;
      const int status = OCSP_single_get0_status(OCSP_resp_get0(basic.get(), 0), &reason, nullptr,
                                                 &this_update, &next_update);
      const UnixTime nu = *to_unix(next_update);
      if (nu <= now) {
        bad.push_back(serial + ": a response past its nextUpdate is still stored" +
                      std::string(expired ? " (expired certificate)" : ""));
      }
      // Re-signed after half of the 4-day validity, at the first cron run after that.
      if (!expired && now >= *to_unix(this_update) + 2 * kDay + kStep) {
        bad.push_back(serial + ": response not re-signed since " + rfc3339(*to_unix(this_update)));
      }
      const int want = cert.revoked ? V_OCSP_CERTSTATUS_REVOKED : V_OCSP_CERTSTATUS_GOOD;
      if (!expired && status != want) {
        bad.push_back(serial + ": OCSP status " + std::to_string(status) + ", expected " +
                      std::to_string(want));
      }
      const STACK_OF(X509)* certs = OCSP_resp_get0_certs(basic.get());
      if (sk_X509_num(certs) != 1 || nu > not_after(sk_X509_value(certs, 0))) {
        bad.push_back(serial + ": nextUpdate past the responder certificate's notAfter");
      }
    }
  }
  return bad;
}

// Whether a run's summary line reports work: responses signed or removed, CRLs signed, or a
// responder certificate rotated.
bool run_changed_something(const std::string& out) {
  static const std::regex summary(
      "run: OCSP ([0-9]+) signed, .* ([0-9]+) removed; CRLs ([0-9]+) signed");
  std::smatch m;
  if (!std::regex_search(out, m, summary)) {
    return true;  // unexpected output: judge it
  }
  return m[1] != "0" || m[2] != "0" || m[3] != "0" ||
         out.find("rotated the responder certificate") != std::string::npos;
}

// Whether a certificate of `issued` expired in (from, to].
bool expired_since(const std::map<std::string, Issued>& issued, UnixTime from, UnixTime to) {
  return std::any_of(issued.begin(), issued.end(), [&](const auto& entry) {
    return entry.second.not_after >= from && entry.second.not_after < to;
  });
}

// Adds issuing CA "tls-2027" to the config, as an operator rotating CAs does; `init` creates it.
void add_rotated_ca(const std::filesystem::path& config) {
  std::ifstream in(config);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  text += ca_toml({.id = "tls-2027",
                   .subject = "CN=Test TLS Issuing CA 2027,O=Test,C=US",
                   .path_len = 0,
                   .profiles = {"tls-server", "tls-short", "tls-week", "tls-ephemeral"},
                   .eku = {"serverAuth", "clientAuth"}});
  write_text(config, text);
}

}  // namespace

TEST_CASE("400 simulated days of cron: every transition stays right",
          "[responder][integration][time][years]") {
  DailyRepo repo;
  repo.env["ASAN_OPTIONS"] = "detect_leaks=0";
  const UnixTime t0 = kT0;
  REQUIRE(repo.signer({"init"}, t0).exit_code == 0);
  std::vector<std::string> cas = {"tls", "crl-only"};
  std::string issuing = "tls";  // where new TLS certificates come from; "tls-2027" from day 200
  std::map<std::string, Issued> issued;
  auto issue = [&](const std::string& profile, int days, const std::string& host,
                   const std::string& ca, UnixTime at) {
    const std::string serial = repo.issue(profile, host, at, ca);
    issued[serial] = {serial, host, ca, at + days * kDay - 1,
                      ca != "crl-only" && profile != "tls-ephemeral"};
    return serial;
  };
  std::map<std::string, CrlSeen> crls_seen;
  int rotations = 0;
  int responder_checks = 0;
  int revocations = 0;
  int steps = 0;
  int status_checks = 0;
  std::string newest_server;  // the newest 47-day certificate: what the responder check asks about
  for (UnixTime offset = 0; offset <= 400 * kDay; offset += kStep) {
    const UnixTime now = t0 + offset + 3600;
    const int day = static_cast<int>(offset / kDay);
    const bool day_start = offset % kDay == 0;
    INFO("day " << day << " " << rfc3339(now));
    if (day_start && day == 200) {
      add_rotated_ca(repo.config);
      const RunResult init = repo.signer({"init"}, now);
      INFO(init.out << init.err);
      REQUIRE(init.exit_code == 0);
      issuing = "tls-2027";
      cas.push_back(issuing);
    }
    // Issuance spread over the day's four cron slots, so that expiries, refresh points and
    // lapses fall on every slot, not only on the first.
    const int slot = static_cast<int>(offset % kDay / kStep);
    if (day % 30 == 0) {
      const std::string d = std::to_string(day);
      if (slot == 0) {
        newest_server = issue("tls-server", 47, "srv" + d + ".example.com", issuing, now);
        issue("tls-server", 47, "crl" + d + ".example.com", "crl-only", now);
      } else if (slot == 1) {
        issue("tls-week", 7, "week" + d + ".example.com", issuing, now);
      } else if (slot == 2) {
        issue("tls-short", 2, "short" + d + ".example.com", issuing, now);
      } else {
        issue("tls-ephemeral", 2, "eph" + d + ".example.com", issuing, now);
      }
    }
    if (day_start && day % 23 == 20) {
      // Revoke the oldest live, good 47-day certificate (OCSP and CRL-only CAs in turn); every
      // other time with --publish.
      const std::string prefix = revocations % 3 == 2 ? "crl" : "srv";
      for (auto& [serial, cert] : issued) {
        if (!cert.revoked && cert.not_after > now + 10 * kDay && cert.host.starts_with(prefix)) {
          std::vector<std::string> args = {"revoke",
                                           "--ca",
                                           cert.ca,
                                           "--serial",
                                           serial,
                                           "--reason",
                                           revocations % 2 ? "keyCompromise" : "superseded"};
          if (revocations % 2) {
            args.push_back("--publish");
          }
          const RunResult r = repo.signer(args, now);
          INFO(r.err);
          REQUIRE(r.exit_code == 0);
          cert.revoked = true;
          ++revocations;
          break;
        }
      }
    }
    const RunResult run = repo.signer({"run"}, now);
    INFO(run.out << run.err);
    REQUIRE(run.exit_code == 0);
    for (size_t at = run.out.find("rotated the responder certificate"); at != std::string::npos;
         at = run.out.find("rotated the responder certificate", at + 1)) {
      ++rotations;
    }
    // `status` after every run that changed anything, at the start of every day, and whenever
    // a certificate expired since the last step: the moments its verdict can change. (After a
    // run that found nothing due and no expiry, check_store below judges the same facts.)
    if (run_changed_something(run.out) || day_start || expired_since(issued, now - kStep, now)) {
      const RunResult status = repo.signer({"status"}, now);
      INFO(status.out);
      REQUIRE(status.exit_code == 0);
      ++status_checks;
    }
    const auto bad = check_store(repo.dir / "store", issued, cas, now, crls_seen);
    for (const std::string& line : bad) {
      FAIL_CHECK(line);
    }
    REQUIRE(bad.empty());
    ++steps;

    if (day_start && day % 14 == 10) {
      ResponderProcess p(repo.config, {{"PKIREPO_NOW", rfc3339(now)}});
      const std::string health = healthz_after_scan(p);
      INFO(health);
      CHECK(health.ends_with("\n200"));
      // An independent client asks about the newest 47-day certificate. (openssl checks the
      // response's times against its own clock: it warns, then prints the status on a line
      // of its own.)
      const Issued& cert = issued[newest_server];
      const auto issuer_pem = repo.dir / (cert.ca + "-ca.pem");
      {
        store::ReadStore st(repo.dir / "store");
        store::ReadTxn txn = st.begin_read();
        X509Ptr ca = parse_cert_der(store::get_ca(txn, cert.ca)->cert_der);
        write_text(issuer_pem, to_pem(ca.get()));
      }
      const RunResult ocsp =
          test::run({"openssl", "ocsp", "-issuer", issuer_pem.string(), "-cert",
                     (repo.dir / (cert.host + ".pem")).string(), "-url", p.url("/ocsp"),
                     "-no_nonce", "-noverify", "-attime", std::to_string(now)});
      INFO(ocsp.out << ocsp.err);
      CHECK_THAT(ocsp.out, Catch::Contains(std::string(cert.revoked ? "revoked" : "good") +
                                           "\n\tThis Update"));
      CHECK(p.stop() == 0);
      ++responder_checks;
    }
  }
  CHECK(steps == 1601);
  CHECK(status_checks >= 500);
  // 90-day responder certificates, rotated 8 days before their end: the root's and tls's four
  // times each, tls-2027's twice; the CRL-only CA has none.
  CHECK(rotations >= 10);
  CHECK(revocations >= 12);
  CHECK(responder_checks >= 28);
  for (const std::string& ca : cas) {
    CHECK(crls_seen[ca].number >= 45);  // re-signed at least every 4 days
  }
  // The rotated-out CA: everything it issued has expired and gone from OCSP; its CRL lives on.
  {
    store::ReadStore st(repo.dir / "store");
    store::ReadTxn txn = st.begin_read();
    X509Ptr old_ca = parse_cert_der(store::get_ca(txn, "tls")->cert_der);
    const Bytes prefix = issuer_name_hash(old_ca.get(), CertIdHash::sha256);
    size_t left = 0;
    store::Cursor c(txn, store::Db::ocsp);
    for (bool ok = c.first(); ok; ok = c.next()) {
      const ByteView key = c.key();
      left += key.size() > 1 + prefix.size() &&
                      std::equal(prefix.begin(), prefix.end(), key.begin() + 1)
                  ? 1
                  : 0;
    }
    CHECK(left == 0);
  }
  CHECK(repo.signer({"audit", "verify"}, t0 + 400 * kDay + 3600).exit_code == 0);
}
