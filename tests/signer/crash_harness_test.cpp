// The crash harness: every command of pkirepo-signer that writes the store is killed with
// SIGKILL after a random delay (seeded; the seed is printed), many times in a bounded time, and
// after each kill:
//   - the store opens and `audit verify` passes;
//   - every certificate the command reported as issued (before it died) is in the store;
//   - nothing committed is lost: certificates, revocations, blocked keys, CAs and audit records
//     only grow; a revocation (or blocked key) is in the store exactly when its audit record is;
//   - a CRL number never goes down and never names two different CRLs;
//   - the same command, run again, completes.
// Each command gets PKIREPO_CRASH_SECONDS seconds of kills (CI default below; bench/crash_bench.sh
// runs more). The delays are drawn in [0, 1.2 x the command's measured duration], so most kills
// land while it runs.
//
// Not killed here: `ceremony` writes only its bundle file (on the offline machine),
// `ca request` and `import` need an offline CA ceremony around them (ceremony_test.cpp; a
// re-run of `ca request` reuses the key a killed one left), `keys rewrap` replaces key files by
// rename and then commits one audit record per file (a kill between the two leaves a rewrapped
// file without its record: not fixed here), `incident report` writes only its Markdown file.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <iostream>
#include <random>
#include <sstream>

#include "crash_support.h"
#include "run_support.h"
#include "x509/der.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

constexpr double kCiSeconds = 7.0;  // per command
constexpr int kMaxIterations = 2000;
// However short the budget (a loaded machine), each command is killed this often.
constexpr int kMinKills = 3;
const UnixTime T = *parse_rfc3339("2026-11-22T00:00:00Z");

struct Tally {
  std::string command;
  int iterations = 0;  // each ends with the command run to completion
  int attempts = 0;    // starts of the command that were to be killed
  int killed = 0;
  int finished = 0;  // exited before the kill came
  ~Tally() {
    std::cerr << "crash harness: " << command << ": " << killed << " killed, " << finished
              << " finished before the kill, in " << iterations << " iterations\n";
  }
};

// The checks every kill is followed by; `before` is the last state seen and becomes this one.
// The audit chain is verified in-process (audit::verify, what `audit verify` runs) after each
// kill, and by the command itself after each completed re-run.
void check_store(const RunRepo& repo, StoreFacts& before, CrlHistory& history, const Outcome& o,
                 std::optional<UnixTime> verify_at) {
  StoreFacts after = store_facts(repo.store_dir());  // the store opens
  if (verify_at) {
    RunResult verify = repo.signer({"audit", "verify"}, *verify_at);
    INFO(verify.out << verify.err);
    REQUIRE(verify.exit_code == 0);
  }
  const std::string broken = monotonic_violation(before, after, history);
  INFO("out: " << o.out << "\nerr: " << o.err);
  REQUIRE(broken.empty());
  for (const std::string& s : reported_serials(o.out)) {
    INFO("reported serial " << s);
    REQUIRE(after.certs.contains(s));
  }
  for (const std::string& s : reported_serials(o.out, "revoked serial ")) {
    INFO("reported revocation of " << s);
    REQUIRE(after.revoked.contains(s));
  }
  before = std::move(after);
}

// Kills of one command before it is let finish: each killed attempt is also the re-run of the
// one before it.
constexpr int kKillsPerIteration = 3;

