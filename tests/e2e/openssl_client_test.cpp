// OpenSSL as a relying party: `openssl ocsp` over POST (its only method) and over GET (the
// request built by openssl, sent by curl to the base64 URL, the answer checked by openssl),
// for good, revoked and unknown certificates under the EC and the RSA issuing CA; then
// `openssl verify -crl_check_all` with the CRLs fetched from the CDP URLs in the certificates.
#include <catch2/catch.hpp>

#include "e2e_pki.h"

using namespace pkirepo::test;

namespace {

// openssl wants the CertID digest before -cert/-serial.
std::vector<std::string> ocsp_args(const E2ePki& pki, const std::string& ca,
                                   const std::string& digest) {
  return {"openssl", "ocsp", "-" + digest, "-issuer", pki.ca_pem(ca).string()};
}

}  // namespace

TEST_CASE("openssl ocsp: POST and GET, good, revoked and unknown", "[e2e][openssl][ocsp]") {
  E2ePki& pki = E2ePki::shared();
  const std::string ca = GENERATE(as<std::string>{}, "tls", "tls-rsa");
  const std::string digest = GENERATE(as<std::string>{}, "sha1", "sha256");
  INFO("CA " << ca << ", CertID hash " << digest);

  SECTION("POST to the AIA OCSP URL") {
    for (const std::string kind : {"good", "revoked"}) {
      std::string ocsp_url = cert_urls(pki.leaf_pem(ca, kind)).ocsp;
      REQUIRE(ocsp_url == pki.url("/ocsp"));
      std::vector<std::string> args = ocsp_args(pki, ca, digest);
      args.insert(args.end(), {"-cert", pki.leaf_pem(ca, kind).string(), "-url", ocsp_url,
                               "-CAfile", pki.ca_pem("root").string(), "-timeout", "10"});
      uint64_t posts = pki.requests("ocsp_post");
      RunResult r = run(args);
      INFO(r.out << r.err);
      CHECK(r.exit_code == 0);
      CHECK(contains(r.err + r.out, "Response verify OK"));
      CHECK(contains(r.out, pki.leaf_pem(ca, kind).string() + ": " + kind));
      if (kind == "revoked") {
        CHECK(contains(r.out, "Reason: keyCompromise"));
      }
      CHECK(pki.requests("ocsp_post") == posts + 1);
    }
  }

  SECTION("GET with the base64 request in the URL") {
    for (const std::string kind : {"good", "revoked"}) {
      std::filesystem::path req = pki.file("req-" + ca + "-" + kind + "-" + digest + ".der");
      std::filesystem::path resp = pki.file("resp-" + ca + "-" + kind + "-" + digest + ".der");
      std::vector<std::string> args = ocsp_args(pki, ca, digest);
      args.insert(args.end(),
                  {"-cert", pki.leaf_pem(ca, kind).string(), "-no_nonce", "-reqout", req.string()});
      REQUIRE(run(args).exit_code == 0);
      uint64_t gets = pki.requests("ocsp_get");
      RunResult http =
          curl({"-D", "-", "-o", resp.string(), pki.url("/ocsp/" + ocsp_get_path(req))});
      INFO(http.out << http.err);
      REQUIRE(http.exit_code == 0);
      CHECK(contains(http.out, "HTTP/1.1 200"));
      CHECK(header_value(http.out, "Content-Type") == "application/ocsp-response");
      CHECK(contains(header_value(http.out, "Cache-Control"), "max-age="));
      CHECK(pki.requests("ocsp_get") == gets + 1);

      // The CertID to look for uses the same hash as the request, so the digest again.
      std::vector<std::string> check_args = ocsp_args(pki, ca, digest);
      check_args.insert(check_args.end(),
                        {"-cert", pki.leaf_pem(ca, kind).string(), "-respin", resp.string(),
                         "-CAfile", pki.ca_pem("root").string(), "-no_nonce"});
      RunResult check = run(check_args);
      INFO(check.out << check.err);
      CHECK(check.exit_code == 0);
      CHECK(contains(check.err + check.out, "Response verify OK"));
      CHECK(contains(check.out, ": " + kind));
    }
  }

  SECTION("unknown serial and wrong issuer: unauthorized, over POST and GET") {
    // A pre-signing responder never says "good" for what it did not issue (BR 4.9.10): it
    // answers unauthorized (RFC 9919 3.2.3).
    std::vector<std::string> unknown = ocsp_args(pki, ca, digest);
    unknown.insert(unknown.end(), {"-serial", "0x0123456789abcdef0123"});
    std::vector<std::string> wrong_issuer = {"openssl",
                                             "ocsp",
                                             "-" + digest,
                                             "-issuer",
                                             pki.ca_pem("root").string(),
                                             "-cert",
                                             pki.leaf_pem(ca, "good").string()};
    for (auto args : {unknown, wrong_issuer}) {
      std::vector<std::string> post = args;
      post.insert(post.end(), {"-url", pki.url("/ocsp"), "-CAfile", pki.ca_pem("root").string(),
                               "-timeout", "10"});
      RunResult r = run(post);
      INFO(r.out << r.err);
      CHECK(contains(r.out + r.err, "Responder Error: unauthorized (6)"));

      std::filesystem::path req = pki.file("req-unknown.der");
      std::filesystem::path resp = pki.file("resp-unknown.der");
      args.insert(args.end(), {"-no_nonce", "-reqout", req.string()});
      REQUIRE(run(args).exit_code == 0);
      RunResult http = curl({"-o", resp.string(), pki.url("/ocsp/" + ocsp_get_path(req))});
      REQUIRE(http.exit_code == 0);
      RunResult text =
          run({"openssl", "ocsp", "-respin", resp.string(), "-resp_text", "-noverify"});
      INFO(text.out << text.err);
      CHECK(contains(text.out + text.err, "unauthorized (6)"));
    }
  }
}

