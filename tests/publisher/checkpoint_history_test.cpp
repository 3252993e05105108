// The site's audit-log checkpoints (issue #19): audit-log-checkpoint.json signed, the public key
// published, and audit-log-checkpoints.jsonl append-only across builds; a log cut back is a
// finding: --strict refuses it and leaves the site as it was, a plain build appends after the
// old lines (the site and its CRLs keep being published after a restore from a backup).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "publisher_fixture.h"
#include "store/meta_keys.h"
#include "store/store.h"
#include "support/audit_tamper.h"
#include "x509/bytes.h"
#include "x509/der.h"

using namespace pkirepo;
using namespace pkirepo::test;
namespace fs = std::filesystem;

TEST_CASE("checkpoint history: grows append-only over two builds, a truncated log is refused",
          "[publisher][integration][tamper]") {
  TempDir dir;
  const fs::path config = write_store_copy_config(dir.path());
  const fs::path out = dir / "public";
  RunResult first = publish(config, {"build", "--out", out.string()});
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  const std::string cp1 = read_text_file(out / "audit-log-checkpoint.json");
  const nlohmann::json j1 = nlohmann::json::parse(cp1);
  CHECK(j1["signature"].get<std::string>().size() == 128);
  const std::string history1 = read_text_file(out / "audit-log-checkpoints.jsonl");
  CHECK(history1 == cp1);
  CHECK_THAT(read_text_file(out / "audit-checkpoint-key.pem"), Catch::Contains("BEGIN PUBLIC KEY"));
  const std::string home = read_text_file(out / "index.html");
  CHECK_THAT(home, Catch::Contains(j1["key_id"].get<std::string>()));
  CHECK_THAT(home, Catch::Contains("audit-log-checkpoints.jsonl"));

  // The signer moves on: one more certificate, a run that signs a new checkpoint.
  const std::map<std::string, std::string> env = {
      {"PKIREPO_TEST_PASSPHRASE", "correct horse battery staple"},
      {"PKIREPO_NOW", "2026-11-23T00:00:00Z"}};
  const EvpPkeyPtr key = make_key("ec-p256");
  write_text(dir / "csr.pem",
             to_pem(make_csr(key.get(), "more.pki.example.com", {"more.pki.example.com"}).get()));
  RunResult issue =
      run({binary("pkirepo-signer").string(), "-c", config.string(), "issue", "--ca", "tls-ec-2026",
           "--profile", "tls-server", "--csr", (dir / "csr.pem").string()},
          env);
  INFO(issue.err);
  REQUIRE(issue.exit_code == 0);
  RunResult signer_run =
      run({binary("pkirepo-signer").string(), "-c", config.string(), "run"}, env);
  INFO(signer_run.err);
  REQUIRE(signer_run.exit_code == 0);

  RunResult second = publish(config, {"build", "--out", out.string()});
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  const std::string cp2 = read_text_file(out / "audit-log-checkpoint.json");
  CHECK(cp2 != cp1);
  const std::string history2 = read_text_file(out / "audit-log-checkpoints.jsonl");
  CHECK(history2 == history1 + cp2);
  const uint64_t j2_count = nlohmann::json::parse(cp2)["count"].get<uint64_t>();
  // A rebuild with nothing new appends nothing.
  REQUIRE(publish(config, {"build", "--out", out.string()}).exit_code == 0);
  CHECK(read_text_file(out / "audit-log-checkpoints.jsonl") == history2);

  const auto site_before = read_tree(out);
  const uint64_t count1 = j1["count"].get<uint64_t>();
  SECTION("the log cut back below the last published count") {
    truncate_audit_log(dir / "store", count1 - 1);
    RunResult r = publish(config, {"build", "--out", out.string()});
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains("audit"));
  }
  SECTION("cut back, and the stored signed checkpoint and key removed too") {
    truncate_audit_log(dir / "store", count1 - 1);
    {
      store::WriteStore st(dir / "store");
      st.transact([&](store::WriteTxn& txn) {
        (void)txn.del(store::Db::meta, as_bytes(store::meta::kAuditCheckpointKey));
        (void)txn.del(store::Db::meta, as_bytes(store::meta::kAuditCheckpoint));
      });
    }
    // --strict refuses it and writes nothing.
    RunResult r = publish(config, {"build", "--strict", "--out", out.string()});
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains("audit-log-checkpoints.jsonl:2: the audit log now has"));
    CHECK(read_tree(out) == site_before);
    // Without --strict the site (and its CRLs) is still published: the new checkpoint goes after
    // the old lines, which stay as evidence, and the build warns.
    r = publish(config, {"build", "--out", out.string()});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.err, Catch::Contains("warning: audit log: "));
    CHECK_THAT(r.err, Catch::Contains("fewer than the " + std::to_string(j2_count) + " published"));
    const std::string history3 = read_text_file(out / "audit-log-checkpoints.jsonl");
    CHECK(history3.substr(0, history2.size()) == history2);
    CHECK(history3.size() > history2.size());
    return;
  }
  CHECK(read_tree(out) == site_before);
}
