#include "crash_support.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "audit/audit_log.h"
#include "store/blocked_keys.h"
#include "store/meta_keys.h"
#include "store/store.h"
#include "support/test_support.h"
#include "x509/bytes.h"

namespace pkirepo::test {

pid_t spawn_to_files(const std::vector<std::string>& argv,
                     const std::map<std::string, std::string>& env,
                     const std::filesystem::path& out, const std::filesystem::path& err) {
  const CStrings envp(environment_with(env));
  const CStrings argp(argv);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, argp.data()[0], &actions, nullptr, argp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw std::runtime_error("cannot start " + argv[0]);
  }
  return pid;
}

pid_t spawn_signer(const std::filesystem::path& config, const std::vector<std::string>& args,
                   UnixTime at, const std::filesystem::path& out,
                   const std::filesystem::path& err) {
  std::vector<std::string> argv{binary("pkirepo-signer").string(), "-c", config.string(),
                                "--operator", "test"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::map<std::string, std::string> env = signer_env();
  env["PKIREPO_NOW"] = rfc3339(at);
  return spawn_to_files(argv, env, out, err);
}

namespace {

std::string slurp(const std::filesystem::path& path) {
  if (path == "/dev/null" || !std::filesystem::exists(path)) {
    return {};
  }
  const Bytes b = read_file(path);
  return std::string(b.begin(), b.end());
}

}  // namespace

Outcome kill_after(pid_t pid, std::chrono::microseconds delay, const std::filesystem::path& out,
                   const std::filesystem::path& err) {
  // Poll so a child that finishes early is reaped at once (and its pid never reused by the
  // time the kill is sent).
  const auto deadline = std::chrono::steady_clock::now() + delay;
  int status = 0;
  pid_t done = 0;
  while ((done = ::waitpid(pid, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  if (done == 0) {
    ::kill(pid, SIGKILL);
    done = ::waitpid(pid, &status, 0);
  }
  REQUIRE(done == pid);
  Outcome o;
  o.killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  o.out = slurp(out);
  o.err = slurp(err);
  return o;
}

uint64_t crash_seed() {
  static const uint64_t seed = [] {
    uint64_t s = 0;
    if (const char* v = std::getenv("PKIREPO_CRASH_SEED"); v != nullptr && *v != '\0') {
      s = std::stoull(v);
    } else {
      std::random_device rd;
      s = (uint64_t{rd()} << 32) | rd();
    }
    std::cerr << "crash harness: seed " << s << " (replay with PKIREPO_CRASH_SEED=" << s << ")\n";
    return s;
  }();
  return seed;
}

double crash_seconds(double ci_default) {
  if (const char* v = std::getenv("PKIREPO_CRASH_SECONDS"); v != nullptr && *v != '\0') {
    return std::stod(v);
  }
  return ci_default;
}

StoreFacts store_facts(const std::filesystem::path& store_dir) {
  StoreFacts f;
  store::ReadStore st(store_dir);
  store::ReadTxn txn = st.begin_read();
  for (const auto& ca : store::list_cas(txn)) {
    f.cas.insert(ca.id);
  }
  {
    store::Cursor c(txn, store::Db::certs);
    for (bool ok = c.first(); ok; ok = c.next()) {
      f.certs.insert(to_hex(c.key().subspan(20)));
    }
  }
  {
    store::Cursor c(txn, store::Db::revocations);
    for (bool ok = c.first(); ok; ok = c.next()) {
      f.revoked.insert(to_hex(c.key().subspan(20)));
    }
  }
  f.audit_count = store::get_meta_u64(txn, store::meta::kAuditCount).value_or(0);
  if (const audit::VerifyResult v = audit::verify(txn); !v.ok) {
    f.audit_broken = "record " + std::to_string(v.first_bad) + ": " + v.reason;
  }
  {
    store::Cursor c(txn, store::Db::crls);
    for (bool ok = c.first(); ok; ok = c.next()) {
      const std::string key(c.key().begin(), c.key().end());
      if (key.ends_with("/list.json")) {
        continue;
      }
      store::CrlRecord r;
      REQUIRE(store::decode(c.value(), r));
      f.crls[key] = {r.crl_number, to_hex(sha256(r.der))};
      const size_t slash = key.rfind('/');
      f.crl_meta[key] =
          store::get_meta_u64(
              txn, store::meta::crl_number(key.substr(0, slash), std::stoi(key.substr(slash + 1))))
              .value_or(0);
    }
  }
  for (const auto& [spki, rec] : store::all_blocked_keys(txn)) {
    (void)rec;
    f.blocked.insert(to_hex(spki));
  }
  std::ostringstream audit;
  audit::export_jsonl(txn, audit);
  std::istringstream lines(audit.str());
  for (std::string line; std::getline(lines, line);) {
    const auto j = nlohmann::json::parse(line);
    const std::string event = j.value("event", "");
    const auto& d = j["details"];
    if (event == "certificate_revoked" && d.contains("serial")) {
      f.revoked_in_audit.insert(d["serial"].get<std::string>());
    } else if (event == "certificate_issued" && d.contains("serial")) {
      f.issued_in_audit.insert(d["serial"].get<std::string>());
    } else if (event == "key_blocked" && d.contains("spki_sha256")) {
      f.blocked_in_audit.insert(d["spki_sha256"].get<std::string>());
    }
  }
  return f;
}

std::string monotonic_violation(const StoreFacts& before, const StoreFacts& after,
                                CrlHistory& history) {
  std::ostringstream why;
  if (!after.audit_broken.empty()) {
    why << "audit chain broken at " << after.audit_broken << "; ";
  }
  if (after.audit_count < before.audit_count) {
    why << "audit count went from " << before.audit_count << " to " << after.audit_count << "; ";
  }
  auto lost = [&](const std::set<std::string>& a, const std::set<std::string>& b,
                  const char* what) {
    for (const auto& s : a) {
      if (!b.contains(s)) {
        why << what << " " << s << " lost; ";
        return;
      }
    }
  };
  lost(before.certs, after.certs, "certificate");
  lost(before.revoked, after.revoked, "revocation of");
  lost(before.blocked, after.blocked, "blocked key");
  lost(before.cas, after.cas, "CA");
  for (const auto& [shard, crl] : after.crls) {
    auto& seen = history.seen[shard];
    if (auto it = seen.find(crl.first); it != seen.end() && it->second != crl.second) {
      why << "CRL " << shard << " number " << crl.first << " names two different CRLs; ";
    }
    if (!seen.empty() && crl.first < seen.rbegin()->first) {
      why << "CRL " << shard << " number went down to " << crl.first << "; ";
    }
    seen[crl.first] = crl.second;
    if (after.crl_meta.at(shard) < crl.first) {
      why << "CRL " << shard << " number " << crl.first << " above the last used "
          << after.crl_meta.at(shard) << "; ";
    }
  }
  for (const auto& [shard, crl] : before.crls) {
    if (!after.crls.contains(shard)) {
      why << "CRL " << shard << " lost; ";
    }
  }
  // Every state, committed or not, is all-or-nothing: a revocation or blocked key is in the
  // store exactly when its audit record is, and so is every issued certificate.
  for (const auto& s : after.revoked) {
    if (!after.revoked_in_audit.contains(s)) {
      why << "revocation of " << s << " has no audit record; ";
      break;
    }
  }
  for (const auto& s : after.revoked_in_audit) {
    if (!after.revoked.contains(s)) {
      why << "audited revocation of " << s << " is not in the store; ";
      break;
    }
  }
  for (const auto& s : after.issued_in_audit) {
    if (!after.certs.contains(s)) {
      why << "audited certificate " << s << " is not in the store; ";
      break;
    }
  }
  for (const auto& s : after.blocked) {
    if (!after.blocked_in_audit.contains(s)) {
      why << "blocked key " << s << " has no audit record; ";
      break;
    }
  }
  return why.str();
}

std::vector<std::string> reported_serials(const std::string& out, const std::string& prefix) {
  std::vector<std::string> serials;
  // Only whole lines: the last one of a killed process may stop inside a serial.
  std::istringstream lines(out.substr(0, out.rfind('\n') + 1));
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with(prefix)) {
      continue;
    }
    const size_t at = line.find(" serial ");
    if (at == std::string::npos) {
      continue;
    }
    std::string rest = line.substr(at + 8);
    serials.push_back(rest.substr(0, rest.find(' ')));
  }
  return serials;
}

}  // namespace pkirepo::test
