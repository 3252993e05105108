// `run` against a fake clock (PKIREPO_NOW): responses and CRLs are re-signed exactly when due,
// not before; revocations show at once; `status` agrees; responder certificates rotate in time,
// and an offline CA key is reported instead of failing late.
#include <catch2/catch.hpp>

#include "cli_support.h"
#include "run_support.h"
#include "x509/der.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

constexpr UnixTime kHour = 3600;
constexpr UnixTime kDay = 86400;

UnixTime t0() {
  return *parse_rfc3339("2026-11-22T00:00:00Z");
}

// Serial (hex) of the certificate in a stored response's `certs`.
std::string response_signer_serial(const store::OcspRecord& rec) {
  OcspResponsePtr resp = parse_ocsp_response_der(rec.der);
  REQUIRE(resp);
  OcspBasicRespPtr basic(OCSP_response_get1_basic(resp.get()));
  REQUIRE(basic);
  const STACK_OF(X509)* certs = OCSP_resp_get0_certs(basic.get());
  REQUIRE(sk_X509_num(certs) == 1);
  return serial_hex(sk_X509_value(certs, 0));
}

}  // namespace

TEST_CASE("responses and CRLs are re-signed exactly when due, not before", "[run][time]") {
  const UnixTime T = t0();
  RunRepo repo(T);
  const std::string a = repo.issue("a.example.com");
  const std::string b = repo.issue("b.example.com");

  RunResult r = repo.signer({"run"}, T);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("OCSP 6 signed, 0 not due"));
  CHECK_THAT(r.out, Catch::Contains("CRLs 2 signed"));
  CHECK_THAT(r.out, Catch::Contains("earliest nextUpdate 2026-11-26T00:00:00Z"));
  CHECK(repo.signer({"status"}, T).exit_code == 0);

  // A no-op run reads no certificate: both CAs are skipped from their stored "next due".
  r = repo.signer({"run"}, T + kHour);
  INFO(r.out << r.err);
  CHECK_THAT(r.out, Catch::Contains("OCSP 0 signed, 6 not due"));
  CHECK_THAT(r.out, Catch::Contains("CRLs 0 signed, 2 not due"));
  CHECK_THAT(r.out, Catch::Contains("2 CAs unchanged since the last run"));
  CHECK_THAT(r.out, Catch::Contains("earliest nextUpdate 2026-11-26T00:00:00Z"));

  // One second before the refresh point (half of 4 days): nothing.
  r = repo.signer({"run"}, T + 2 * kDay - 1);
  CHECK_THAT(r.out, Catch::Contains("OCSP 0 signed"));
  CHECK(repo.signer({"status"}, T + 2 * kDay - 1).exit_code == 0);
  // At the refresh point `status` flags them, and `run` re-signs every one.
  RunResult st = repo.signer({"status"}, T + 2 * kDay);
  CHECK(st.exit_code == 1);
  CHECK_THAT(st.out, Catch::Contains("2 past refresh point"));
  CHECK_THAT(st.out, Catch::Contains("status: STALE"));
  r = repo.signer({"run"}, T + 2 * kDay);
  INFO(r.out << r.err);
  CHECK_THAT(r.out, Catch::Contains("OCSP 6 signed, 0 not due"));
  CHECK_THAT(r.out, Catch::Contains("CRLs 0 signed, 2 not due"));
  auto rec = ocsp_record(repo.store_dir(), "tls", a, CertIdHash::sha256);
  REQUIRE(rec);
  CHECK(rec->this_update == T + 2 * kDay);
  CHECK(rec->next_update == T + 6 * kDay);

  // The issuing CA's CRL (7 days, re-signed 3 days before nextUpdate) is due at T + 4d, even
  // though nothing was revoked; the root's (a year) is not.
  r = repo.signer({"run"}, T + 4 * kDay - 1);
  CHECK_THAT(r.out, Catch::Contains("OCSP 0 signed"));
  CHECK_THAT(r.out, Catch::Contains("CRLs 0 signed"));
  r = repo.signer({"run"}, T + 4 * kDay);
  INFO(r.out << r.err);
  CHECK_THAT(r.out, Catch::Contains("OCSP 6 signed"));
  CHECK_THAT(r.out, Catch::Contains("CRLs 1 signed, 1 not due"));
  auto crl = crl_record(repo.store_dir(), "tls", 0);
  REQUIRE(crl);
  CHECK(crl->crl_number == 2);
  CHECK(crl->this_update == T + 4 * kDay);

  // revoke --publish: live at once, with thisUpdate = the revocation's moment.
  const UnixTime Tr = T + 4 * kDay + 300;
  r = repo.signer(
      {"revoke", "--ca", "tls", "--serial", b, "--reason", "keyCompromise", "--publish"}, Tr);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  for (CertIdHash h : {CertIdHash::sha1, CertIdHash::sha256}) {
    auto rb = ocsp_record(repo.store_dir(), "tls", b, h);
    REQUIRE(rb);
    CHECK(rb->status == store::CertStatus::revoked);
    CHECK(rb->this_update == Tr);
  }
  crl = crl_record(repo.store_dir(), "tls", 0);
  CHECK(crl->crl_number == 3);
  CHECK(crl->entries == 1);
  CHECK(crl->this_update == Tr);
  CHECK(repo.signer({"status"}, Tr).exit_code == 0);
  r = repo.signer({"run"}, Tr + 60);
  CHECK_THAT(r.out, Catch::Contains("OCSP 0 signed"));
  CHECK_THAT(r.out, Catch::Contains("CRLs 0 signed"));

  // Nobody ran for days: status reports responses past nextUpdate.
  st = repo.signer({"status"}, T + 9 * kDay);
  CHECK(st.exit_code == 1);
  CHECK_THAT(st.out, Catch::Contains("past nextUpdate"));

  // The clock going backwards never moves thisUpdate back: behind the newest audit record
  // (revoke --publish at Tr), run is refused before it signs anything.
  const auto before = snapshot(repo.store_dir());
  r = repo.signer({"run", "--force"}, Tr - kDay);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err,
             Catch::Contains("the clock (" + rfc3339(Tr - kDay) + ") is behind audit record"));
  CHECK(snapshot(repo.store_dir()) == before);
  rec = ocsp_record(repo.store_dir(), "tls", a, CertIdHash::sha1);
  CHECK(rec->this_update == T + 4 * kDay);
  CHECK(crl_record(repo.store_dir(), "tls", 0)->this_update == Tr);
}

