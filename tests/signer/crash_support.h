// Killing the signer on purpose: start it with its output in files, SIGKILL it after a delay
// drawn from a seeded generator, and read back what the store holds afterwards. Shared by the
// crash harness (crash_harness_test.cpp), the run crash test and the incident crash test.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "x509/time.h"

namespace pkirepo::test {

// How a killed (or finished) child ended, with what it printed before.
struct Outcome {
  bool killed = false;  // SIGKILL reached it before it exited
  int exit_code = -1;   // when it exited by itself
  std::string out;
  std::string err;
};

// Starts argv[0] (a path) with `env` added to the environment, stdin from /dev/null and
// stdout/stderr into the files `out`/`err` (truncated). Returns its pid; throws when it cannot.
pid_t spawn_to_files(const std::vector<std::string>& argv,
                     const std::map<std::string, std::string>& env,
                     const std::filesystem::path& out, const std::filesystem::path& err);

// pkirepo-signer -c CONFIG --operator test ARGS with the test keys' environment and
// PKIREPO_NOW = `at`, output into `out`/`err` ("/dev/null" discards it).
pid_t spawn_signer(const std::filesystem::path& config, const std::vector<std::string>& args,
                   UnixTime at, const std::filesystem::path& out = "/dev/null",
                   const std::filesystem::path& err = "/dev/null");

// Sends SIGKILL to `pid` after `delay` (unless it exited before), reaps it, and reads the two
// files back (empty when they are /dev/null).
Outcome kill_after(pid_t pid, std::chrono::microseconds delay,
                   const std::filesystem::path& out = "/dev/null",
                   const std::filesystem::path& err = "/dev/null");

// The seed of every random kill in this test program: PKIREPO_CRASH_SEED when set, else drawn
// once from std::random_device. Printed to stderr the first time so a failure can be replayed.
[[nodiscard]] uint64_t crash_seed();
// Seconds of kills per command: PKIREPO_CRASH_SECONDS when set (bench/crash_bench.sh), else
// `ci_default`.
[[nodiscard]] double crash_seconds(double ci_default);

// What the harness checks after each kill, read in-process with a ReadStore (no signer may be
// running). Serials are lowercase hex.
struct StoreFacts {
  std::set<std::string> certs;    // every certificate record's serial
  std::set<std::string> revoked;  // serials with a record in the revocation index
  uint64_t audit_count = 0;       // meta audit_count
  // Per "<ca>/<shard>": the CRL record's number and the SHA-256 of its DER.
  std::map<std::string, std::pair<uint64_t, std::string>> crls;
  std::map<std::string, uint64_t> crl_meta;  // meta crl_number/<ca>/<shard> (the last used)
  std::set<std::string> revoked_in_audit;    // serials of certificate_revoked records
  std::set<std::string> issued_in_audit;     // serials of certificate_issued records
  std::set<std::string> blocked;             // blocked SPKI SHA-256 (hex)
  std::set<std::string> blocked_in_audit;    // spki_sha256 of key_blocked records
  std::set<std::string> cas;                 // CA ids in the store
  std::string audit_broken;  // audit::verify()'s reason, as `audit verify` reports it ("": intact)
};
[[nodiscard]] StoreFacts store_facts(const std::filesystem::path& store_dir);

// Facts that must hold between any two observations of one store, each kill included: the
// audit log and the sets of certificates, revocations and blocked keys only grow, and a CRL
// number never goes down nor names two different CRLs. Returns what broke ("" when nothing).
struct CrlHistory {
  std::map<std::string, std::map<uint64_t, std::string>> seen;  // "<ca>/<shard>" -> n -> sha256
};
[[nodiscard]] std::string monotonic_violation(const StoreFacts& before, const StoreFacts& after,
                                              CrlHistory& history);

// "issued <src> serial <hex> ..." lines of `issue` output: the serials it reported.
[[nodiscard]] std::vector<std::string> reported_serials(const std::string& out,
                                                        const std::string& prefix = "issued ");

}  // namespace pkirepo::test
