// Compromised keys (CPS 4.9.12, BR 6.1.1.3): a keyCompromise revocation or `keys block` puts the
// key on the store's list, and `issue` refuses every later request for it, naming why.
#include <openssl/pem.h>

#include <catch2/catch.hpp>

#include "cli_support.h"
#include "x509/cert_info.h"
#include "x509/der.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

// A CSR for `key` named `name`, written into the test folder.
std::string csr_for(const TestPki& pki, EVP_PKEY* key, const std::string& name) {
  const auto p = pki.dir / ("csr/" + name + ".csr");
  write_text(p, to_pem(make_csr(key, name, {name}).get()));
  return p.string();
}

RunResult issue(const TestPki& pki, const std::string& csr, const std::string& out = "") {
  std::vector<std::string> args = {"issue", "--ca", "tls", "--profile", "tls-server", "--csr", csr};
  if (!out.empty()) {
    args.insert(args.end(), {"--out", out});
  }
  return pki.signer(args);
}

std::string serial_of(const std::filesystem::path& pem) {
  X509Ptr cert = parse_cert_any(as_bytes(read_text_file(pem)));
  REQUIRE(cert);
  return serial_hex(cert.get());
}

}  // namespace

TEST_CASE("a keyCompromise revocation blocks the key: issue refuses it again, other keys pass",
          "[signer][keys][blocked]") {
  TestPki pki;
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  EvpPkeyPtr compromised = make_key("ec-p256");
  EvpPkeyPtr other = make_key("ec-p256");
  const auto first = pki.dir / "first.pem";
  REQUIRE(issue(pki, csr_for(pki, compromised.get(), "a.example.com"), first.string()).exit_code ==
          0);
  // A second certificate for the same key, and one revoked for another reason: not blocked.
  const auto second = pki.dir / "second.pem";
  REQUIRE(issue(pki, csr_for(pki, compromised.get(), "b.example.com"), second.string()).exit_code ==
          0);
  const auto superseded = pki.dir / "superseded.pem";
  REQUIRE(issue(pki, csr_for(pki, other.get(), "c.example.com"), superseded.string()).exit_code ==
          0);
  REQUIRE(pki.signer({"revoke", "--ca", "tls", "--serial", serial_of(superseded), "--reason",
                      "superseded"})
              .exit_code == 0);
  CHECK(pki.records("blocked_keys") == 0);

  const std::string serial = serial_of(first);
  // The hash is crt.sh's "SHA-256(SubjectPublicKeyInfo)": the whole SPKI DER, as OpenSSL
  // writes it out of the certificate.
  auto pub = run({"openssl", "x509", "-in", first.string(), "-pubkey", "-noout"});
  write_text(pki.dir / "first.pub", pub.out);
  auto der = run({"openssl", "pkey", "-pubin", "-in", (pki.dir / "first.pub").string(), "-outform",
                  "DER", "-out", (pki.dir / "first.spki").string()});
  REQUIRE(der.exit_code == 0);
  CHECK(to_hex(sha256(as_bytes(read_text_file(pki.dir / "first.spki")))) ==
        to_hex(spki_sha256(compromised.get())));
  auto revoked =
      pki.signer({"revoke", "--ca", "tls", "--serial", serial, "--reason", "keyCompromise"});
  INFO(revoked.err);
  REQUIRE(revoked.exit_code == 0);
  CHECK(pki.records("blocked_keys") == 1);

  const auto before = snapshot(pki.dir / "store");
  auto refused = issue(pki, csr_for(pki, compromised.get(), "d.example.com"));
  CHECK(refused.exit_code != 0);
  const std::string spki = to_hex(spki_sha256(compromised.get()));
  CHECK_THAT(refused.err + refused.out,
             Catch::Contains("public key (SPKI SHA-256 " + spki + ") is blocked as compromised") &&
                 Catch::Contains("keyCompromise of CA tls serial " + serial));
  // Only the rejection's audit record is added.
  auto after = snapshot(pki.dir / "store");
  CHECK(after.at("certs") == before.at("certs"));
  CHECK(after.at("audit").size() == before.at("audit").size() + 1);

  CHECK(issue(pki, csr_for(pki, other.get(), "e.example.com")).exit_code == 0);
  // Upgrading the superseded revocation to keyCompromise blocks that key too.
  REQUIRE(pki.signer({"revoke", "--ca", "tls", "--serial", serial_of(superseded), "--reason",
                      "keyCompromise"})
              .exit_code == 0);
  CHECK(pki.records("blocked_keys") == 2);
  CHECK(issue(pki, csr_for(pki, other.get(), "f.example.com")).exit_code != 0);
}

TEST_CASE(
    "keys block: a key reported from outside is refused at issue, and bad input changes nothing",
    "[signer][keys][blocked]") {
  TestPki pki;
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  EvpPkeyPtr reported = make_key("rsa-2048");
  // The reporter sends the public key (PEM).
  BioPtr bio(BIO_new(BIO_s_mem()));
  REQUIRE(PEM_write_bio_PUBKEY(bio.get(), reported.get()) == 1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  write_text(pki.dir / "reported.pub", std::string(data, static_cast<size_t>(len)));

  const auto before = snapshot(pki.dir / "store");
  const std::pair<std::vector<std::string>, std::string> bad[] = {
      {{"keys", "block", "--spki-sha256", "abcd", "--ticket", "T-1"}, "not 64 hexadecimal digits"},
      {{"keys", "block", "--pem", (pki.dir / "pkirepo.toml").string(), "--ticket", "T-1"},
       "holds no public key, certificate or certificate request"},
      {{"keys", "block", "--ticket", "T-1"}, "give exactly one of --spki-sha256 and --pem"},
  };
  for (const auto& [args, why] : bad) {
    auto r = pki.signer(args);
    INFO(r.err);
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains(why));
  }
  CHECK(snapshot(pki.dir / "store") == before);

  auto blocked = pki.signer(
      {"keys", "block", "--pem", (pki.dir / "reported.pub").string(), "--ticket", "KC-2026-17"});
  INFO(blocked.err);
  REQUIRE(blocked.exit_code == 0);
  const std::string spki = to_hex(spki_sha256(reported.get()));
  CHECK_THAT(blocked.out, Catch::Contains("blocked key " + spki));
  // The same key by hash: already blocked, nothing changes.
  const auto once = snapshot(pki.dir / "store");
  auto again = pki.signer({"keys", "block", "--spki-sha256", spki, "--ticket", "KC-2026-18"});
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.out, Catch::Contains("already blocked") && Catch::Contains("KC-2026-17"));
  CHECK(snapshot(pki.dir / "store") == once);

  auto refused = issue(pki, csr_for(pki, reported.get(), "www.example.com"));
  CHECK(refused.exit_code != 0);
  CHECK_THAT(refused.err + refused.out, Catch::Contains("reported: KC-2026-17"));
}