TEST_CASE("responder certificates rotate before they come within twice the OCSP validity",
          "[run][time][rotation]") {
  const UnixTime T = t0();
  RunRepo repo(T);
  REQUIRE(repo.signer({"run"}, T).exit_code == 0);
  const auto first = ca_record(repo.store_dir(), "tls");
  X509Ptr old_responder = parse_cert_der(first->responder_cert_der);
  const UnixTime old_end = not_after(old_responder.get());
  CHECK(old_end == T + 90 * kDay);
  const UnixTime rotate_at = old_end - 8 * kDay;  // twice the 4-day validity
  // Issued 20 days before the rotation, so the 47-day certificate outlives the old responder.
  const std::string a = repo.issue("rotate.example.com", rotate_at - 20 * kDay);

  RunResult r = repo.signer({"run"}, rotate_at - 1);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, !Catch::Contains("rotated"));
  auto rec = ocsp_record(repo.store_dir(), "tls", a, CertIdHash::sha1);
  CHECK(response_signer_serial(*rec) == serial_hex(old_responder.get()));
  CHECK(rec->next_update <= old_end);

  SECTION("with the CA key online, run issues a new responder certificate and uses it") {
    r = repo.signer({"run"}, rotate_at);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("rotated the responder certificate of CA tls"));
    CHECK_THAT(r.out, Catch::Contains("2 responder certificates rotated"));
    auto now_rec = ca_record(repo.store_dir(), "tls");
    CHECK(now_rec->responder_cert_der != first->responder_cert_der);
    X509Ptr fresh = parse_cert_der(now_rec->responder_cert_der);
    CHECK(not_after(fresh.get()) == rotate_at + 90 * kDay);
    // Responses signed from now on come from the new responder.
    r = repo.signer({"run", "--force"}, rotate_at + 60);
    rec = ocsp_record(repo.store_dir(), "tls", a, CertIdHash::sha1);
    CHECK(response_signer_serial(*rec) == serial_hex(fresh.get()));
    auto audit = repo.signer({"audit", "export"}, rotate_at + 60);
    CHECK_THAT(audit.out, Catch::Contains("\"reason\":\"rotation\""));
    CHECK(repo.signer({"audit", "verify"}, rotate_at + 60).exit_code == 0);
  }

  SECTION("with the CA key offline, run says so and never signs past the responder's notAfter") {
    std::filesystem::rename(repo.dir / "keys/tls.pem", repo.dir / "tls.pem.offline");
    r = repo.signer({"run"}, old_end - 2 * kDay);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("rotation is needed"));
    CHECK_THAT(r.err, Catch::Contains("is offline"));
    rec = ocsp_record(repo.store_dir(), "tls", a, CertIdHash::sha1);
    REQUIRE(rec);
    CHECK(rec->this_update == old_end - 2 * kDay);
    CHECK(rec->next_update == old_end);  // cut short: never past the signer's notAfter
    RunResult st = repo.signer({"status"}, old_end - 2 * kDay);
    CHECK(st.exit_code == 1);
    CHECK_THAT(st.out, Catch::Contains("rotation is due"));
  }
}

TEST_CASE("certificates added between runs are signed, and only they, wherever their serials fall",
          "[run][time]") {
  // The scanner walks certificates and stored responses side by side in serial order: new
  // random serials land between serials already signed, and a batch boundary may fall anywhere.
  const UnixTime T = t0();
  RunRepo repo(T);
  auto first = add_synthetic_certs(repo.store_dir(), "tls", 500, 0, T - kDay, T + 300 * kDay);
  const std::vector<std::string> small_batches{"run", "--batch-size", "37"};
  RunResult r = repo.signer(small_batches, T);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  // 500 certificates + the tls CA certificate under the root, two CertID hashes each.
  CHECK_THAT(r.out, Catch::Contains("OCSP 1002 signed, 0 not due"));

  auto second = add_synthetic_certs(repo.store_dir(), "tls", 300, 0, T - kDay, T + 300 * kDay);
  r = repo.signer(small_batches, T + kHour);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("OCSP 600 signed, 1002 not due"));
  for (const auto* serials : {&first, &second}) {
    for (const std::string& s : *serials) {
      for (CertIdHash hash : {CertIdHash::sha1, CertIdHash::sha256}) {
        auto rec = ocsp_record(repo.store_dir(), "tls", s, hash);
        REQUIRE(rec);
        CHECK(rec->this_update == (serials == &first ? T : T + kHour));
      }
    }
  }
  r = repo.signer(small_batches, T + 2 * kHour);
  CHECK_THAT(r.out, Catch::Contains("OCSP 0 signed"));
}
