// `doctor` on a deployment: clean after init, then each thing an operator gets wrong named with
// its fix and exit 1. Driven through the real pkirepo-signer.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "cli_support.h"

using namespace pkirepo;
using namespace pkirepo::test;

TEST_CASE("doctor names what would break a deployment and how to fix it", "[signer][doctor]") {
  TestPki pki("\n[ocsp]\nresponder_key_dir = \"responder-keys\"\n");
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  std::filesystem::create_directories(pki.dir / "site");
  std::filesystem::create_directories(pki.dir / "site-templates");
  RunResult r = pki.signer({"doctor"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("doctor: OK"));

  SECTION("a key readable by others") {
    REQUIRE(::chmod((pki.dir / "keys/tls.pem").c_str(), 0644) == 0);
    r = pki.signer({"doctor"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.out, Catch::Contains("error: CA tls key " + (pki.dir / "keys/tls.pem").string() +
                                      " has mode 644 (fix: chmod 600 it)"));
  }
  SECTION("a lock file the readers cannot write") {
    REQUIRE(::chmod((pki.dir / "store/lock.mdb").c_str(), 0600) == 0);
    r = pki.signer({"doctor"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.out, Catch::Contains("is not group-readable and -writable"));
  }
  SECTION("no responder key folder") {
    std::filesystem::remove_all(pki.dir / "responder-keys");
    r = pki.signer({"doctor"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.out, Catch::Contains("ocsp.responder_key_dir " +
                                      (pki.dir / "responder-keys").string() + " does not exist"));
  }
  SECTION("an issuing CA's key missing, an offline root's key only a warning") {
    std::filesystem::rename(pki.dir / "keys/root.pem", pki.dir / "root-offline.pem");
    r = pki.signer({"doctor"});
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("warning: CA root: key"));
    std::filesystem::remove(pki.dir / "keys/tls.pem");
    r = pki.signer({"doctor"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.out, Catch::Contains("error: CA tls: key"));
  }
  SECTION("the clock behind the store") {
    pki.env["PKIREPO_NOW"] = "2026-01-01T00:00:00Z";
    r = pki.signer({"doctor"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.out, Catch::Contains("error: store"));
  }
}

TEST_CASE("a reader without write access to lock.mdb is told which file and why",
          "[signer][store][permissions]") {
  if (::geteuid() != 0) {
    WARN("SKIPPED: needs root to run a command as another user (setpriv)");
    return;
  }
  const std::vector<std::string> as_nobody = {"setpriv", "--reuid=65534", "--regid=65534",
                                              "--clear-groups"};
  std::vector<std::string> version = as_nobody;
  version.insert(version.end(), {binary("pkirepo-signer").string(), "--version"});
  if (run(version).exit_code != 0) {
    WARN("SKIPPED: user nobody cannot run " << binary("pkirepo-signer").string()
                                            << " (the build folder is not reachable for it)");
    return;
  }
  TestPki pki;
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  // Another user (nobody) may reach and read everything, but lock.mdb is the signer's alone.
  for (const auto& p : {pki.dir.path(), pki.dir / "store"}) {
    REQUIRE(::chmod(p.c_str(), 0755) == 0);
  }
  REQUIRE(::chmod(pki.config.c_str(), 0644) == 0);
  REQUIRE(::chmod((pki.dir / "store/data.mdb").c_str(), 0644) == 0);
  REQUIRE(::chmod((pki.dir / "store/lock.mdb").c_str(), 0600) == 0);
  std::vector<std::string> status = as_nobody;
  status.insert(status.end(),
                {binary("pkirepo-signer").string(), "-c", pki.config.string(), "status"});
  const RunResult r = run(status, pki.env);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains((pki.dir / "store/lock.mdb").string() +
                                    ": permission denied for this user"));
}

// Who can read the keys (docs/operations.md, "Users, groups and modes"; signer/
// key_access_checks.cpp). The folders here all have this process's group, which is also the
// store's: the checks that need a second group and other users are in
// tests/responder/separation_test.cpp (root only).
TEST_CASE("doctor checks who can read the CA keys, the responder keys and their passphrase",
          "[signer][doctor][keys]") {
  TestPki pki(
      "\n[ocsp]\nnonce = \"sign\"\nresponder_key_dir = \"responder-keys\"\n"
      "responder_passphrase_env = \"PKIREPO_TEST_RESPONDER_PASSPHRASE\"\n");
  pki.env["PKIREPO_TEST_RESPONDER_PASSPHRASE"] = "responder keys only, not the CA's";
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  std::filesystem::create_directories(pki.dir / "site");
  std::filesystem::create_directories(pki.dir / "site-templates");
  const std::string keys = (pki.dir / "keys").string();
  const std::string rkeys = (pki.dir / "responder-keys").string();
  RunResult r = pki.signer({"doctor"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out,
             Catch::Contains("ok: CA key folder " + keys + ": the signer's alone (mode 700)"));
  // Only the signer's user can read the responder keys: fine for one user, a warning for nonces.
  CHECK_THAT(r.out, Catch::Contains("warning: ocsp.responder_key_dir " + rkeys +
                                    " is the signer's alone (mode 700)"));

  SECTION("a CA key folder others can enter") {
    REQUIRE(::chmod(keys.c_str(), 0755) == 0);
    r = pki.signer({"doctor"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.out, Catch::Contains("error: CA key folder " + keys +
                                      " is open to others (mode 755): the responder's user can "
                                      "enter it (fix: chmod 700 " +
                                      keys + ")"));
  }
  SECTION("a responder key folder open to the store's group") {
    REQUIRE(::chmod(rkeys.c_str(), 02750) == 0);
    r = pki.signer({"doctor"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.out,
               Catch::Contains("error: ocsp.responder_key_dir " + rkeys + " is open to group ") &&
                   Catch::Contains("(mode 2750), the store's group: the publisher could "
                                   "read responder keys (fix: chgrp pkirepo-ocsp " +
                                   rkeys + " && chmod 2750 " + rkeys + ")"));
  }
  SECTION("a responder key others can read") {
    std::filesystem::path key;
    for (const auto& e : std::filesystem::directory_iterator(rkeys)) {
      key = e.path();
    }
    REQUIRE(::chmod(key.c_str(), 0644) == 0);
    r = pki.signer({"doctor"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.out, Catch::Contains("error: responder key " + key.string() +
                                      " is readable by others (mode 0644)") &&
                          Catch::Contains("(fix: chmod 600 " + key.string() + ")"));
  }
  SECTION("the responder passphrase is the CA passphrase") {
    pki.env["PKIREPO_TEST_RESPONDER_PASSPHRASE"] = pki.env.at("PKIREPO_TEST_PASSPHRASE");
    r = pki.signer({"doctor"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.out, Catch::Contains("error: the responder passphrase is the CA passphrase"));
  }
}
