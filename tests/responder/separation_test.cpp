// The responder apart from the CA's secrets, with real Unix users (docs/operations.md, "Users,
// groups and modes"): the folders laid out as the Debian package lays them out, the real
// signer run as one unprivileged user, the real responder as another whose only extra group is
// the responder-keys group. As that user, the CA key folder and the CA passphrase cannot be
// opened; the responder still serves the pre-signed responses and signs nonces (openssl
// ocsp). Switching users needs root (CI runs as root); the test says it is skipped otherwise.
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <fstream>
#include <set>

#include "responder_process.h"
#include "support/test_support.h"
#include "x509/cert_info.h"
#include "x509/der.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

namespace fs = std::filesystem;

bool contains(const std::string& s, const std::string& needle) {
  return s.find(needle) != std::string::npos;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Ids no user or group of this host has, so the test needs no entries in /etc/passwd or
// /etc/group (and leaves none behind).
uint32_t unused_id(bool group, std::set<uint32_t>& taken) {
  for (uint32_t id = 61000; id < 65000; ++id) {
    const bool used = group ? ::getgrgid(id) != nullptr : ::getpwuid(id) != nullptr;
    if (!used && taken.insert(id).second) {
      return id;
    }
  }
  FAIL("no unused id between 61000 and 65000");
  return 0;
}

// setpriv(1) as an argv prefix: `uid`, primary group `gid`, and `extra` as the only
// supplementary group (none when 0).
std::vector<std::string> as_user(uid_t uid, gid_t gid, gid_t extra = 0) {
  return {"setpriv", "--reuid=" + std::to_string(uid), "--regid=" + std::to_string(gid),
          extra != 0 ? "--groups=" + std::to_string(extra) : "--clear-groups", "--"};
}

void own(const fs::path& p, uid_t uid, gid_t gid, mode_t mode) {
  REQUIRE(::chown(p.c_str(), uid, gid) == 0);
  REQUIRE(::chmod(p.c_str(), mode) == 0);
}

void must(const RunResult& r) {
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

// The package's layout in a temporary folder: the signer's user owns the store (group: the
// store's readers), the CA keys (0700) and the responder keys (2750, group: the responder's).
struct SeparatedRepo {
  TempDir dir;
  std::set<uint32_t> taken;
  uid_t signer_uid = unused_id(false, taken);
  uid_t responder_uid = unused_id(false, taken);
  gid_t store_gid = unused_id(true, taken);  // "pkirepo": signer, publisher, responder
  gid_t ocsp_gid = unused_id(true, taken);   // "pkirepo-ocsp": the responder only
  fs::path config = dir / "pkirepo.toml";
  std::map<std::string, std::string> env = {
      {"PKIREPO_NOW", rfc3339(static_cast<UnixTime>(std::time(nullptr)))}};

  SeparatedRepo() {
    own(dir.path(), 0, 0, 0755);
    std::string text = fixture("pki.toml");
    const std::string env_line = "passphrase_env = \"PKIREPO_TEST_PASSPHRASE\"";
    REQUIRE(contains(text, env_line));
    text.replace(text.find(env_line), env_line.size(), "passphrase_file = \"passphrase\"");
    text +=
        "\n[ocsp]\nnonce = \"sign\"\nresponder_key_dir = \"responder-keys\"\n"
        "responder_passphrase_file = \"responder-passphrase\"\n";
    write_text(config, text);
    own(config, 0, store_gid, 0640);
    const std::vector<std::tuple<std::string, gid_t, mode_t>> folders = {
        {"store", store_gid, 0750}, {"keys", store_gid, 0700}, {"responder-keys", ocsp_gid, 02750},
        {"out", store_gid, 0755},   {"site", store_gid, 0755}, {"site-templates", store_gid, 0755}};
    for (const auto& [name, gid, mode] : folders) {
      fs::create_directory(dir / name);
      own(dir / name, signer_uid, gid, mode);
    }
    write_text(dir / "passphrase", "correct horse battery staple\n");
    own(dir / "passphrase", signer_uid, 0, 0400);
    write_text(dir / "responder-passphrase", "responder keys only, not the CA's\n");
    own(dir / "responder-passphrase", signer_uid, ocsp_gid, 0440);
  }

  RunResult signer(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = as_user(signer_uid, store_gid);
    argv.insert(argv.end(),
                {binary("pkirepo-signer").string(), "-c", config.string(), "--operator", "tester"});
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, env);
  }
  // `argv` as the responder's user: primary group the store's, the responder keys' besides.
  RunResult as_responder(std::vector<std::string> argv) const {
    std::vector<std::string> full = responder_user();
    full.insert(full.end(), argv.begin(), argv.end());
    return run(full);
  }
  std::vector<std::string> responder_user() const {
    return as_user(responder_uid, store_gid, ocsp_gid);
  }
  // Issues "<name>.example.com" under CA tls; returns its serial.
  std::string issue(const std::string& name) {
    EvpPkeyPtr key = make_key("ec-p256");
    X509ReqPtr req = make_csr(key.get(), name + ".example.com", {name + ".example.com"});
    write_text(dir / (name + ".csr"), to_pem(req.get()));
    const fs::path pem = dir / "out" / (name + ".pem");
    must(signer({"issue", "--profile", "tls-server", "--ca", "tls", "--csr",
                 (dir / (name + ".csr")).string(), "--out", pem.string()}));
    X509Ptr cert = parse_cert_any(as_bytes(slurp(pem)));
    REQUIRE(cert);
    return serial_hex(cert.get());
  }
  RunResult ocsp(const ResponderProcess& p, const std::string& name,
                 const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> args = {"openssl", "ocsp"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"-issuer", (dir / "tls.ca.pem").string(), "-cert",
                             (dir / "out" / (name + ".pem")).string(), "-url", p.url("/ocsp"),
                             "-CAfile", (dir / "root.ca.pem").string(), "-timeout", "10"});
    return run(args);
  }
  void fetch_ca_pems(const ResponderProcess& p) const {
    for (const std::string ca : {"root", "tls"}) {
      const fs::path der = dir / (ca + ".der");
      REQUIRE(curl({"-o", der.string(), p.url("/ca/" + ca + ".crt")}).exit_code == 0);
      X509Ptr cert = parse_cert_any(as_bytes(slurp(der)));
      REQUIRE(cert);
      write_text(dir / (ca + ".ca.pem"), to_pem(cert.get()));
    }
  }
};

}  // namespace

