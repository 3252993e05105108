// NSS (Firefox's library) as a relying party: a fresh NSS database trusting only our root,
// and `vfychain` with the PKIX verifier and OCSP required for the leaf (and for the whole
// chain): NSS takes the OCSP URL from the AIA and fetches the response by itself (we see the
// request arrive in the responder's /metrics).
#include <catch2/catch.hpp>

#include "e2e_pki.h"

using namespace pkirepo::test;

TEST_CASE("nss: vfychain with OCSP from the AIA", "[e2e][nss]") {
  E2ePki& pki = E2ePki::shared();
  std::filesystem::path db = pki.file("nssdb");
  if (!std::filesystem::exists(db)) {
    std::filesystem::create_directories(db);
    RunResult init = run({"certutil", "-N", "-d", "sql:" + db.string(), "--empty-password"});
    INFO(init.out << init.err);
    REQUIRE(init.exit_code == 0);
    RunResult add = run({"certutil", "-A", "-d", "sql:" + db.string(), "-n", "pkirepo e2e root",
                         "-t", "C,,", "-i", pki.ca_der("root").string()});
    INFO(add.out << add.err);
    REQUIRE(add.exit_code == 0);
  }

  const std::string ca = GENERATE(as<std::string>{}, "tls", "tls-rsa");
  // "leaf": OCSP for the end-entity certificate; "chain": also for the issuing CA's
  // certificate, answered by the root's responder certificate (vfychain's "-g chain" tests
  // the CA certificates only, so it comes on top of "-g leaf").
  const std::string scope = GENERATE(as<std::string>{}, "leaf", "chain");
  INFO("CA " << ca << ", OCSP for the " << scope);

  for (const std::string kind : {"good", "revoked"}) {
    uint64_t before = pki.requests("ocsp_get") + pki.requests("ocsp_post");
    // -pp: CERT_PKIXVerifyCert; -u 1: SSL server; failIfNoInfo: no answer is a failure, so a
    // pass means NSS did get and accept our response. The CA certificate is given as an
    // intermediate; only the root is trusted (database).
    std::vector<std::string> args = {
        "timeout", "60", "vfychain", "-d", "sql:" + db.string(), "-pp", "-u", "1", "-g",
        "leaf",    "-m", "ocsp",     "-s", "failIfNoInfo"};
    if (scope == "chain") {
      args.insert(args.end(), {"-g", "chain", "-m", "ocsp", "-s", "failIfNoInfo"});
    }
    args.insert(args.end(), {pki.leaf_der(ca, kind).string(), pki.ca_der(ca).string()});
    RunResult r = run(args);
    INFO(kind << ":\n" << r.out << r.err);
    if (kind == "good") {
      CHECK(r.exit_code == 0);
      CHECK(contains(r.out + r.err, "Chain is good!"));
    } else {
      CHECK(r.exit_code != 0);
      CHECK(contains(r.out + r.err, "Chain is bad!"));
      CHECK(contains(r.out + r.err, "ERROR -8180: Peer's Certificate has been revoked."));
    }
    CHECK(pki.requests("ocsp_get") + pki.requests("ocsp_post") >=
          before + (scope == "chain" && kind == "good" ? 2 : 1));
  }
}
