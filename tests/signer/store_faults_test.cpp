// Faults around the store, through the real programs: a full file system, a corrupt data.mdb,
// another program's LMDB environment, a schema version this build does not know, and a store
// on a read-only file system. Every command gives one line naming the store (or its file) and
// the reason, exits non-zero, and leaves data.mdb byte for byte as it was.
//
// Full disk: as root a small tmpfs is mounted over the store (unmounted on every path); where
// mounting is not allowed, RLIMIT_FSIZE (prlimit --fsize, SIGXFSZ ignored) stands in for it.
// The test prints which method ran. The read-only file system cases need the mount; without it
// they are skipped with a message. Not here: a data.mdb whose mode forbids writing (root, who
// runs these tests, ignores modes; the permission messages are cli tests' [permissions]) and
// LMDB's map full (the signer doubles the map and retries, store.cpp: not reachable from a
// command).
#include <fcntl.h>
#include <lmdb.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>

#include "crash_support.h"
#include "run_support.h"
#include "store/meta_keys.h"
#include "store/store.h"
#include "x509/bytes.h"
#include "x509/der.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

const UnixTime T = *parse_rfc3339("2026-11-22T00:00:00Z");

// A site for the publisher (its build opens the store after reading the site's config).
std::string site_config() {
  return "\n[site]\nsource = \"site\"\ntemplates = \"" +
         (source_dir() / "site-templates").string() +
         "\"\noutput = \"public\"\n[site.problem_reporting]\nemail = \"report@example.test\"\n";
}

// A tmpfs mounted at `dir` for the object's life (root only; ok() says whether it is there).
class TmpfsMount {
 public:
  TmpfsMount(std::filesystem::path dir, size_t bytes) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
    // PKIREPO_TEST_NO_MOUNT=1 tries the fallbacks as root too.
    const char* no_mount = std::getenv("PKIREPO_TEST_NO_MOUNT");
    if (::geteuid() == 0 && (no_mount == nullptr || std::string(no_mount) != "1")) {
      RunResult r = run(
          {"mount", "-t", "tmpfs", "-o", "size=" + std::to_string(bytes), "tmpfs", dir_.string()});
      ok_ = r.exit_code == 0;
      if (!ok_) {
        std::cerr << "store faults: cannot mount a tmpfs (" << r.err << ")\n";
      }
    }
  }
  ~TmpfsMount() {
    if (ok_) {
      (void)run({"umount", "-l", dir_.string()});
    }
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;
  [[nodiscard]] bool ok() const { return ok_; }
  bool remount_read_only() {
    return run({"mount", "-o", "remount,ro", dir_.string()}).exit_code == 0;
  }

 private:
  std::filesystem::path dir_;
  bool ok_ = false;
};

// SIGXFSZ ignored while it lives; a child started meanwhile inherits that (exec keeps ignored
// signals), so a write past RLIMIT_FSIZE fails with EFBIG instead of killing it.
class IgnoreSigxfsz {
 public:
  IgnoreSigxfsz() {
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    ::sigaction(SIGXFSZ, &ign, &old_);
  }
  ~IgnoreSigxfsz() { ::sigaction(SIGXFSZ, &old_, nullptr); }
  IgnoreSigxfsz(const IgnoreSigxfsz&) = delete;
  IgnoreSigxfsz& operator=(const IgnoreSigxfsz&) = delete;

 private:
  struct sigaction old_ {};
};

std::string file_sha256(const std::filesystem::path& path) {
  return to_hex(sha256(read_file(path)));
}

