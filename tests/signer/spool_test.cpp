// `issue --csr-dir` as cron runs it: every request ends in done/ (as <serial>-<name>) or in
// failed/ (with <name>.reason), a rerun issues nothing twice, and a request whose certificate
// was committed before a crash kept it from moving is only moved on the next run. Driven
// through the real pkirepo-signer.
#include <catch2/catch.hpp>

#include "cli_support.h"
#include "store/store.h"
#include "x509/cert_info.h"
#include "x509/der.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

std::vector<std::string> names_in(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.is_regular_file()) {
      out.push_back(e.path().filename().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("the issuance spool: done, failed, and never twice", "[signer][issue][spool]") {
  TestPki pki;
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  const std::filesystem::path spool = pki.dir / "spool";
  std::filesystem::create_directories(spool);
  std::filesystem::copy_file(pki.csr("a.example.com"), spool / "a.csr");
  std::filesystem::copy_file(pki.csr("b.example.com"), spool / "b.csr");
  std::filesystem::copy_file(pki.csr("localhost"), spool / "internal.csr");
  const size_t before = pki.records("certs");

  RunResult r = pki.signer({"issue", "--profile", "tls-server", "--csr-dir", spool.string(),
                            "--out-dir", (pki.dir / "certs").string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);  // one request refused
  CHECK_THAT(r.out, Catch::Contains("issue: 2 issued, 1 refused"));
  CHECK(names_in(spool).empty());
  const std::vector<std::string> done = names_in(spool / "done");
  REQUIRE(done.size() == 2);
  for (const std::string& name : done) {
    // <serial>-<name>, and the serial is the certificate's.
    const std::string serial = name.substr(0, name.find('-'));
    X509Ptr cert = parse_cert_any(read_file(pki.dir / "certs" / (serial + ".pem")));
    REQUIRE(cert);
    CHECK(serial_hex(cert.get()) == serial);
  }
  CHECK(names_in(spool / "failed") ==
        std::vector<std::string>{"internal.csr", "internal.csr.reason"});
  const Bytes reason = read_file(spool / "failed" / "internal.csr.reason");
  CHECK_THAT(std::string(reason.begin(), reason.end()), Catch::Contains("localhost"));
  CHECK(pki.records("certs") == before + 2);

  SECTION("a rerun finds nothing to do and changes nothing") {
    const StoreSnapshot snap = snapshot(pki.dir / "store");
    r = pki.signer({"issue", "--profile", "tls-server", "--csr-dir", spool.string()});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("issue: 0 issued, 0 refused"));
    CHECK(snapshot(pki.dir / "store") == snap);
  }

  SECTION("a request committed before a crash is moved, not issued again") {
    // The crash: the certificate committed, the file never left the spool (and so its record
    // was never forgotten).
    const std::string a_done = done[0].ends_with("-a.csr") ? done[0] : done[1];
    std::filesystem::rename(spool / "done" / a_done, spool / "a.csr");
    {
      store::WriteStore st(pki.dir / "store");
      const Bytes request = read_file(spool / "a.csr");
      st.transact([&](store::WriteTxn& txn) {
        txn.put(store::Db::meta, as_bytes("spool/" + to_hex(sha256(request))),
                as_bytes(a_done.substr(0, a_done.find('-'))));
      });
    }
    const StoreSnapshot snap = snapshot(pki.dir / "store");
    r = pki.signer({"issue", "--profile", "tls-server", "--csr-dir", spool.string()});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("a.csr: already issued as serial " +
                                      a_done.substr(0, a_done.find('-'))));
    CHECK(names_in(spool).empty());
    CHECK(names_in(spool / "done") == done);
    CHECK(snapshot(pki.dir / "store")["certs"] == snap.at("certs"));
    CHECK(snapshot(pki.dir / "store")["audit"] == snap.at("audit"));
  }

  SECTION("the same request submitted again later is a new request (a renewal)") {
    std::filesystem::copy_file(spool / "done" / done[0], spool / "again.csr");
    r = pki.signer({"issue", "--profile", "tls-server", "--csr-dir", spool.string()});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("issue: 1 issued, 0 refused"));
    CHECK(pki.records("certs") == before + 3);
    // No record is left behind once the files have moved.
    const StoreSnapshot after = snapshot(pki.dir / "store");
    const auto& meta = after.at("meta");
    CHECK(std::none_of(meta.begin(), meta.end(), [](const auto& kv) {
      return std::string(kv.first.begin(), kv.first.end()).starts_with("spool/");
    }));
  }

  SECTION("done and failed folders of the operator's choice") {
    std::filesystem::copy_file(pki.csr("c.example.com"), spool / "c.csr");
    r = pki.signer({"issue", "--profile", "tls-server", "--csr-dir", spool.string(), "--done-dir",
                    (pki.dir / "issued").string(), "--failed-dir",
                    (pki.dir / "rejected").string()});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    REQUIRE(names_in(pki.dir / "issued").size() == 1);
    CHECK(names_in(pki.dir / "issued")[0].ends_with("-c.csr"));
    CHECK(names_in(pki.dir / "rejected").empty());
  }
}