TEST_CASE(
    "separation: the responder runs as a user who cannot open the CA key folder, and still "
    "serves pre-signed responses and signs nonces",
    "[responder][integration][nonce][separation]") {
  if (::geteuid() != 0) {
    WARN("SKIPPED: needs root, to run the signer and the responder as users of their own");
    return;
  }
  SeparatedRepo repo;
  std::vector<std::string> version = repo.responder_user();
  version.insert(version.end(), {binary("pkirepo-responder").string(), "--version"});
  if (run(version).exit_code != 0) {
    WARN("SKIPPED: another user cannot run " << binary("pkirepo-responder").string()
                                             << " (the build folder is not reachable for it)");
    return;
  }
  must(repo.signer({"init"}));
  repo.issue("good");
  const std::string revoked = repo.issue("revoked");
  must(repo.signer({"revoke", "--ca", "tls", "--serial", revoked, "--reason", "keyCompromise"}));
  must(repo.signer({"run"}));

  // What the signer wrote: responder keys 0640 in the responder's group (the folder is setgid),
  // CA keys 0600.
  int responder_keys = 0;
  for (const auto& e : fs::directory_iterator(repo.dir / "responder-keys")) {
    struct stat st {};
    REQUIRE(::stat(e.path().c_str(), &st) == 0);
    INFO(e.path());
    CHECK((st.st_mode & 0777) == 0640);
    CHECK(st.st_gid == repo.ocsp_gid);
    CHECK(st.st_uid == repo.signer_uid);
    ++responder_keys;
  }
  CHECK(responder_keys == 2);  // root's and tls's responders
  for (const auto& e : fs::directory_iterator(repo.dir / "keys")) {
    struct stat st {};
    REQUIRE(::stat(e.path().c_str(), &st) == 0);
    INFO(e.path());
    CHECK((st.st_mode & 0777) == 0600);
  }
  RunResult doctor = repo.signer({"doctor"});
  INFO(doctor.out << doctor.err);
  CHECK(doctor.exit_code == 0);
  CHECK(contains(doctor.out,
                 "ok: ocsp.responder_key_dir " + (repo.dir / "responder-keys").string() +
                     ": the signer's, readable by group gid " + std::to_string(repo.ocsp_gid)));
  CHECK(contains(doctor.out, "ok: CA key folder " + (repo.dir / "keys").string() +
                                 ": the signer's alone (mode 700)"));

  // As the responder's user: nothing of the CA's opens, the responder's own files do.
  for (const fs::path& secret :
       {repo.dir / "keys", repo.dir / "keys/tls.pem", repo.dir / "passphrase"}) {
    RunResult r = repo.as_responder({"cat", secret.string()});
    INFO(secret << ": " << r.out << r.err);
    CHECK(r.exit_code != 0);
    CHECK(contains(r.err, "Permission denied"));
  }
  CHECK(repo.as_responder({"ls", (repo.dir / "keys").string()}).exit_code != 0);
  CHECK(repo.as_responder({"cat", (repo.dir / "responder-passphrase").string()}).exit_code == 0);
  RunResult listed = repo.as_responder({"ls", (repo.dir / "responder-keys").string()});
  CHECK(listed.exit_code == 0);
  CHECK(contains(listed.out, "-ocsp-"));

  // The real responder as that user, with no CA passphrase anywhere in its reach.
  ResponderProcess p(repo.config, repo.env, {}, repo.responder_user());
  repo.fetch_ca_pems(p);
  RunResult signed_nonce = repo.ocsp(p, "good", {"-sha256"});
  {
    INFO(signed_nonce.out << signed_nonce.err << p.output());
    CHECK(contains(signed_nonce.out, ": good"));
    CHECK(contains(signed_nonce.err, "Response verify OK"));
    CHECK_FALSE(contains(signed_nonce.err + signed_nonce.out, "WARNING: no nonce"));
    CHECK_FALSE(contains(p.output(), "nonces will be ignored"));
  }
  RunResult presigned = repo.ocsp(p, "revoked", {"-no_nonce"});
  CHECK(contains(presigned.out, ": revoked"));
  CHECK(contains(presigned.err, "Response verify OK"));

  // A CA key folder the responder's group may enter: the user can list it then, and doctor
  // reports it as an error.
  own(repo.dir / "keys", repo.signer_uid, repo.ocsp_gid, 0750);
  CHECK(repo.as_responder({"ls", (repo.dir / "keys").string()}).exit_code == 0);
  doctor = repo.signer({"doctor"});
  CHECK(doctor.exit_code == 1);
  CHECK(contains(doctor.out, "error: CA key folder " + (repo.dir / "keys").string() +
                                 " is open to group gid " + std::to_string(repo.ocsp_gid) +
                                 " (mode 750), the responder's group (fix: chmod 700 " +
                                 (repo.dir / "keys").string() + ")"));
  own(repo.dir / "keys", repo.signer_uid, repo.store_gid, 0755);
  doctor = repo.signer({"doctor"});
  CHECK(contains(doctor.out, "error: CA key folder " + (repo.dir / "keys").string() +
                                 " is open to others (mode 755)"));
  own(repo.dir / "keys", repo.signer_uid, repo.store_gid, 0700);

  // A responder key readable through the store's group (the publisher's too): the responder
  // refuses it on reload and keeps the keys it holds; doctor names the fix.
  fs::path key;
  for (const auto& e : fs::directory_iterator(repo.dir / "responder-keys")) {
    if (contains(e.path().filename().string(), "tls-ocsp-")) {
      key = e.path();
    }
  }
  REQUIRE(!key.empty());
  own(key, repo.signer_uid, repo.store_gid, 0640);
  p.send(SIGHUP);
  CHECK(p.wait_for_output(key.string() + ": readable by group gid " +
                              std::to_string(repo.store_gid) + " (mode 0640), the store's group",
                          10000));
  CHECK(contains(p.output(), "keeping the running config"));
  RunResult still = repo.ocsp(p, "good");
  CHECK(contains(still.out, ": good"));
  CHECK_FALSE(contains(still.err + still.out, "WARNING: no nonce"));
  doctor = repo.signer({"doctor"});
  CHECK(doctor.exit_code == 1);
  CHECK(contains(doctor.out, "error: responder key " + key.string() + " is readable by group"));
  CHECK(contains(doctor.out, "(fix: chgrp pkirepo-ocsp " + key.string()));
  // `keys rewrap` is the repair: the file gets the folder's group back, and the responder
  // loads it again.
  RunResult rewrap = repo.signer({"keys", "rewrap"});
  INFO(rewrap.out << rewrap.err);
  CHECK(rewrap.exit_code == 0);
  CHECK(contains(rewrap.out, "1 key file(s) rewrapped"));
  struct stat st {};
  REQUIRE(::stat(key.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0640);
  CHECK(st.st_gid == repo.ocsp_gid);
  CHECK(repo.signer({"doctor"}).exit_code == 0);
  p.send(SIGHUP);
  CHECK(p.wait_for_output("reloaded", 10000));
  RunResult again = repo.ocsp(p, "good");
  CHECK(contains(again.err, "Response verify OK"));
  CHECK_FALSE(contains(again.err + again.out, "WARNING: no nonce"));
  CHECK(p.stop() == 0);
}
