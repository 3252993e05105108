#include <catch2/catch.hpp>

#include "cli_support.h"
#include "x509/cert_info.h"
#include "x509/der.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

// The store minus the audit trail: what a refused request must leave untouched.
StoreSnapshot without_audit(StoreSnapshot s) {
  s.erase("audit");
  s["meta"].erase(Bytes{'a', 'u', 'd', 'i', 't', '_', 'c', 'o', 'u', 'n', 't'});
  s["meta"].erase(Bytes{'a', 'u', 'd', 'i', 't', '_', 'h', 'e', 'a', 'd'});
  const std::string head_time = "audit_head_time";  // the newest record's seq and time
  s["meta"].erase(Bytes(head_time.begin(), head_time.end()));
  return s;
}

}  // namespace

TEST_CASE("issue: a P-256 and an RSA-2048 CSR become verifiable certificates", "[signer][issue]") {
  TestPki pki;
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  for (std::string alg : {"ec-p256", "rsa-2048", "ec-p384"}) {
    auto csr = pki.csr("host-" + alg + ".example.com", alg, {"host-" + alg + ".example.com"});
    std::string out = (pki.dir / ("leaf-" + alg + ".pem")).string();
    auto r = pki.signer({"issue", "--profile", "tls-server", "--csr", csr.string(), "--out", out});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto v = run(
        {"openssl", "verify", "-CAfile", pki.ca_pem("root"), "-untrusted", pki.ca_pem("tls"), out});
    INFO(v.out + v.err);
    CHECK(v.exit_code == 0);
    auto text = run({"openssl", "x509", "-in", out, "-noout", "-text"});
    CHECK_THAT(text.out, Catch::Contains("DNS:host-" + alg + ".example.com"));
    CHECK_THAT(text.out, Catch::Contains("CA:FALSE"));
    CHECK_THAT(text.out,
               Catch::Contains("TLS Web Server Authentication, TLS Web Client Authentication"));
    CHECK_THAT(text.out, Catch::Contains("Policy: 2.23.140.1.2.1"));
    CHECK_THAT(text.out, Catch::Contains("OCSP - URI:http://pki.test.example/ocsp"));
    CHECK_THAT(text.out, Catch::Contains("URI:http://pki.test.example/crl/tls.crl"));
    if (alg == "rsa-2048") {
      CHECK_THAT(text.out, Catch::Contains("Digital Signature, Key Encipherment"));
    }
    // The certificate carries the request's SubjectPublicKeyInfo exactly (copied field by field).
    auto csr_key = run({"openssl", "req", "-in", csr.string(), "-noout", "-pubkey"});
    auto cert_key = run({"openssl", "x509", "-in", out, "-noout", "-pubkey"});
    CHECK(csr_key.exit_code == 0);
    CHECK_THAT(csr_key.out, Catch::StartsWith("-----BEGIN PUBLIC KEY-----"));
    CHECK(cert_key.out == csr_key.out);
    // 16-byte serial, positive.
    X509Ptr cert = parse_cert_any(read_file(out));
    CHECK(serial_bytes(cert.get()).size() == 16);
    CHECK(pki.signer({"lint", "--issuer", pki.ca_pem("tls"), out}).exit_code == 0);
  }
  auto list = pki.signer({"list", "--ca", "tls"});
  CHECK(list.exit_code == 0);
  CHECK_THAT(list.err, Catch::Contains("3 certificates"));
  CHECK(pki.signer({"audit", "verify"}).exit_code == 0);
}

TEST_CASE("issue: a batch decides each request on its own", "[signer][issue]") {
  TestPki pki;
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  std::filesystem::path spool = pki.dir / "spool";
  for (int i = 0; i < 20; ++i) {
    auto csr =
        pki.csr("batch" + std::to_string(i) + ".example.com", i % 2 ? "ec-p256" : "rsa-2048");
    std::filesystem::create_directories(spool);
    std::filesystem::rename(csr, spool / csr.filename());
  }
  write_text(spool / "zz-garbage.csr", "this is not a CSR");
  auto weak = pki.csr("weak.example.com", "rsa-1024");
  std::filesystem::rename(weak, spool / "zz-weak.csr");
  auto r = pki.signer({"issue", "--profile", "tls-server", "--csr-dir", spool.string(), "--out-dir",
                       (pki.dir / "issued").string()});
  CHECK(r.exit_code == 1);  // some refused
  CHECK_THAT(r.out, Catch::Contains("20 issued, 2 refused"));
  CHECK_THAT(r.err, Catch::Contains("zz-garbage.csr: refused: not a certificate signing request"));
  CHECK_THAT(r.err, Catch::Contains("zz-weak.csr: refused: subscriber key RSA 1024 is below"));
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(pki.dir / "issued")) {
    ++files;
  }
  CHECK(files == 20);
  auto exported = pki.signer({"audit", "export"});
  CHECK_THAT(exported.out, Catch::Contains("certificate_request_rejected"));
  CHECK(pki.signer({"audit", "verify"}).exit_code == 0);
}