// A compacted copy of the store at `from` as `to`/data.mdb: no free pages, so any write
// transaction must grow the file.
void copy_compacted(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::filesystem::create_directories(to);
  store::ReadStore st(from);
  const int fd = ::open((to / "data.mdb").c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  REQUIRE(fd >= 0);
  st.env().copy_compacted(fd);
  ::close(fd);
}

// Writes until the file system is full (ENOSPC on the smallest write).
void fill(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  std::vector<char> chunk(1 << 16, 'x');
  for (size_t size = chunk.size(); size >= 1; size /= 2) {
    while (::write(fd, chunk.data(), size) == static_cast<ssize_t>(size)) {
    }
  }
  ::close(fd);
}

// The store's state as its bytes and its audit head.
struct Bytesnap {
  std::string data;
  std::string head;
};
Bytesnap bytesnap(const std::filesystem::path& store_dir, bool with_head = true) {
  Bytesnap b{file_sha256(store_dir / "data.mdb"), ""};
  if (with_head) {
    store::ReadStore st(store_dir);
    store::ReadTxn txn = st.begin_read();
    auto h = txn.get(store::Db::meta, as_bytes(store::meta::kAuditHead));
    b.head = h ? to_hex(*h) : "";
  }
  return b;
}

// One line on stderr, naming something of `names` and a reason of `reasons`.
void expect_refused(const std::string& what, const RunResult& r,
                    const std::vector<std::string>& names,
                    const std::vector<std::string>& reasons) {
  INFO(what << ": exit " << r.exit_code << "\nout: " << r.out << "\nerr: " << r.err);
  CHECK(r.exit_code != 0);
  CHECK(r.exit_code < 128);  // refused, not killed by a signal
  REQUIRE_FALSE(r.err.empty());
  CHECK(r.err.find('\n') == r.err.size() - 1);
  CHECK(std::any_of(names.begin(), names.end(),
                    [&](const std::string& n) { return r.err.find(n) != std::string::npos; }));
  CHECK(std::any_of(reasons.begin(), reasons.end(),
                    [&](const std::string& n) { return r.err.find(n) != std::string::npos; }));
}

// The store commands the faults are tried with, over a RunRepo holding synthetic
// certificates. `readers` adds status, list and audit verify.
struct Command {
  std::string name;
  std::vector<std::string> args;
};
std::vector<Command> writing_commands(const RunRepo& repo,
                                      const std::vector<std::string>& serials) {
  EvpPkeyPtr key = make_key("ec-p256");
  const auto csr = repo.dir / "fault.csr";
  write_text(csr, to_pem(make_csr(key.get(), "fault.example.com", {"fault.example.com"}).get()));
  return {
      {"init", {"init"}},
      {"issue",
       {"issue", "--profile", "tls-server", "--csr", csr.string(), "--out",
        (repo.dir / "fault.pem").string()}},
      {"revoke", {"revoke", "--ca", "tls", "--serial", serials.at(0), "--reason", "superseded"}},
      {"revoke --publish",
       {"revoke", "--ca", "tls", "--serial", serials.at(1), "--reason", "superseded", "--publish"}},
      {"run", {"run"}},
      {"incident revoke",
       {"incident", "revoke", "--ca", "tls", "--status", "good", "--reason", "superseded",
        "--ticket", "INC-FAULT"}},
      {"keys block",
       {"keys", "block", "--spki-sha256", std::string(64, 'a'), "--ticket", "KB-FAULT"}},
  };
}
std::vector<Command> reading_commands() {
  return {{"status", {"status"}}, {"list", {"list"}}, {"audit verify", {"audit", "verify"}}};
}

RunResult responder_start(const RunRepo& repo) {
  // A store it cannot use stops it before it listens; a bounded wait either way.
  const auto out = repo.dir / "responder.out";
  const auto err = repo.dir / "responder.err";
  auto env = signer_env();
  env["PKIREPO_NOW"] = rfc3339(T);
  const Outcome o = kill_after(spawn_to_files({binary("pkirepo-responder").string(), "-c",
                                               repo.config.string(), "--listen", "127.0.0.1:0"},
                                              env, out, err),
                               std::chrono::seconds(10), out, err);
  RunResult r;
  r.exit_code = o.killed ? 128 + SIGKILL : o.exit_code;
  r.out = o.out;
  r.err = o.err;
  return r;
}

RunResult publisher_build(const RunRepo& repo) {
  std::filesystem::create_directories(repo.dir / "site");
  auto env = signer_env();
  env["PKIREPO_NOW"] = rfc3339(T);
  return run({binary("pkirepo-publisher").string(), "-c", repo.config.string(), "build", "--out",
              (repo.dir / "site-out").string()},
             env);
}

// Every program on a store it must refuse: one line with a name of `names` and a reason of
// `reasons`, and data.mdb unchanged.
void every_program_refuses(const RunRepo& repo, const std::vector<std::string>& serials,
                           const std::vector<std::string>& names,
                           const std::vector<std::string>& reasons) {
  const std::string before = file_sha256(repo.store_dir() / "data.mdb");
  std::vector<Command> all = writing_commands(repo, serials);
  for (auto& c : reading_commands()) {
    all.push_back(c);
  }
  for (const Command& c : all) {
    expect_refused(c.name, repo.signer(c.args), names, reasons);
    CHECK(file_sha256(repo.store_dir() / "data.mdb") == before);
  }
  expect_refused("responder", responder_start(repo), names, reasons);
  CHECK(file_sha256(repo.store_dir() / "data.mdb") == before);
  expect_refused("publisher build", publisher_build(repo), names, reasons);
  CHECK(file_sha256(repo.store_dir() / "data.mdb") == before);
}

// Raw LMDB for writing what pkirepo never would.
struct MdbEnvClose {
  void operator()(MDB_env* e) const { mdb_env_close(e); }
};
using MdbEnvPtr = std::unique_ptr<MDB_env, MdbEnvClose>;
void raw_put(const std::filesystem::path& dir, const char* db, const std::string& key,
             const Bytes& value) {
  MDB_env* raw = nullptr;
  REQUIRE(mdb_env_create(&raw) == 0);
  MdbEnvPtr env(raw);
  mdb_env_set_maxdbs(env.get(), 32);
  REQUIRE(mdb_env_open(env.get(), dir.c_str(), 0, 0640) == 0);
  MDB_txn* txn = nullptr;
  REQUIRE(mdb_txn_begin(env.get(), nullptr, 0, &txn) == 0);
  MDB_dbi dbi = 0;
  if (mdb_dbi_open(txn, db, MDB_CREATE, &dbi) != 0) {
    mdb_txn_abort(txn);
    FAIL("cannot open LMDB database");
  }
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  MDB_val v{value.size(), const_cast<uint8_t*>(value.data())};
  if (mdb_put(txn, dbi, &k, &v, 0) != 0) {
    mdb_txn_abort(txn);
    FAIL("cannot put");
  }
  REQUIRE(mdb_txn_commit(txn) == 0);
}

}  // namespace

