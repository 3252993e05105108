// `run` and `revoke --publish` checked from the outside: the openssl CLI verifies the
// pre-signed responses (RFC 6960 / RFC 9919 / BR 7.3 shape) with SHA-1 and SHA-256 CertIDs.
#include <catch2/catch.hpp>
#include <set>

#include "run_support.h"
#include "store/store.h"
#include "x509/der.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

struct OcspCheck {
  RunResult result;
  std::string text;  // stdout + stderr
};

OcspCheck openssl_ocsp(const RunRepo& repo, const store::OcspRecord& rec, const std::string& serial,
                       CertIdHash hash, bool via_root) {
  std::string der = write_der(repo.dir / ("resp-" + serial + ".der"), rec.der);
  std::vector<std::string> argv{"openssl", "ocsp", "-respin", der, "-issuer", repo.ca_pem("tls")};
  if (hash == CertIdHash::sha256) {
    argv.push_back("-sha256");  // the CertID hash; openssl wants it before -serial
  }
  argv.insert(argv.end(), {"-serial", "0x" + serial, "-resp_text"});
  if (via_root) {
    argv.insert(argv.end(), {"-CAfile", repo.ca_pem("root"), "-verify_other", repo.ca_pem("tls")});
  } else {
    argv.insert(argv.end(), {"-VAfile", repo.responder_pem("tls")});
  }
  OcspCheck c;
  c.result = run(argv);
  c.text = c.result.out + c.result.err;
  return c;
}

std::string line_after(const std::string& text, const std::string& label) {
  auto pos = text.find(label);
  if (pos == std::string::npos) {
    return {};
  }
  auto end = text.find('\n', pos);
  return text.substr(pos + label.size(), end - pos - label.size());
}

}  // namespace

