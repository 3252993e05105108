// Status with CRLs alone (BR 4.9.7/4.9.9 after ballot SC-063): the CRL-only issuing CA's
// certificates carry no OCSP URL and the responder has nothing for them, yet OpenSSL
// (`openssl verify -crl_check`, the CRL fetched from the certificate's CDP) and NSS (`vfychain`
// with the CRL method required and OCSP switched off) accept the good one and reject the
// revoked one. A short-lived certificate carries neither an OCSP URL nor a CDP, and both
// clients accept it without any status at all.
#include <catch2/catch.hpp>

#include "e2e_pki.h"

using namespace pkirepo::test;

namespace {

const std::string kCa = E2ePki::kCrlOnlyCa;

// The CRL at the good certificate's CDP, fetched over HTTP, as PEM and DER files.
struct FetchedCrl {
  std::filesystem::path der;
  std::filesystem::path pem;
};

FetchedCrl fetch_crl(E2ePki& pki) {
  const CertUrls urls = cert_urls(pki.leaf_pem(kCa, "good"));
  REQUIRE(urls.crl.size() == 1);
  CHECK(urls.crl[0] == pki.url("/crl/" + kCa + ".crl"));
  FetchedCrl crl{pki.file("crl-only.der"), pki.file("crl-only.pem")};
  RunResult http = curl({"-f", "-o", crl.der.string(), urls.crl[0]});
  INFO(http.err);
  REQUIRE(http.exit_code == 0);
  REQUIRE(
      run({"openssl", "crl", "-inform", "DER", "-in", crl.der.string(), "-out", crl.pem.string()})
          .exit_code == 0);
  return crl;
}

// A fresh NSS database trusting only the root, with the CRL-only CA's certificate and CRL.
std::filesystem::path nss_db_with_crl(E2ePki& pki, const FetchedCrl& crl) {
  const std::filesystem::path db = pki.file("nssdb-crl-only");
  if (std::filesystem::exists(db)) {
    return db;
  }
  std::filesystem::create_directories(db);
  const std::string sql = "sql:" + db.string();
  for (const std::vector<std::string>& cmd :
       {std::vector<std::string>{"certutil", "-N", "-d", sql, "--empty-password"},
        {"certutil", "-A", "-d", sql, "-n", "root", "-t", "C,,", "-i", pki.ca_der("root").string()},
        {"certutil", "-A", "-d", sql, "-n", kCa, "-t", ",,", "-i", pki.ca_der(kCa).string()},
        {"crlutil", "-I", "-d", sql, "-t", "1", "-i", crl.der.string()}}) {
    RunResult r = run(cmd);
    INFO(cmd[0] << " " << cmd[1] << ": " << r.out << r.err);
    REQUIRE(r.exit_code == 0);
  }
  return db;
}

}  // namespace

TEST_CASE("CRL-only CA: no OCSP URL, and the responder has nothing for it",
          "[e2e][openssl][crl-only]") {
  E2ePki& pki = E2ePki::shared();
  for (const std::string kind : {"good", "revoked"}) {
    const CertUrls urls = cert_urls(pki.leaf_pem(kCa, kind));
    CHECK(urls.ocsp.empty());
    CHECK(urls.ca_issuers == pki.url("/ca/" + kCa + ".crt"));
    CHECK(urls.crl.size() == 1);
    // Asked anyway, the responder knows no response: unauthorized (RFC 9919 3.2.3).
    RunResult r = run({"openssl", "ocsp", "-issuer", pki.ca_pem(kCa).string(), "-cert",
                       pki.leaf_pem(kCa, kind).string(), "-url", pki.url("/ocsp"), "-no_nonce",
                       "-timeout", "10"});
    INFO(r.out << r.err);
    CHECK(contains(r.out + r.err, "unauthorized (6)"));
  }
  const CertUrls short_lived = cert_urls(pki.leaf_pem(kCa, "short"));
  CHECK(short_lived.ocsp.empty());
  CHECK(short_lived.crl.empty());
}

TEST_CASE("CRL-only CA: openssl verify -crl_check accepts good and rejects revoked",
          "[e2e][openssl][crl-only]") {
  E2ePki& pki = E2ePki::shared();
  const FetchedCrl crl = fetch_crl(pki);
  auto verify = [&](const std::string& kind) {
    return run({"openssl", "verify", "-crl_check", "-CAfile", pki.ca_pem("root").string(),
                "-untrusted", pki.ca_pem(kCa).string(), "-CRLfile", crl.pem.string(),
                pki.leaf_pem(kCa, kind).string()});
  };
  RunResult good = verify("good");
  INFO(good.out << good.err);
  CHECK(good.exit_code == 0);
  CHECK(contains(good.out, pki.leaf_pem(kCa, "good").string() + ": OK"));
  RunResult revoked = verify("revoked");
  INFO(revoked.out << revoked.err);
  CHECK(revoked.exit_code != 0);
  CHECK(contains(revoked.out + revoked.err, "certificate revoked"));

  // The short-lived certificate: no CDP, nothing to check; plain path validation accepts it.
  RunResult short_lived =
      run({"openssl", "verify", "-CAfile", pki.ca_pem("root").string(), "-untrusted",
           pki.ca_pem(kCa).string(), pki.leaf_pem(kCa, "short").string()});
  INFO(short_lived.out << short_lived.err);
  CHECK(short_lived.exit_code == 0);
}

TEST_CASE("CRL-only CA: NSS vfychain with the CRL method required", "[e2e][nss][crl-only]") {
  E2ePki& pki = E2ePki::shared();
  const FetchedCrl crl = fetch_crl(pki);
  const std::filesystem::path db = nss_db_with_crl(pki, crl);
  auto vfychain = [&](const std::string& kind, bool need_status) {
    // -pp: CERT_PKIXVerifyCert; -u 1: SSL server. For the leaf: the CRL method with
    // failIfNoInfo (no CRL would be a failure, so a pass means NSS used ours), OCSP not used.
    std::vector<std::string> args = {"timeout", "60", "vfychain", "-d", "sql:" + db.string(),
                                     "-pp",     "-u", "1"};
    if (need_status) {
      args.insert(args.end(), {"-g", "leaf", "-m", "crl", "-s", "failIfNoInfo", "-m", "ocsp", "-s",
                               "doNotUse"});
    }
    args.insert(args.end(), {pki.leaf_der(kCa, kind).string(), pki.ca_der(kCa).string()});
    return run(args);
  };
  RunResult good = vfychain("good", true);
  INFO(good.out << good.err);
  CHECK(good.exit_code == 0);
  CHECK(contains(good.out + good.err, "Chain is good!"));
  RunResult revoked = vfychain("revoked", true);
  INFO(revoked.out << revoked.err);
  CHECK(revoked.exit_code != 0);
  CHECK(contains(revoked.out + revoked.err, "ERROR -8180: Peer's Certificate has been revoked."));
  RunResult short_lived = vfychain("short", false);
  INFO(short_lived.out << short_lived.err);
  CHECK(short_lived.exit_code == 0);
  CHECK(contains(short_lived.out + short_lived.err, "Chain is good!"));
}