TEST_CASE("a full file system: every writing command fails cleanly, the store is unchanged",
          "[store-faults][full-disk]") {
  RunRepo repo(T, "\n[crl]\nshards = 2\n");
  const auto serials =
      add_synthetic_certs(repo.store_dir(), "tls", 200, 0, T - 86400, T + 90 * 86400, 2);
  REQUIRE(repo.signer({"run"}).exit_code == 0);
  // The store moves to a compacted copy (no free pages to reuse) on the small file system.
  const auto disk_copy = repo.dir / "store.disk";
  std::filesystem::rename(repo.store_dir(), disk_copy);
  const size_t size = std::filesystem::file_size(disk_copy / "data.mdb");
  TmpfsMount small(repo.store_dir(), size + (1 << 20));
  std::vector<std::string> prefix;
  std::unique_ptr<IgnoreSigxfsz> ignore;
  if (small.ok()) {
    std::cerr << "store faults: full disk by a tmpfs of " << size + (1 << 20) << " bytes\n";
    copy_compacted(disk_copy, repo.store_dir());
    std::filesystem::copy_file(disk_copy / "signer.lock", repo.store_dir() / "signer.lock");
    REQUIRE(repo.signer({"audit", "verify"}).exit_code == 0);  // lock.mdb, before the fill
    // The blocks the signer reserves for lock.mdb when it opens the store (lmdb.cpp), so the
    // commit is what meets the full disk.
    const int lock_fd = ::open((repo.store_dir() / "lock.mdb").c_str(), O_RDWR | O_CLOEXEC);
    REQUIRE(lock_fd >= 0);
    CHECK(::posix_fallocate(lock_fd, 0, 128 * 1024) == 0);
    ::close(lock_fd);
    fill(repo.store_dir() / "filler");
  } else {
    std::cerr << "store faults: full disk by RLIMIT_FSIZE (prlimit --fsize; no tmpfs mount "
                 "here)\n";
    copy_compacted(disk_copy, repo.store_dir());
    std::filesystem::copy_file(disk_copy / "signer.lock", repo.store_dir() / "signer.lock");
    REQUIRE(repo.signer({"audit", "verify"}).exit_code == 0);
    prefix = {"prlimit", "--fsize=" + std::to_string(std::filesystem::file_size(repo.store_dir() /
                                                                                "data.mdb"))};
    ignore = std::make_unique<IgnoreSigxfsz>();
  }
  auto signer = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv = prefix;
    argv.push_back(binary("pkirepo-signer").string());
    for (const std::string& a : {std::string("-c"), repo.config.string(), std::string("--operator"),
                                 std::string("test")}) {
      argv.push_back(a);
    }
    argv.insert(argv.end(), args.begin(), args.end());
    auto env = signer_env();
    env["PKIREPO_NOW"] = rfc3339(T + 86400);
    return run(argv, env);
  };
  const std::vector<std::string> reasons{"No space left on device", "File too large",
                                         "MDB_MAP_FULL"};
  const Bytesnap before = bytesnap(repo.store_dir());
  for (const Command& c : writing_commands(repo, serials)) {
    if (c.name == "init") {
      continue;  // nothing to create in a complete store: below, on a new one
    }
    expect_refused(c.name, signer(c.args), {repo.store_dir().string()}, reasons);
    const Bytesnap after = bytesnap(repo.store_dir());
    CHECK(after.data == before.data);
    CHECK(after.head == before.head);
  }
  // Readers still work on the full disk.
  RunResult verify = signer({"audit", "verify"});
  INFO(verify.err);
  CHECK(verify.exit_code == 0);

  // init of a new store on the full file system: refused, and nothing left behind (no store,
  // no key files).
  if (small.ok()) {
    TempDir other;
    const auto new_store = repo.store_dir() / "new";
    std::string cfg = fixture("pki.toml");
    const std::string store_line = "store = \"store\"";
    REQUIRE(cfg.find(store_line) != std::string::npos);
    cfg.replace(cfg.find(store_line), store_line.size(), "store = \"" + new_store.string() + "\"");
    write_text(other / "pkirepo.toml", cfg);
    std::vector<std::string> argv{binary("pkirepo-signer").string(), "-c",
                                  (other / "pkirepo.toml").string(), "init"};
    auto env = signer_env();
    env["PKIREPO_NOW"] = rfc3339(T);
    RunResult r = run(argv, env);
    expect_refused("init of a new store", r, {new_store.string()}, reasons);
    CHECK_FALSE(std::filesystem::exists(new_store / "data.mdb"));
    CHECK_FALSE(std::filesystem::exists(other / "keys/root.pem"));
  }
}