TEST_CASE("issue refusals change nothing but the rejection's audit record", "[signer][issue]") {
  TestPki pki;
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  const auto base = snapshot(pki.dir / "store");
  const size_t base_audit = base.at("audit").size();

  SECTION("RSA-1024 CSR") {
    auto r = pki.signer({"issue", "--profile", "tls-server", "--csr",
                         pki.csr("a.example.com", "rsa-1024").string()});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("CPS 6.1.5"));
    CHECK(pki.records("audit") == base_audit + 1);
  }
  SECTION("CSR with a broken signature") {
    auto csr = pki.csr("b.example.com");
    X509ReqPtr req = parse_csr_any(read_file(csr));
    Bytes der = to_der(req.get());
    der[der.size() - 3] ^= 0x55;  // inside the signature value
    write_file_atomic(csr, der);
    auto r = pki.signer({"issue", "--profile", "tls-server", "--csr", csr.string()});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("signature does not verify"));
    CHECK(pki.records("audit") == base_audit + 1);
  }
  SECTION("garbage file") {
    write_text(pki.dir / "garbage.csr", std::string(300, '\x17'));
    auto r = pki.signer(
        {"issue", "--profile", "tls-server", "--csr", (pki.dir / "garbage.csr").string()});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("not a certificate signing request"));
    CHECK(pki.records("audit") == base_audit + 1);
  }
  SECTION("Ed25519 CSR (neither a BR key encoding nor in the CPS key table)") {
    auto r = pki.signer({"issue", "--profile", "tls-server", "--csr",
                         pki.csr("e.example.com", "ed25519").string()});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("algorithm ED25519 is not one the BRs allow"));
    CHECK(pki.records("audit") == base_audit + 1);
  }
  SECTION("CSR without CN") {
    EvpPkeyPtr key = make_key("ec-p256");
    X509ReqPtr req(X509_REQ_new());
    X509_REQ_set_pubkey(req.get(), key.get());
    X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req.get()), "O", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>("NoCN"), -1, -1, 0);
    X509_REQ_sign(req.get(), key.get(), EVP_sha256());
    write_text(pki.dir / "nocn.csr", to_pem(req.get()));
    auto r =
        pki.signer({"issue", "--profile", "tls-server", "--csr", (pki.dir / "nocn.csr").string()});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("no CN"));
    CHECK(pki.records("audit") == base_audit + 1);
  }
  SECTION("unknown profile: a command error, store untouched") {
    auto r = pki.signer({"issue", "--profile", "nope", "--csr", pki.csr("c.example.com").string()});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("--profile nope: unknown profile"));
    CHECK(pki.records("audit") == base_audit);
  }
  SECTION("unknown CA") {
    auto r = pki.signer({"issue", "--profile", "tls-server", "--ca", "nope", "--csr",
                         pki.csr("d.example.com").string()});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("--ca nope: unknown CA"));
    CHECK(pki.records("audit") == base_audit);
  }
  SECTION("wrong passphrase") {
    pki.env["PKIREPO_TEST_PASSPHRASE"] = "not the passphrase";
    auto r = pki.signer(
        {"issue", "--profile", "tls-server", "--csr", pki.csr("f.example.com").string()});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("keys/tls.pem: wrong passphrase"));
    CHECK(pki.records("audit") == base_audit);
  }
  // Whatever was refused, certificates and CAs are exactly as before.
  CHECK(without_audit(snapshot(pki.dir / "store")) == without_audit(base));
  CHECK(pki.signer({"audit", "verify"}).exit_code == 0);
}

TEST_CASE("validity over the maximum or past the CA is refused", "[signer][issue]") {
  SECTION("profile validity over 15 months is a config error") {
    TestPki pki("\n[[profile]]\nid = \"long\"\nvalidity = \"500d\"\n");
    auto r = pki.signer({"init"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("exceeds the CPS 6.3.2 subscriber maximum"));
  }
  SECTION("a certificate may not outlive its issuing CA") {
    TestPki pki;
    REQUIRE(pki.signer({"init"}).exit_code == 0);
    auto csr = pki.csr("late.example.com");
    pki.env["PKIREPO_NOW"] = "2031-10-20T00:00:00Z";  // 47 days on passes the 5y CA's 2031-11-21
    auto r = pki.signer({"issue", "--profile", "tls-server", "--csr", csr.string()});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("beyond the issuing CA's notAfter"));
  }
}
