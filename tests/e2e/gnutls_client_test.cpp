// GnuTLS as a relying party: `ocsptool --ask` takes the OCSP URL from the certificate's AIA,
// sends the request and verifies the response against the issuer (our delegated responder
// certificate, included in the response, chains to it); `certtool --verify-chain` and
// `certtool --verify` check the chains the signer built.
#include <catch2/catch.hpp>

#include "e2e_pki.h"

using namespace pkirepo::test;

TEST_CASE("gnutls: ocsptool --ask and certtool --verify-chain", "[e2e][gnutls]") {
  E2ePki& pki = E2ePki::shared();
  const std::string ca = GENERATE(as<std::string>{}, "tls", "tls-rsa");
  INFO("CA " << ca);

  SECTION("ocsptool --ask: good and revoked") {
    for (const std::string kind : {"good", "revoked"}) {
      uint64_t before = pki.requests("ocsp_get") + pki.requests("ocsp_post");
      // No URL after --ask: ocsptool reads it from the certificate's AIA. No --nonce: a
      // pre-signed response carries none (RFC 9919 3.2.1), and ocsptool then refuses it.
      RunResult r = run({"timeout", "30", "ocsptool", "--ask", "--load-issuer",
                         pki.ca_pem(ca).string(), "--load-cert", pki.leaf_pem(ca, kind).string()});
      INFO(r.out << r.err);
      CHECK(r.exit_code == 0);
      CHECK(contains(r.out + r.err, "Connecting to '127.0.0.1:" + std::to_string(pki.port())));
      CHECK(contains(r.out, "Response Status: Successful"));
      CHECK(contains(r.out, "Certificate Status: " + kind));
      CHECK(contains(r.out, "Verifying OCSP Response: Success."));
      CHECK(pki.requests("ocsp_get") + pki.requests("ocsp_post") == before + 1);
    }
  }

  SECTION("certtool --verify-chain and --verify against the root") {
    std::string chain_text = slurp(pki.leaf_pem(ca, "good")) + slurp(pki.ca_pem(ca));
    std::filesystem::path chain = pki.file("chain-" + ca + ".pem");
    std::filesystem::path full = pki.file("chain-full-" + ca + ".pem");
    write_text(chain, chain_text);
    write_text(full, chain_text + slurp(pki.ca_pem("root")));

    RunResult self = run({"certtool", "--verify-chain", "--infile", full.string()});
    INFO(self.out << self.err);
    CHECK(self.exit_code == 0);
    CHECK(contains(self.out, "Chain verification output: Verified. The certificate is trusted."));

    RunResult anchored =
        run({"certtool", "--verify", "--load-ca-certificate", pki.ca_pem("root").string(),
             "--infile", chain.string(), "--verify-purpose", "1.3.6.1.5.5.7.3.1",
             "--verify-hostname", "good." + ca + ".example.com"});
    INFO(anchored.out << anchored.err);
    CHECK(anchored.exit_code == 0);
    CHECK(
        contains(anchored.out, "Chain verification output: Verified. The certificate is trusted."));

    RunResult wrong_host =
        run({"certtool", "--verify", "--load-ca-certificate", pki.ca_pem("root").string(),
             "--infile", chain.string(), "--verify-hostname", "other.example"});
    CHECK(wrong_host.exit_code != 0);
  }
}