// Runs `prepare` (what the iteration needs: returns the command's arguments), the command
// killed at random delays (up to kKillsPerIteration attempts, each followed by the checks),
// then `finish` (the command run again to the end, with its own checks), until the time budget
// is spent. The first iteration runs unkilled and measures how long the command takes.
template <typename Prepare, typename Finish>
void kill_loop(const RunRepo& repo, Tally& tally, double ci_seconds, Prepare prepare, Finish finish,
               const UnixTime* at = nullptr) {
  std::mt19937_64 rng(crash_seed() ^ std::hash<std::string>{}(tally.command));
  StoreFacts facts = store_facts(repo.store_dir());
  CrlHistory history;
  (void)monotonic_violation(facts, facts, history);
  const auto started = std::chrono::steady_clock::now();
  const double budget = crash_seconds(ci_seconds);
  std::chrono::microseconds longest{0};
  const std::filesystem::path out = repo.dir.path() / "killed.out";
  const std::filesystem::path err = repo.dir.path() / "killed.err";
  for (int i = 0; i < kMaxIterations; ++i) {
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() >
            budget &&
        (tally.killed >= kMinKills || i >= 30)) {
      break;
    }
    const std::vector<std::string> args = prepare(i);
    Outcome o;
    for (int attempt = 0; attempt < (i == 0 ? 1 : kKillsPerIteration); ++attempt) {
      std::chrono::microseconds delay;
      if (i == 0) {
        delay = std::chrono::minutes(2);
      } else {
        std::uniform_int_distribution<int64_t> d(0, longest.count() * 6 / 5);
        delay = std::chrono::microseconds(d(rng));
      }
      const auto t0 = std::chrono::steady_clock::now();
      o = kill_after(spawn_signer(repo.config, args, at ? *at : repo.now, out, err), delay, out,
                     err);
      if (i == 0) {
        INFO(o.out << o.err);
        REQUIRE_FALSE(o.killed);
        longest = std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::steady_clock::now() - t0);
      }
      ++tally.attempts;
      (o.killed ? tally.killed : tally.finished)++;
      INFO(tally.command << " iteration " << i << " attempt " << attempt << " delay "
                         << delay.count() << " us, seed " << crash_seed());
      check_store(repo, facts, history, o, std::nullopt);
      if (!o.killed) {
        break;
      }
    }
    ++tally.iterations;
    finish(i, args, o);
    const Outcome none;
    check_store(repo, facts, history, none, at ? *at : repo.now);
  }
  CHECK(tally.killed >= kMinKills);
}

std::string make_csr_file(const std::filesystem::path& path, const std::string& cn) {
  EvpPkeyPtr key = make_key("ec-p256");
  X509ReqPtr csr = make_csr(key.get(), cn, {cn});
  write_text(path, to_pem(csr.get()));
  return path.string();
}

size_t count_files(const std::filesystem::path& dir) {
  if (!std::filesystem::exists(dir)) {
    return 0;
  }
  return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir),
                                           std::filesystem::directory_iterator()));
}

}  // namespace

TEST_CASE("crash harness: init", "[crash][crash-harness]") {
  Tally tally{"init"};
  std::mt19937_64 rng(crash_seed() ^ 1);
  const auto started = std::chrono::steady_clock::now();
  const double budget = crash_seconds(kCiSeconds);
  std::chrono::microseconds longest{0};
  for (int i = 0; i < kMaxIterations; ++i) {
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() >
            budget &&
        (tally.killed >= kMinKills || i >= 30)) {
      break;
    }
    TempDir dir;
    const auto config = write_demo_config(dir.path(), "\n[ocsp]\nsign_at_issuance = false\n");
    const auto out = dir / "init.out";
    const auto store = dir / "store";
    auto signer = [&](const std::vector<std::string>& args) {
      std::vector<std::string> argv{binary("pkirepo-signer").string(), "-c", config.string()};
      argv.insert(argv.end(), args.begin(), args.end());
      auto env = signer_env();
      env["PKIREPO_NOW"] = rfc3339(T);
      return run(argv, env);
    };
    for (int attempt = 0; attempt < (i == 0 ? 1 : kKillsPerIteration); ++attempt) {
      std::chrono::microseconds delay = std::chrono::minutes(2);
      if (i > 0) {
        std::uniform_int_distribution<int64_t> d(0, longest.count() * 6 / 5);
        delay = std::chrono::microseconds(d(rng));
      }
      const auto t0 = std::chrono::steady_clock::now();
      const Outcome o = kill_after(spawn_signer(config, {"init"}, T, out), delay, out);
      if (i == 0) {
        REQUIRE_FALSE(o.killed);
        longest = std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::steady_clock::now() - t0);
      }
      ++tally.attempts;
      (o.killed ? tally.killed : tally.finished)++;
      INFO("init iteration " << i << " attempt " << attempt << " delay " << delay.count()
                             << " us, seed " << crash_seed() << "\nout: " << o.out);
      if (std::filesystem::exists(store / "data.mdb")) {
        const StoreFacts f = store_facts(store);  // it opens
        CHECK(f.audit_broken.empty());
        std::istringstream lines(o.out.substr(0, o.out.rfind('\n') + 1));
        for (std::string line; std::getline(lines, line);) {
          // "created root CA root: ..." names a CA that must be in the store; the checkpoint
          // key's line comes after the CAs, from the same transaction.
          if (line.starts_with("created audit checkpoint key")) {
            CHECK(f.cas.contains("root"));
            continue;
          }
          const size_t at = line.find(" CA ");
          REQUIRE(at != std::string::npos);
          const std::string id = line.substr(at + 4, line.find(':', at) - at - 4);
          INFO(line);
          CHECK(f.cas.contains(id));
        }
      } else {
        CHECK(o.out.empty());
      }
      if (!o.killed) {
        break;
      }
    }
    ++tally.iterations;
    RunResult again = signer({"init"});
    INFO("init again: " << again.out << again.err);
    // Killed after its commit: the CAs are there, and init says so.
    if (again.exit_code != 0) {
      REQUIRE_THAT(again.err, Catch::Contains("already initialized"));
    }
    const StoreFacts f = store_facts(store);
    CHECK(f.cas.contains("root"));
    CHECK(f.cas.contains("tls"));
    RunResult verify = signer({"audit", "verify"});
    INFO(verify.out << verify.err);
    REQUIRE(verify.exit_code == 0);
    // The keys in the store are the keys on disk: the CA signs.
    const auto csr = make_csr_file(dir / "a.csr", "a.example.com");
    RunResult issued = signer({"issue", "--profile", "tls-server", "--csr", csr});
    INFO(issued.out << issued.err);
    REQUIRE(issued.exit_code == 0);
  }
  CHECK(tally.killed >= kMinKills);
}

