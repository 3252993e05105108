// Tamper evidence (issue #19): signed audit checkpoints, `audit verify --checkpoint` against a
// file, a jsonl and a URL, and the cross-check of the certs table and revocations against the
// log. The attack: with write access to the store, cut the log back to 6 records and fix meta.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli_support.h"
#include "store/meta_keys.h"
#include "store/schema.h"
#include "support/audit_tamper.h"
#include "support/server_process.h"
#include "x509/bytes.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

uint64_t audit_count(const TestPki& pki) {
  return pki.records("audit");
}

std::string issue_one(TestPki& pki, const std::string& name) {
  RunResult r = pki.signer(
      {"issue", "--ca", "tls", "--profile", "tls-server", "--csr", pki.csr(name).string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

// The checkpoint `audit checkpoint` stored and printed ("signed {...}" or "unchanged {...}").
std::string sign_checkpoint(TestPki& pki) {
  RunResult r = pki.signer({"audit", "checkpoint"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const size_t brace = r.out.find('{');
  REQUIRE(brace != std::string::npos);
  return r.out.substr(brace, r.out.find('\n', brace) - brace);
}

}  // namespace

TEST_CASE(
    "the log cut back to 6 records with meta fixed: caught by an earlier checkpoint and by "
    "the cross-check",
    "[signer][audit][tamper]") {
  TestPki pki;
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  for (int i = 0; audit_count(pki) < 14; ++i) {
    (void)issue_one(pki, "host" + std::to_string(i) + ".example.com");
  }
  const uint64_t before = audit_count(pki);
  const std::string cp = sign_checkpoint(pki);
  CHECK_THAT(cp, Catch::Contains("\"count\":" + std::to_string(before) + ","));
  write_text(pki.dir / "checkpoint.json", cp + "\n");
  RunResult good =
      pki.signer({"audit", "verify", "--checkpoint", (pki.dir / "checkpoint.json").string()});
  INFO(good.out << good.err);
  REQUIRE(good.exit_code == 0);
  CHECK_THAT(good.out, Catch::Contains("1 published checkpoint(s) extended"));

  // The attack: records 7..N gone (N >= 14), audit_count/audit_head/audit_head_time set to
  // record 6. The chain alone still verifies; the certificates issued in 7..N stay in `certs`.
  truncate_audit_log(pki.dir / "store", 6);
  REQUIRE(audit_count(pki) == 6);

  RunResult with_cp =
      pki.signer({"audit", "verify", "--checkpoint", (pki.dir / "checkpoint.json").string()});
  CHECK(with_cp.exit_code == 1);
  CHECK_THAT(with_cp.err,
             Catch::Contains("checkpoint " + (pki.dir / "checkpoint.json").string() +
                             ": today's log does not extend it: it counts " +
                             std::to_string(before) + " records but the log has only 6"));
  CHECK(std::count(with_cp.err.begin(), with_cp.err.end(), '\n') == 1);

  RunResult cross = pki.signer({"audit", "verify"});
  CHECK(cross.exit_code == 1);
  CHECK_THAT(cross.err, Catch::Contains("the store does not match its audit log: certificate "));
  CHECK_THAT(cross.err, Catch::Contains("is in the store but no audit record issued it"));
}

TEST_CASE(
    "checkpoints: a good log passes a jsonl of every run's checkpoint; a forged signature, a "
    "foreign key and a rewritten head fail",
    "[signer][audit][tamper]") {
  TestPki pki;
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  std::string jsonl = sign_checkpoint(pki) + "\n";  // init signed one already: "unchanged"
  (void)issue_one(pki, "a.example.com");
  RunResult ran = pki.signer({"run"});
  INFO(ran.out << ran.err);
  REQUIRE(ran.exit_code == 0);
  CHECK_THAT(ran.out, Catch::Contains("audit checkpoint signed: "));
  CHECK_THAT(ran.err, !Catch::Contains("warning"));
  const std::string second = sign_checkpoint(pki);
  jsonl += second + "\n";
  write_text(pki.dir / "checkpoints.jsonl", jsonl);
  RunResult ok =
      pki.signer({"audit", "verify", "--checkpoint", (pki.dir / "checkpoints.jsonl").string()});
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.out, Catch::Contains("2 published checkpoint(s) extended"));

  nlohmann::json j = nlohmann::json::parse(second);
  CHECK(j["signature"].get<std::string>().size() == 128);
  CHECK(j["type"] == "pkirepo-audit-checkpoint");

  SECTION("a forged signature") {
    j["time"] = "2030-01-01T00:00:00Z";  // altered after signing
    write_text(pki.dir / "forged.json", j.dump() + "\n");
    RunResult r =
        pki.signer({"audit", "verify", "--checkpoint", (pki.dir / "forged.json").string()});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("forged.json: the signature does not verify"));
  }
  SECTION("a checkpoint naming a head the log never had, in line 2 of a jsonl") {
    j["head_sha256"] = std::string(64, 'a');
    write_text(pki.dir / "bad.jsonl", jsonl.substr(0, jsonl.find('\n') + 1) + j.dump() + "\n");
    RunResult r = pki.signer({"audit", "verify", "--checkpoint", (pki.dir / "bad.jsonl").string()});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("bad.jsonl: line 2: the signature does not verify"));
  }
  SECTION("another key given with --checkpoint-key") {
    REQUIRE(run({"openssl", "genpkey", "-algorithm", "ed25519", "-out",
                 (pki.dir / "other.pem").string()})
                .exit_code == 0);
    REQUIRE(run({"openssl", "pkey", "-in", (pki.dir / "other.pem").string(), "-pubout", "-out",
                 (pki.dir / "other.pub").string()})
                .exit_code == 0);
    RunResult r =
        pki.signer({"audit", "verify", "--checkpoint", (pki.dir / "checkpoints.jsonl").string(),
                    "--checkpoint-key", (pki.dir / "other.pub").string()});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("line 1: signed by key "));
  }
  SECTION("an unsigned checkpoint whose head is not record N's") {
    write_text(pki.dir / "unsigned.json",
               "{\"count\":3,\"head_sha256\":\"" + std::string(64, 'b') + "\"}\n");
    RunResult r =
        pki.signer({"audit", "verify", "--checkpoint", (pki.dir / "unsigned.json").string()});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("audit record 3 has hash "));
  }
  SECTION("not a checkpoint at all") {
    write_text(pki.dir / "junk.json", "hello\n");
    RunResult r = pki.signer({"audit", "verify", "--checkpoint", (pki.dir / "junk.json").string()});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("junk.json: line 1: not JSON"));
  }
}