TEST_CASE("run pre-signs responses that openssl ocsp verifies: good and revoked, SHA-1 and SHA-256",
          "[run][ocsp]") {
  const UnixTime now = wall_clock();
  RunRepo repo(now);
  const std::string good = repo.issue("good.example.com");
  const std::string bad = repo.issue("revoked.example.com");

  RunResult r = repo.signer({"run"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  // 2 subscriber certificates + the tls CA certificate under the root, two CertID hashes each.
  CHECK_THAT(r.out, Catch::Contains("OCSP 6 signed"));
  CHECK_THAT(r.out, Catch::Contains("CRLs 2 signed"));

  r = repo.signer({"revoke", "--ca", "tls", "--serial", bad, "--reason", "keyCompromise",
                   "--invalidity-date", rfc3339(now - 3600)});
  REQUIRE(r.exit_code == 0);
  // Revoked since the last run: re-signed at once, nothing else is due.
  r = repo.signer({"run"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("OCSP 2 signed, 4 not due"));
  CHECK_THAT(r.out, Catch::Contains("CRLs 1 signed, 1 not due"));

  for (CertIdHash hash : {CertIdHash::sha1, CertIdHash::sha256}) {
    for (bool via_root : {false, true}) {
      DYNAMIC_SECTION(cert_id_hash_name(hash) << (via_root ? " via root" : " via VAfile")) {
        auto rec = ocsp_record(repo.store_dir(), "tls", good, hash);
        REQUIRE(rec);
        CHECK(rec->status == store::CertStatus::good);
        CHECK(rec->next_update - rec->this_update == 4 * 86400);
        CHECK(rec->etag == "\"" + to_hex(sha256(rec->der)) + "\"");
        OcspCheck c = openssl_ocsp(repo, *rec, good, hash, via_root);
        INFO(c.text);
        CHECK(c.result.exit_code == 0);
        CHECK_THAT(c.text, Catch::Contains("Response verify OK"));
        CHECK_THAT(c.text, Catch::Contains("0x" + good + ": good"));
        CHECK_THAT(c.text, !Catch::Contains("WARNING: Status times invalid"));
        // responderID byKey (a hex key hash, not a name), producedAt = thisUpdate, no nonce
        // and no single extensions (BR 7.3), the delegated responder certificate included.
        std::string responder_id = line_after(c.text, "Responder Id: ");
        CHECK(responder_id.find("CN=") == std::string::npos);
        CHECK(responder_id.size() == 40);
        CHECK(line_after(c.text, "Produced At: ") == line_after(c.text, "This Update: "));
        CHECK_THAT(c.text, !Catch::Contains("Nonce"));
        CHECK_THAT(c.text, !Catch::Contains("Response Single Extensions"));
        CHECK_THAT(c.text, Catch::Contains("OCSP Signing"));
        std::string hash_line = line_after(c.text, "Hash Algorithm: ");
        CHECK(hash_line == (hash == CertIdHash::sha1 ? "sha1" : "sha256"));

        auto rrec = ocsp_record(repo.store_dir(), "tls", bad, hash);
        REQUIRE(rrec);
        CHECK(rrec->status == store::CertStatus::revoked);
        OcspCheck rc = openssl_ocsp(repo, *rrec, bad, hash, via_root);
        INFO(rc.text);
        CHECK(rc.result.exit_code == 0);
        CHECK_THAT(rc.text, Catch::Contains("Response verify OK"));
        CHECK_THAT(rc.text, Catch::Contains("0x" + bad + ": revoked"));
        CHECK_THAT(rc.text, Catch::Contains("Reason: keyCompromise"));
        CHECK_THAT(rc.text, Catch::Contains("Revocation Time: "));
      }
    }
  }

  SECTION("each record names its responder's certificate as a shared tail, stored once") {
    const Bytes root_cert = ca_record(repo.store_dir(), "root")->responder_cert_der;
    const Bytes tls_cert = ca_record(repo.store_dir(), "tls")->responder_cert_der;
    store::ReadStore st(repo.store_dir());
    store::ReadTxn txn = st.begin_read();
    std::set<uint64_t> tails;
    size_t records = 0;
    store::Cursor c(txn, store::Db::ocsp);
    for (bool ok = c.first(); ok; ok = c.next()) {
      store::OcspView v;
      REQUIRE(store::decode_view(c.value(), v));
      CHECK(v.tail_id != 0);
      tails.insert(v.tail_id);
      ++records;
    }
    CHECK(records == 6);
    CHECK(tails == std::set<uint64_t>{store::make_ocsp_tail(root_cert).id,
                                      store::make_ocsp_tail(tls_cert).id});
    for (const Bytes* cert : {&root_cert, &tls_cert}) {
      auto t = store::get_ocsp_tail(txn, store::make_ocsp_tail(*cert).id);
      REQUIRE(t);
      CHECK(Bytes(t->begin(), t->end()) == *cert);
    }
  }

  SECTION("the root's responses cover the issuing CA's certificate") {
    auto tls_rec = ca_record(repo.store_dir(), "tls");
    X509Ptr tls_cert = parse_cert_der(tls_rec->cert_der);
    std::string serial = serial_hex(tls_cert.get());
    auto rec = ocsp_record(repo.store_dir(), "root", serial, CertIdHash::sha256);
    REQUIRE(rec);
    std::string der = write_der(repo.dir / "root-resp.der", rec->der);
    auto c = run({"openssl", "ocsp", "-respin", der, "-issuer", repo.ca_pem("root"), "-VAfile",
                  repo.responder_pem("root"), "-sha256", "-serial", "0x" + serial});
    INFO(c.out << c.err);
    CHECK(c.exit_code == 0);
    CHECK_THAT(c.out + c.err, Catch::Contains(": good"));
  }
}

TEST_CASE("revoke --publish makes the revocation live in OCSP and the CRL in one step",
          "[run][ocsp][crl][publish]") {
  const UnixTime now = wall_clock();
  RunRepo repo(now);
  const std::string serial = repo.issue("publish.example.com");
  REQUIRE(repo.signer({"run"}).exit_code == 0);
  auto before = crl_record(repo.store_dir(), "tls", 0);
  REQUIRE(before);

  RunResult r = repo.signer(
      {"revoke", "--ca", "tls", "--serial", serial, "--reason", "superseded", "--publish"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("published: 2 OCSP responses"));

  for (CertIdHash hash : {CertIdHash::sha1, CertIdHash::sha256}) {
    auto rec = ocsp_record(repo.store_dir(), "tls", serial, hash);
    REQUIRE(rec);
    CHECK(rec->status == store::CertStatus::revoked);
    OcspCheck c = openssl_ocsp(repo, *rec, serial, hash, false);
    INFO(c.text);
    CHECK_THAT(c.text, Catch::Contains("Response verify OK"));
    CHECK_THAT(c.text, Catch::Contains("Reason: superseded"));
  }
  auto after = crl_record(repo.store_dir(), "tls", 0);
  REQUIRE(after);
  CHECK(after->crl_number == before->crl_number + 1);
  CHECK(after->this_update > before->this_update);
  CHECK(after->entries == 1);
  std::string crl = write_crl_pem(repo.dir / "tls.crl.pem", after->der);
  auto text = run({"openssl", "crl", "-in", crl, "-noout", "-text"});
  CHECK_THAT(text.out, Catch::Contains("Serial Number: " + [&] {
               std::string up = serial;
               for (auto& ch : up) {
                 ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
               }
               return up;
             }()));
  CHECK_THAT(text.out, Catch::Contains("Superseded"));

  // The next run finds nothing to do for it.
  r = repo.signer({"run"});
  INFO(r.out << r.err);
  CHECK_THAT(r.out, Catch::Contains("OCSP 0 signed"));
  CHECK_THAT(r.out, Catch::Contains("CRLs 0 signed"));

  SECTION("a refused revocation publishes nothing") {
    RunResult again = repo.signer(
        {"revoke", "--ca", "tls", "--serial", serial, "--reason", "superseded", "--publish"});
    CHECK(again.exit_code == 1);
    CHECK_THAT(again.err, Catch::Contains("already revoked"));
    CHECK(crl_record(repo.store_dir(), "tls", 0)->crl_number == after->crl_number);
  }
}