TEST_CASE("crash harness: issue of one request", "[crash][crash-harness]") {
  RunRepo repo(T);
  Tally tally{"issue --csr"};
  std::string csr;
  kill_loop(
      repo, tally, kCiSeconds,
      [&](int i) {
        csr = make_csr_file(repo.dir / ("one-" + std::to_string(i) + ".csr"),
                            "one" + std::to_string(i) + ".example.com");
        return std::vector<std::string>{"issue",
                                        "--profile",
                                        "tls-server",
                                        "--csr",
                                        csr,
                                        "--out",
                                        (repo.dir / "one.pem").string()};
      },
      [&](int, const std::vector<std::string>& args, const Outcome&) {
        RunResult r = repo.signer(args);
        INFO(r.out << r.err);
        REQUIRE(r.exit_code == 0);
        REQUIRE(reported_serials(r.out).size() == 1);
      });
}

TEST_CASE("crash harness: issue from the request spool", "[crash][crash-harness]") {
  RunRepo repo(T);
  Tally tally{"issue --csr-dir"};
  const auto spool = repo.dir / "spool";
  const auto done = repo.dir / "done";
  const auto failed = repo.dir / "failed";
  const size_t per_iteration = 12;
  size_t certs_before = 0;
  kill_loop(
      repo, tally, kCiSeconds,
      [&](int i) {
        std::filesystem::create_directories(spool);
        for (size_t k = 0; k < per_iteration; ++k) {
          const std::string cn = "s" + std::to_string(i) + "-" + std::to_string(k) + ".example.com";
          make_csr_file(spool / (cn + ".csr"), cn);
        }
        certs_before = store_facts(repo.store_dir()).certs.size();
        return std::vector<std::string>{"issue",       "--profile",    "tls-server",
                                        "--csr-dir",   spool.string(), "--done-dir",
                                        done.string(), "--failed-dir", failed.string()};
      },
      [&](int, const std::vector<std::string>& args, const Outcome&) {
        RunResult r = repo.signer(args);
        INFO(r.out << r.err);
        REQUIRE(r.exit_code == 0);
        // Every request issued exactly once, whatever the kill interrupted.
        CHECK(store_facts(repo.store_dir()).certs.size() == certs_before + per_iteration);
        CHECK(count_files(spool) == 0);
        CHECK(count_files(failed) == 0);
      });
  CHECK(count_files(done) == static_cast<size_t>(tally.iterations) * per_iteration);
}