TEST_CASE("openssl verify -crl_check_all with the CRLs from the CDP URLs", "[e2e][openssl][crl]") {
  E2ePki& pki = E2ePki::shared();
  const std::string ca = GENERATE(as<std::string>{}, "tls", "tls-rsa");
  INFO("CA " << ca);

  // The leaf's CDP names its CA's CRL, the CA certificate's CDP the root's CRL of its CAs.
  std::vector<std::string> crl_args;
  int n = 0;
  for (const auto& cert : {pki.leaf_pem(ca, "good"), pki.ca_pem(ca)}) {
    CertUrls urls = cert_urls(cert);
    REQUIRE(urls.crl.size() == 1);
    std::filesystem::path der = pki.file("crl-" + ca + "-" + std::to_string(n) + ".der");
    std::filesystem::path pem = pki.file("crl-" + ca + "-" + std::to_string(n) + ".pem");
    ++n;
    RunResult http = curl({"-D", "-", "-o", der.string(), urls.crl[0]});
    INFO(urls.crl[0] << "\n" << http.out << http.err);
    REQUIRE(http.exit_code == 0);
    CHECK(contains(http.out, "HTTP/1.1 200"));
    CHECK(header_value(http.out, "Content-Type") == "application/pkix-crl");
    REQUIRE(run({"openssl", "crl", "-inform", "DER", "-in", der.string(), "-out", pem.string()})
                .exit_code == 0);
    crl_args.insert(crl_args.end(), {"-CRLfile", pem.string()});
  }
  CHECK(cert_urls(pki.leaf_pem(ca, "good")).crl[0] == pki.url("/crl/" + ca + ".crl"));
  CHECK(cert_urls(pki.ca_pem(ca)).crl[0] == pki.url("/crl/root.crl"));

  auto verify = [&](const std::string& kind) {
    std::vector<std::string> args = {"openssl",
                                     "verify",
                                     "-crl_check_all",
                                     "-CAfile",
                                     pki.ca_pem("root").string(),
                                     "-untrusted",
                                     pki.ca_pem(ca).string()};
    args.insert(args.end(), crl_args.begin(), crl_args.end());
    args.push_back(pki.leaf_pem(ca, kind).string());
    return run(args);
  };
  RunResult good = verify("good");
  INFO(good.out << good.err);
  CHECK(good.exit_code == 0);
  CHECK(contains(good.out, pki.leaf_pem(ca, "good").string() + ": OK"));

  RunResult revoked = verify("revoked");
  INFO(revoked.out << revoked.err);
  CHECK(revoked.exit_code != 0);
  CHECK(contains(revoked.out + revoked.err, "error 23 at 0 depth lookup: certificate revoked"));

  SECTION("openssl follows the leaf's CDP by itself (-crl_download)") {
    // -crl_check (leaf only): the root has no CDP, so -crl_check_all cannot download for it.
    for (const std::string kind : {"good", "revoked"}) {
      uint64_t crls = pki.requests("crl");
      RunResult r = run({"openssl", "verify", "-crl_check", "-crl_download", "-CAfile",
                         pki.ca_pem("root").string(), "-untrusted", pki.ca_pem(ca).string(),
                         pki.leaf_pem(ca, kind).string()});
      INFO(r.out << r.err);
      CHECK((r.exit_code == 0) == (kind == "good"));
      CHECK(pki.requests("crl") > crls);
      if (kind == "revoked") {
        CHECK(contains(r.out + r.err, "certificate revoked"));
      }
    }
  }
}
