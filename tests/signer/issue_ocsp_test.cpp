// OCSP at issuance: `issue` signs a new certificate's first responses (both CertID hashes) in
// the issuing transaction, so the responder answers for it at once and `status` does not
// alarm between `issue` and the next `run`; off with ocsp.sign_at_issuance = false. Driven
// through the real pkirepo-signer; the response is checked with `openssl ocsp`.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli_support.h"
#include "run_support.h"
#include "x509/cert_info.h"
#include "x509/der.h"
#include "x509/time.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

std::string issue_one(const TestPki& pki, const std::string& host) {
  const auto pem = pki.dir / (host + ".pem");
  const RunResult r = pki.signer(
      {"issue", "--profile", "tls-server", "--csr", pki.csr(host).string(), "--out", pem.string()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  return serial_hex(parse_cert_any(read_file(pem)).get());
}

}  // namespace

TEST_CASE("issue signs the first OCSP responses in the issuing transaction",
          "[signer][issue][ocsp]") {
  TestPki pki;
  pki.env["PKIREPO_NOW"] = rfc3339(wall_clock());  // openssl checks the times on its own clock
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  REQUIRE(pki.signer({"run"}).exit_code == 0);
  const std::string serial = issue_one(pki, "now.example.com");

  // No run since: the responses are there, and status is content.
  for (CertIdHash h : {CertIdHash::sha1, CertIdHash::sha256}) {
    const auto rec = ocsp_record(pki.dir / "store", "tls", serial, h);
    REQUIRE(rec);
    CHECK(rec->status == store::CertStatus::good);
  }
  const RunResult status = pki.signer({"status"});
  INFO(status.out);
  CHECK(status.exit_code == 0);

  // An independent client reads and verifies the stored response.
  const auto rec = ocsp_record(pki.dir / "store", "tls", serial, CertIdHash::sha256);
  const std::string resp = write_der(pki.dir / "resp.der", rec->der);
  const std::string issuer = (pki.dir / "tls.pem").string();
  write_text(issuer, to_pem(parse_cert_der(ca_record(pki.dir / "store", "tls")->cert_der).get()));
  const std::string root = (pki.dir / "root.pem").string();
  write_text(root, to_pem(parse_cert_der(ca_record(pki.dir / "store", "root")->cert_der).get()));
  const RunResult text = run({"openssl", "ocsp", "-respin", resp, "-sha256", "-issuer", issuer,
                              "-serial", "0x" + serial, "-CAfile", root, "-verify_other", issuer});
  INFO(text.out << text.err);
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.err + text.out, Catch::Contains("Response verify OK"));
  CHECK_THAT(text.out, Catch::Contains(": good"));

  // One audit record for the responses, beside the issuance.
  const RunResult audit = pki.signer({"audit", "export", "--format", "jsonl"});
  CHECK_THAT(audit.out, Catch::Contains("\"ocsp_responses_signed\""));

  // The next run finds them fresh: nothing to sign for that certificate.
  const RunResult run_after = pki.signer({"run"});
  CHECK_THAT(run_after.out, Catch::Contains("run: OCSP 0 signed"));
}

TEST_CASE("ocsp.sign_at_issuance = false leaves the first responses to run",
          "[signer][issue][ocsp]") {
  TestPki pki("\n[ocsp]\nsign_at_issuance = false\n");
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  REQUIRE(pki.signer({"run"}).exit_code == 0);
  const std::string serial = issue_one(pki, "later.example.com");
  CHECK_FALSE(ocsp_record(pki.dir / "store", "tls", serial, CertIdHash::sha256));
  CHECK(pki.signer({"status"}).exit_code == 1);  // missing until the next run
  REQUIRE(pki.signer({"run"}).exit_code == 0);
  CHECK(ocsp_record(pki.dir / "store", "tls", serial, CertIdHash::sha256));
  CHECK(pki.signer({"status"}).exit_code == 0);
}

TEST_CASE("run --quiet prints nothing when all went well", "[signer][run][cli]") {
  TestPki pki;
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  const RunResult quiet = pki.signer({"run", "--quiet"});
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.out.empty());
  CHECK(quiet.err.empty());
  const RunResult loud = pki.signer({"run"});
  CHECK_THAT(loud.out, Catch::Contains("run: OCSP 0 signed"));
}