namespace {

// `revoke [--publish]` of one synthetic certificate per iteration.
void revoke_loop(bool publish) {
  RunRepo repo(T, "\n[crl]\nshards = 2\n");
  const auto serials =
      add_synthetic_certs(repo.store_dir(), "tls", 3000, 0, T - 86400, T + 90 * 86400, 2);
  if (publish) {
    REQUIRE(repo.signer({"run"}).exit_code == 0);  // the CRLs the revocations re-sign
  }
  Tally tally{publish ? "revoke --publish" : "revoke"};
  std::vector<std::string> reasons{"superseded", "keyCompromise", "cessationOfOperation"};
  kill_loop(
      repo, tally, kCiSeconds,
      [&](int i) {
        std::vector<std::string> args{"revoke",
                                      "--ca",
                                      "tls",
                                      "--serial",
                                      serials.at(static_cast<size_t>(i)),
                                      "--reason",
                                      reasons[static_cast<size_t>(i) % reasons.size()]};
        if (publish) {
          args.push_back("--publish");
        }
        return args;
      },
      [&](int i, const std::vector<std::string>& args, const Outcome&) {
        const std::string serial = serials.at(static_cast<size_t>(i));
        RunResult r = repo.signer(args);
        INFO(r.out << r.err);
        // The kill came after the commit: the revocation is there, so the re-run refuses.
        if (r.exit_code != 0) {
          REQUIRE_THAT(r.err, Catch::Contains("already revoked"));
        }
        const StoreFacts f = store_facts(repo.store_dir());
        REQUIRE(f.revoked.contains(serial));
        if (publish) {
          // One transaction: the revocation is on its shard's CRL and in its OCSP response.
          auto rec = ocsp_record(repo.store_dir(), "tls", serial, CertIdHash::sha256);
          REQUIRE(rec);
          CHECK(rec->status == store::CertStatus::revoked);
        }
      });
}

}  // namespace

TEST_CASE("crash harness: revoke", "[crash][crash-harness]") {
  revoke_loop(false);
}

TEST_CASE("crash harness: revoke --publish", "[crash][crash-harness]") {
  revoke_loop(true);
}