TEST_CASE("a corrupt data.mdb: every program refuses it and writes nothing", "[store-faults]") {
  RunRepo repo(T, site_config());
  const auto serials = add_synthetic_certs(repo.store_dir(), "tls", 4, 0, T - 86400, T + 86400);
  const auto data = repo.store_dir() / "data.mdb";
  std::mt19937_64 rng(crash_seed());
  std::string noise(64 * 1024, '\0');
  for (char& c : noise) {
    c = static_cast<char>(rng());
  }
  write_text(data, noise);
  every_program_refuses(repo, serials, {data.string()}, {"not a store this pkirepo can read"});
}

TEST_CASE("another program's LMDB environment: every program refuses it and writes nothing",
          "[store-faults]") {
  RunRepo repo(T, site_config());
  const auto serials = add_synthetic_certs(repo.store_dir(), "tls", 4, 0, T - 86400, T + 86400);
  std::filesystem::remove_all(repo.store_dir());
  std::filesystem::create_directories(repo.store_dir());
  raw_put(repo.store_dir(), "sessions", "alice", Bytes{1, 2, 3});
  every_program_refuses(repo, serials, {repo.store_dir().string()},
                        {"not a pkirepo store (it holds the LMDB database \"sessions\""});
  // Plain data in the main database, and our database names with no schema version.
  std::filesystem::remove_all(repo.store_dir());
  std::filesystem::create_directories(repo.store_dir());
  raw_put(repo.store_dir(), "certs", "k", Bytes{1});
  every_program_refuses(repo, serials, {repo.store_dir().string()},
                        {"not a pkirepo store (records in \"certs\" but no schema version)"});
}

TEST_CASE("a schema version this build does not know: refused, nothing written", "[store-faults]") {
  for (uint64_t version : {uint64_t{store::kSchemaVersion + 1}, uint64_t{0}}) {
    RunRepo repo(T, site_config());
    const auto serials = add_synthetic_certs(repo.store_dir(), "tls", 4, 0, T - 86400, T + 86400);
    raw_put(repo.store_dir(), "meta", std::string(store::meta::kSchemaVersion),
            store::be64(version));
    INFO("schema version " << version);
    every_program_refuses(repo, serials, {repo.store_dir().string()},
                          {"store schema version " + std::to_string(version) +
                           ", this pkirepo knows " + std::to_string(store::kSchemaVersion)});
  }
}

TEST_CASE("a store on a read-only file system: clear errors, nothing written",
          "[store-faults][read-only]") {
  RunRepo repo(T, site_config());
  const auto serials = add_synthetic_certs(repo.store_dir(), "tls", 4, 0, T - 86400, T + 86400);
  REQUIRE(repo.signer({"run"}).exit_code == 0);
  const auto disk_copy = repo.dir / "store.disk";
  std::filesystem::rename(repo.store_dir(), disk_copy);
  TmpfsMount ro(repo.store_dir(), 64 << 20);
  if (!ro.ok()) {
    WARN("no tmpfs mount here (not root, or a container without CAP_SYS_ADMIN): skipped");
    return;
  }
  for (const char* name : {"data.mdb", "lock.mdb", "signer.lock"}) {
    std::filesystem::copy_file(disk_copy / name, repo.store_dir() / name);
  }
  REQUIRE(ro.remount_read_only());
  std::cerr << "store faults: read-only file system by a tmpfs remounted ro\n";
  every_program_refuses(repo, serials, {repo.store_dir().string()},
                        {"Read-only file system", "read-only file system"});
}
