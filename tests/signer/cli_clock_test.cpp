// The clock and the audit log: a signer command whose clock is behind the newest audit record
// is refused before it does anything (the store stays as it was), reading commands still work,
// and --version names a test build.
#include <catch2/catch.hpp>

#include "audit/audit_log.h"
#include "cli_support.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

uint64_t audit_records(const TestPki& pki) {
  store::ReadStore st(pki.dir / "store");
  store::ReadTxn txn = st.begin_read();
  return audit::checkpoint(txn).count;
}

}  // namespace

TEST_CASE("a command whose clock is behind the newest audit record is refused",
          "[signer][clock][audit]") {
  TestPki pki;  // PKIREPO_NOW = 2026-11-22T00:00:00Z
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  const std::filesystem::path csr = pki.csr("clock.example.com");
  RunResult issued = pki.signer({"issue", "--profile", "tls-server", "--csr", csr.string(), "--out",
                                 (pki.dir / "first.pem").string()});
  INFO(issued.err);
  REQUIRE(issued.exit_code == 0);
  const std::string serial = issued.out.substr(issued.out.find("serial ") + 7, 32);
  const uint64_t head = audit_records(pki);
  REQUIRE(head > 0);
  const auto before = snapshot(pki.dir / "store");

  pki.env["PKIREPO_NOW"] = "2026-11-21T00:00:00Z";  // a day back: an NTP step, a bad RTC
  const std::string refusal =
      "pkirepo-signer: the clock (2026-11-21T00:00:00Z) is behind audit record " +
      std::to_string(head) +
      " (2026-11-22T00:00:00Z): refusing to write an audit record that goes back in time\n";
  const std::filesystem::path out = pki.dir / "backdated.pem";
  const std::vector<std::vector<std::string>> commands = {
      {"issue", "--profile", "tls-server", "--csr", csr.string(), "--out", out.string()},
      {"revoke", "--ca", "tls", "--serial", serial, "--reason", "superseded"},
      {"revoke", "--ca", "tls", "--serial", serial, "--reason", "superseded", "--publish"},
      {"run"},
      {"run", "--force"},
      {"init"},
  };
  for (const auto& args : commands) {
    RunResult r = pki.signer(args);
    INFO(args.front() << ": " << r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err == refusal);
    CHECK(snapshot(pki.dir / "store") == before);
  }
  CHECK_FALSE(std::filesystem::exists(out));

  // Reading commands do not write audit records: they still answer.
  CHECK(pki.signer({"audit", "verify"}).exit_code == 0);
  CHECK(pki.signer({"list"}).exit_code == 0);
  CHECK(pki.signer({"show", "--serial", serial}).exit_code == 0);

  // Once the clock is back at the newest record's time, commands run again.
  pki.env["PKIREPO_NOW"] = "2026-11-22T00:00:00Z";
  RunResult again = pki.signer(
      {"issue", "--profile", "tls-server", "--csr", csr.string(), "--out", out.string()});
  INFO(again.err);
  CHECK(again.exit_code == 0);
  CHECK(audit_records(pki) == head + 2);  // certificate_issued, ocsp_responses_signed
  CHECK(pki.signer({"audit", "verify"}).exit_code == 0);
}

TEST_CASE("each program's version names a simulated-clock test build", "[signer][clock]") {
  for (const char* program : {"pkirepo-signer", "pkirepo-responder", "pkirepo-publisher"}) {
    RunResult r = run({binary(program).string(), "--version"}, {{"PKIREPO_NOW", ""}});
    INFO(program << ": " << r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::StartsWith(std::string(program) + " "));
    if (simulated_clock_build()) {
      CHECK_THAT(r.out, Catch::EndsWith(" (simulated clock: test build)\n"));
    } else {
      CHECK_THAT(r.out, !Catch::Contains("simulated"));
    }
  }
}