TEST_CASE("crash harness: run", "[crash][crash-harness]") {
  RunRepo repo(T, "\n[crl]\nshards = 2\n");
  const size_t count = 500;
  const auto serials =
      add_synthetic_certs(repo.store_dir(), "tls", count, 0, T - 86400, T + 300 * 86400, 2);
  Tally tally{"run"};
  // Each iteration is a day later (every response due again) with one more revocation.
  UnixTime at = T;
  kill_loop(
      repo, tally, kCiSeconds,
      [&](int i) {
        at = T + static_cast<UnixTime>(i) * 4 * 86400;
        RunResult r = repo.signer({"revoke", "--ca", "tls", "--serial",
                                   serials.at(static_cast<size_t>(i)), "--reason", "superseded"},
                                  at);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        return std::vector<std::string>{"run", "--batch-size", "64", "--threads", "2"};
      },
      [&](int i, const std::vector<std::string>&, const Outcome&) {
        RunResult r = repo.signer({"run"}, at);
        INFO(r.out << r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(count_ocsp(repo.store_dir(), "tls", CertIdHash::sha256) == count);
        auto rec = ocsp_record(repo.store_dir(), "tls", serials.at(static_cast<size_t>(i)),
                               CertIdHash::sha256);
        REQUIRE(rec);
        CHECK(rec->status == store::CertStatus::revoked);
        CHECK(rec->this_update == at);
      },
      &at);
}

TEST_CASE("crash harness: incident revoke", "[crash][crash-harness]") {
  RunRepo repo(T);
  Tally tally{"incident revoke"};
  const size_t per_iteration = 200;
  std::vector<std::string> batch;
  const auto serials_file = repo.dir / "incident-serials.txt";
  kill_loop(
      repo, tally, kCiSeconds,
      [&](int i) {
        batch = add_synthetic_certs(repo.store_dir(), "tls", per_iteration, 0, T - 86400,
                                    T + 90 * 86400);
        std::string lines;
        for (const auto& s : batch) {
          lines += s + "\n";
        }
        write_text(serials_file, lines);
        return std::vector<std::string>{"incident",  "revoke",
                                        "--ca",      "tls",
                                        "--serials", serials_file.string(),
                                        "--reason",  "superseded",
                                        "--ticket",  "INC-" + std::to_string(i)};
      },
      [&](int, const std::vector<std::string>& args, const Outcome& o) {
        // All or nothing: the kill left none of this batch revoked, or all of it.
        const StoreFacts before = store_facts(repo.store_dir());
        const size_t n = static_cast<size_t>(
            std::count_if(batch.begin(), batch.end(),
                          [&](const std::string& s) { return before.revoked.contains(s); }));
        INFO("revoked of the batch after the kill: " << n);
        CHECK((n == 0 || n == per_iteration));
        if (!o.killed) {
          CHECK(n == per_iteration);
        }
        RunResult r = repo.signer(args);
        INFO(r.out << r.err);
        if (n == per_iteration) {
          // It had committed: the rerun finds nothing left to do.
          CHECK(r.exit_code == 1);
          CHECK_THAT(r.err, Catch::Contains("revoked already; nothing changed"));
        } else {
          REQUIRE(r.exit_code == 0);
        }
        const StoreFacts after = store_facts(repo.store_dir());
        for (const auto& s : batch) {
          REQUIRE(after.revoked.contains(s));
        }
      });
}

TEST_CASE("crash harness: keys block", "[crash][crash-harness]") {
  RunRepo repo(T);
  Tally tally{"keys block"};
  std::mt19937_64 rng(crash_seed() ^ 7);
  std::string spki;
  kill_loop(
      repo, tally, kCiSeconds,
      [&](int i) {
        Bytes digest(32);
        for (auto& b : digest) {
          b = static_cast<uint8_t>(rng());
        }
        spki = to_hex(digest);
        return std::vector<std::string>{"keys", "block",    "--spki-sha256",
                                        spki,   "--ticket", "KB-" + std::to_string(i)};
      },
      [&](int, const std::vector<std::string>& args, const Outcome&) {
        RunResult r = repo.signer(args);
        INFO(r.out << r.err);
        REQUIRE(r.exit_code == 0);
        const StoreFacts f = store_facts(repo.store_dir());
        REQUIRE(f.blocked.contains(spki));
        REQUIRE(f.blocked_in_audit.contains(spki));
      });
}

TEST_CASE("init after a kill between its key files and its commit moves the files aside",
          "[crash][signer]") {
  // What a signer killed there leaves: the key file, named in store/keys.pending, and no CA.
  TempDir dir;
  const auto config = write_demo_config(dir.path());
  std::filesystem::create_directories(dir / "keys");
  std::filesystem::create_directories(dir / "store");
  const auto orphan = dir / "keys/root.pem";
  write_text(orphan, "left by a killed init\n");
  write_text(dir / "store/keys.pending", orphan.string() + "\n" + (dir / "keys/tl").string());
  auto env = signer_env();
  RunResult r = run({binary("pkirepo-signer").string(), "-c", config.string(), "init"}, env);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains(orphan.string() + ": key file left by a signer killed before "
                                                      "its commit (no CA uses it); moved to"));
  CHECK_FALSE(std::filesystem::exists(dir / "store/keys.pending"));
  CHECK(std::filesystem::exists(orphan));  // the new key
  size_t aside = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / "keys")) {
    if (e.path().filename().string().starts_with("root.pem.interrupted-")) {
      ++aside;
      CHECK(read_file(e.path()) == Bytes{'l', 'e', 'f', 't', ' ', 'b', 'y', ' ', 'a', ' ', 'k',
                                         'i', 'l', 'l', 'e', 'd', ' ', 'i', 'n', 'i', 't', '\n'});
    }
  }
  CHECK(aside == 1);

  // A key file no journal names is still refused (never adopted or moved).
  TempDir other;
  const auto config2 = write_demo_config(other.path());
  std::filesystem::create_directories(other / "keys");
  write_text(other / "keys/root.pem", "someone's key\n");
  r = run({binary("pkirepo-signer").string(), "-c", config2.string(), "init"}, env);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("already exists; refusing to overwrite or adopt it"));
  CHECK(read_file(other / "keys/root.pem").size() == 14);
}
