// `status` (the monitoring probe), `export` (compacted copy for replicas) and the one-line
// refusals of `run`, `status` and `export` on bad input.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "run_support.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {
UnixTime t0() {
  return *parse_rfc3339("2026-11-22T00:00:00Z");
}
}  // namespace

TEST_CASE("status reports missing, fresh and stale, as text and JSON", "[run][status]") {
  RunRepo repo(t0());
  const std::string serial = repo.issue("status.example.com");

  RunResult st = repo.signer({"status"});
  CHECK(st.exit_code == 1);
  CHECK_THAT(st.out, Catch::Contains("CA tls (issuing): OCSP 0 fresh"));
  CHECK_THAT(st.out, Catch::Contains("2 missing"));
  CHECK_THAT(st.out, Catch::Contains("CA tls: CRL shard 0: missing"));

  REQUIRE(repo.signer({"run"}).exit_code == 0);
  st = repo.signer({"status", "--json"});
  INFO(st.out);
  CHECK(st.exit_code == 0);
  auto j = nlohmann::json::parse(st.out);
  CHECK(j["ok"] == true);
  CHECK(j["cas"][1]["id"] == "tls");
  CHECK(j["cas"][1]["ocsp"]["fresh"] == 2);
  CHECK(j["cas"][1]["crls"][0]["state"] == "fresh");
  CHECK(j["cas"][1]["responder"]["rotation_due"] == false);

  // A revocation without --publish: both the responses and the CRL are behind until `run`.
  REQUIRE(repo.signer({"revoke", "--ca", "tls", "--serial", serial, "--reason", "superseded"})
              .exit_code == 0);
  st = repo.signer({"status"});
  CHECK(st.exit_code == 1);
  CHECK_THAT(st.out, Catch::Contains("2 status changed"));
  CHECK_THAT(st.out, Catch::Contains("CRL shard 0: revocations not yet on the CRL"));
  REQUIRE(repo.signer({"run"}).exit_code == 0);
  CHECK(repo.signer({"status"}).exit_code == 0);
}

TEST_CASE("export writes a compacted, consistent copy a replica can open", "[run][export]") {
  RunRepo repo(t0());
  const std::string serial = repo.issue("export.example.com");
  REQUIRE(repo.signer({"run"}).exit_code == 0);
  std::filesystem::path out = repo.dir / "ship" / "store.mdb";
  std::filesystem::create_directories(out.parent_path());
  RunResult r = repo.signer({"export", "--out", out.string()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("compacted"));
  REQUIRE(std::filesystem::exists(out));
  CHECK(std::filesystem::file_size(out) <=
        std::filesystem::file_size(repo.store_dir() / "data.mdb"));

  // A replica: the copy becomes <store>/data.mdb and serves the same bytes.
  std::filesystem::path replica = repo.dir / "replica";
  std::filesystem::create_directories(replica);
  std::filesystem::copy_file(out, replica / "data.mdb");
  auto original = ocsp_record(repo.store_dir(), "tls", serial, CertIdHash::sha256);
  auto copied = ocsp_record(replica, "tls", serial, CertIdHash::sha256);
  REQUIRE(original);
  REQUIRE(copied);
  CHECK(copied->der == original->der);
  CHECK(copied->etag == original->etag);
  CHECK(crl_record(replica, "tls", 0)->der == crl_record(repo.store_dir(), "tls", 0)->der);

  // Exporting again replaces the file atomically.
  CHECK(repo.signer({"export", "--out", out.string()}).exit_code == 0);
}

TEST_CASE("run, status and export refuse bad input with one line and no change", "[run][cli]") {
  RunRepo repo(t0());
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    const char* message;
  };
  const std::string missing_dir = (repo.dir / "no" / "such" / "dir" / "x.mdb").string();
  const Case cases[] = {
      {{"run", "--batch-size", "0"}, 1, "--batch-size 0: must be at least 1"},
      {{"run", "--threads", "many"}, 2, "--threads"},
      {{"export"}, 2, "--out"},
      {{"export", "--out", missing_dir}, 1, "does not exist"},
      {{"export", "--out", repo.dir.path().string()}, 1, "is a directory"},
      {{"status", "--bogus"}, 2, "--bogus"},
  };
  for (const Case& c : cases) {
    RunResult r = repo.signer(c.args);
    INFO(c.args[0] << " " << (c.args.size() > 1 ? c.args[1] : "") << ": " << r.err);
    CHECK(r.exit_code == c.exit_code);
    CHECK_THAT(r.err, Catch::Contains(c.message));
    if (c.exit_code == 1) {
      CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    }
  }
  // Nothing was signed by any of them.
  CHECK(!crl_record(repo.store_dir(), "tls", 0));

  SECTION("no store at all") {
    TempDir empty;
    std::filesystem::path cfg = write_demo_config(empty.path());
    auto env = signer_env();
    RunResult st = run({binary("pkirepo-signer").string(), "-c", cfg.string(), "status"}, env);
    CHECK(st.exit_code == 1);
    CHECK_THAT(st.err, Catch::Contains("no store here"));
    RunResult ex = run({binary("pkirepo-signer").string(), "-c", cfg.string(), "export", "--out",
                        (empty.path() / "x.mdb").string()},
                       env);
    CHECK(ex.exit_code == 1);
    CHECK_THAT(ex.err, Catch::Contains("no store here"));
    RunResult rn = run({binary("pkirepo-signer").string(), "-c", cfg.string(), "run"}, env);
    CHECK(rn.exit_code == 1);
    CHECK_THAT(rn.err, Catch::Contains("no store here"));
    CHECK(!std::filesystem::exists(empty.path() / "store"));
  }
}