TEST_CASE("audit verify --checkpoint fetches over HTTP (python3 http.server on 127.0.0.1)",
          "[signer][audit][tamper][http]") {
  TestPki pki;
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  const std::filesystem::path site = pki.dir / "site";
  std::filesystem::create_directories(site);
  write_text(site / "audit-log-checkpoint.json", sign_checkpoint(pki) + "\n");
  const int port = reserve_free_port();
  ServerProcess server({"python3", "-m", "http.server", "--bind", "127.0.0.1", std::to_string(port),
                        "--directory", site.string()});
  REQUIRE(wait_for_port(port, 10000));
  const std::string base = "http://127.0.0.1:" + std::to_string(port) + "/";
  pki.env["no_proxy"] = "127.0.0.1";
  pki.env["NO_PROXY"] = "127.0.0.1";
  RunResult ok =
      pki.signer({"audit", "verify", "--checkpoint", base + "audit-log-checkpoint.json"});
  INFO(ok.out << ok.err);
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.out, Catch::Contains("1 published checkpoint(s) extended"));
  RunResult missing = pki.signer({"audit", "verify", "--checkpoint", base + "nothing.json"});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err,
             Catch::Contains("checkpoint " + base + "nothing.json: HTTP fetch failed"));
}

TEST_CASE("cross-check: a revocation or a certificate behind the log's back, a certificate gone",
          "[signer][audit][tamper]") {
  TestPki pki;
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  (void)issue_one(pki, "a.example.com");
  (void)issue_one(pki, "b.example.com");
  RunResult ok = pki.signer({"audit", "verify"});
  INFO(ok.err);
  REQUIRE(ok.exit_code == 0);
  CHECK_THAT(ok.out, Catch::Contains("3 certificates and 0 revocations match the log"));

  // The leaf certificates of CA tls (profile tls-server) in `certs`.
  std::vector<std::pair<Bytes, store::CertRecord>> leaves;
  {
    store::ReadStore st(pki.dir / "store");
    store::ReadTxn txn = st.begin_read();
    store::Cursor cur(txn, store::Db::certs);
    for (bool more = cur.first(); more; more = cur.next()) {
      store::CertRecord rec;
      REQUIRE(store::decode(cur.value(), rec));
      if (rec.profile == "tls-server") {
        leaves.emplace_back(Bytes(cur.key().begin(), cur.key().end()), rec);
      }
    }
  }
  REQUIRE(leaves.size() == 2);

  SECTION("revoked in the store without a record") {
    store::WriteStore st(pki.dir / "store");
    st.transact([&](store::WriteTxn& txn) {
      store::CertRecord rec = leaves[0].second;
      rec.status = store::CertStatus::revoked;
      rec.revocation_time = 1800000000;
      txn.put(store::Db::certs, leaves[0].first, store::encode(rec));
    });
  }
  SECTION("a certificate deleted from certs") {
    store::WriteStore st(pki.dir / "store");
    st.transact([&](store::WriteTxn& txn) { (void)txn.del(store::Db::certs, leaves[1].first); });
  }
  RunResult r = pki.signer({"audit", "verify"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("the store does not match its audit log: "));
  const bool revoked_msg =
      r.err.find("is revoked in the store but no audit record revoked it") != std::string::npos;
  const bool missing_msg = r.err.find(", which is not in the store") != std::string::npos;
  CHECK(revoked_msg != missing_msg);

  // A revocation through `revoke` is on record: the log and the store agree again after it.
}

TEST_CASE(
    "a store without the checkpoint key: run signs every status and warns, doctor says so, "
    "audit checkpoint --create-key makes one",
    "[signer][audit][tamper]") {
  TestPki pki;
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  const auto key = pki.dir / "keys/audit-checkpoint.pem";
  REQUIRE(std::filesystem::exists(key));
  // A store from before checkpoints: no key file, nothing in meta.
  std::filesystem::remove(key);
  {
    store::WriteStore st(pki.dir / "store");
    st.transact([&](store::WriteTxn& txn) {
      (void)txn.del(store::Db::meta, as_bytes(store::meta::kAuditCheckpointKey));
      (void)txn.del(store::Db::meta, as_bytes(store::meta::kAuditCheckpoint));
    });
  }
  (void)issue_one(pki, "a.example.com");
  RunResult r = pki.signer({"run"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("run: OCSP "));
  CHECK_THAT(r.err, Catch::Contains("pkirepo-signer: run: warning: no audit checkpoint key at " +
                                    key.string()));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  RunResult doctor = pki.signer({"doctor"});
  CHECK_THAT(doctor.out, Catch::Contains("warning: no audit checkpoint key at " + key.string()));
  RunResult refused = pki.signer({"audit", "checkpoint"});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("audit checkpoint --create-key"));

  RunResult made = pki.signer({"audit", "checkpoint", "--create-key"});
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  CHECK_THAT(made.out, Catch::Contains("created audit checkpoint key " + key.string()));
  CHECK_THAT(made.out, Catch::Contains("signed {\"count\":"));
  RunResult again = pki.signer({"audit", "checkpoint", "--create-key"});
  CHECK(again.exit_code == 1);
  CHECK_THAT(again.err, Catch::Contains("the store already has checkpoint key"));
  RunResult quiet = pki.signer({"run"});
  CHECK(quiet.exit_code == 0);
  CHECK_THAT(quiet.err, !Catch::Contains("warning"));
  CHECK_THAT(pki.signer({"audit", "export"}).out,
             Catch::Contains("\"event\":\"checkpoint_key_generated\""));
  CHECK(pki.signer({"audit", "verify"}).exit_code == 0);
}
