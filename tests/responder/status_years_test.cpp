// A status service over 400 simulated days of cron: certificates of 2, 7 and 47 days issued
// every month, revocations along the way, the responder certificate rotating every 82 days and
// the root's yearly CRL re-signed once. After every `run` (every other day), independent checks
// through OpenSSL's decoders of what the store serves: every live certificate answered fresh and
// right, every revoked one revoked on OCSP and on the CRL until its retention ends, expired ones'
// responses gone once they ran out, CRL numbers strictly increasing, no response's nextUpdate
// past its responder certificate's notAfter; `status` OK after every run and the real
// responder's /healthz 200 every two weeks, with `openssl ocsp` asking it about a live
// certificate.
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include <catch2/catch.hpp>
#include <map>
#include <set>

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
constexpr UnixTime kCrlGrace = kDay;  // entries stay one day past the certificate's notAfter

struct Issued {
  std::string serial;
  std::string host;
  UnixTime not_after = 0;
  bool revoked = false;
};

// What one day's checks found wrong, one line each (empty: all right).
std::vector<std::string> check_store(const std::filesystem::path& store_dir,
                                     const std::map<std::string, Issued>& issued, UnixTime now,
                                     uint64_t& last_crl_number, UnixTime& last_crl_this_update) {
  std::vector<std::string> bad;
  store::ReadStore st(store_dir);
  store::ReadTxn txn = st.begin_read();
  X509Ptr ca = parse_cert_der(store::get_ca(txn, "tls")->cert_der);
  // The CRL, decoded by OpenSSL.
  auto crl_record = store::get_crl(txn, "tls", 0);
  std::set<std::string> on_crl;
  if (!crl_record) {
    bad.push_back("no CRL");
  } else {
    const unsigned char* p = crl_record->der.data();
    X509CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(crl_record->der.size())));
    REQUIRE(crl);
    const UnixTime this_update = *to_unix(X509_CRL_get0_lastUpdate(crl.get()));
    const UnixTime next_update = *to_unix(X509_CRL_get0_nextUpdate(crl.get()));
    if (now >= next_update) {
      bad.push_back("CRL past its nextUpdate");
    }
    Asn1IntegerPtr number_der(static_cast<ASN1_INTEGER*>(
        X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, nullptr, nullptr)));
    REQUIRE(number_der);
    BignumPtr number(ASN1_INTEGER_to_BN(number_der.get(), nullptr));
    const uint64_t n = BN_get_word(number.get());
    if (this_update != last_crl_this_update && n <= last_crl_number) {
      bad.push_back("CRL number " + std::to_string(n) + " not above " +
                    std::to_string(last_crl_number));
    }
    last_crl_number = n;
    last_crl_this_update = this_update;
    STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
    for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
      on_crl.insert(
          to_hex(serial_bytes(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i)))));
    }
  }
  for (const auto& [serial, cert] : issued) {
    const bool expired = cert.not_after < now;
    const bool crl_should_list = cert.revoked && cert.not_after + kCrlGrace > now;
    // `run` re-signs the CRL whenever the set of entries it must list changes, so after a run
    // the CRL lists exactly the revoked certificates within their retention.
    if (crl_record && crl_should_list != (on_crl.count(serial) == 1)) {
      bad.push_back(serial + (crl_should_list ? " missing from" : " still on") + " the CRL");
    }
    Bytes serial_bytes_value;
    REQUIRE(parse_serial_hex(serial, serial_bytes_value));
    for (CertIdHash h : {CertIdHash::sha1, CertIdHash::sha256}) {
      const Bytes key = store::ocsp_key(h, issuer_name_hash(ca.get(), h),
                                        issuer_key_hash(ca.get(), h), serial_bytes_value);
      const auto rec = store::get_ocsp(txn, key);
      if (!rec) {
        if (!expired) {
          bad.push_back(serial + ": no OCSP response for a live certificate");
        }
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
      if (!expired && now >= *to_unix(this_update) + 2 * kDay + kDay) {
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

}  // namespace

TEST_CASE("400 simulated days of cron: every transition stays right",
          "[responder][integration][time][years]") {
  DailyRepo repo;
  const UnixTime t0 = kT0;
  REQUIRE(repo.signer({"init"}, t0).exit_code == 0);
  std::map<std::string, Issued> issued;
  auto issue = [&](const std::string& profile, int days, const std::string& host, UnixTime at) {
    const std::string serial = repo.issue(profile, host, at);
    issued[serial] = {serial, host, at + days * kDay - 1, false};
    return serial;
  };
  uint64_t crl_number = 0;
  UnixTime crl_this_update = 0;
  int rotations = 0;
  int responder_checks = 0;
  int revocations = 0;
  std::string newest_server;  // the newest 47-day certificate: what the weekly client asks about
  // Cron every other day: the OCSP refresh point (half of 4 days) and the CRL's (4 of 7 days)
  // fall on run days, so every response and CRL is re-signed at the first run it is due.
  for (int day = 0; day <= 400; day += 2) {
    const UnixTime now = t0 + day * kDay + 3600;
    INFO("day " << day << " " << rfc3339(now));
    if (day % 30 == 0) {
      newest_server = issue("tls-server", 47, "srv" + std::to_string(day) + ".example.com", now);
      issue("tls-week", 7, "week" + std::to_string(day) + ".example.com", now);
      issue("tls-short", 2, "short" + std::to_string(day) + ".example.com", now);
    }
    if (day % 46 == 20) {
      // Revoke the oldest live, good 47-day certificate; every other time with --publish.
      for (auto& [serial, cert] : issued) {
        if (!cert.revoked && cert.not_after > now + 10 * kDay && cert.host.starts_with("srv")) {
          std::vector<std::string> args = {"revoke",
                                           "--ca",
                                           "tls",
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
    rotations += run.out.find("responder certificates rotated") != std::string::npos ? 1 : 0;
    const RunResult status = repo.signer({"status"}, now);
    INFO(status.out);
    REQUIRE(status.exit_code == 0);
    const auto bad = check_store(repo.dir / "store", issued, now, crl_number, crl_this_update);
    for (const std::string& line : bad) {
      FAIL_CHECK(line);
    }
    REQUIRE(bad.empty());

    if (day % 14 == 10) {
      ResponderProcess p(repo.config, {{"PKIREPO_NOW", rfc3339(now)}});
      const std::string health = healthz_after_scan(p);
      INFO(health);
      CHECK(health.ends_with("\n200"));
      // An independent client asks about the newest live certificate. (openssl checks the
      // response's times against its own clock: it warns, then prints the status on a line
      // of its own.)
      const auto issuer_pem = repo.dir / "tls-ca.pem";
      {
        store::ReadStore st(repo.dir / "store");
        store::ReadTxn txn = st.begin_read();
        X509Ptr ca = parse_cert_der(store::get_ca(txn, "tls")->cert_der);
        write_text(issuer_pem, to_pem(ca.get()));
      }
      const RunResult ocsp =
          test::run({"openssl", "ocsp", "-issuer", issuer_pem.string(), "-cert",
                     (repo.dir / (issued[newest_server].host + ".pem")).string(), "-url",
                     p.url("/ocsp"), "-no_nonce", "-noverify", "-attime", std::to_string(now)});
      INFO(ocsp.out << ocsp.err);
      CHECK_THAT(ocsp.out,
                 Catch::Contains(std::string(issued[newest_server].revoked ? "revoked" : "good") +
                                 "\n\tThis Update"));
      CHECK(p.stop() == 0);
      ++responder_checks;
    }
  }
  CHECK(rotations >= 4);  // 90-day responder certificates, rotated 8 days before their end
  CHECK(revocations >= 8);
  CHECK(responder_checks >= 28);
  CHECK(crl_number >= 60);
  CHECK(repo.signer({"audit", "verify"}, t0 + 400 * kDay + 3600).exit_code == 0);
}
