// A PKI made by the real `pkirepo-signer` (init, issue, revoke, run) with the demo CA ids and
// profiles, shared by the publisher's integration, determinism and browser tests. Built once
// per test process (key generation is the slow part) and removed at exit.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace pkirepo::test {

struct DemoPki {
  std::filesystem::path dir;  // holds pkirepo.toml, store/, keys/
  std::filesystem::path config;
  bool crls_from_signer_run = false;  // false: CRLs were put into the store by the fixture
};

// The moment publisher builds run at: three days after the fixture's signer time, so the
// one-day test certificate has expired.
inline constexpr const char* kPublishNow = "2026-11-25T00:00:00Z";

const DemoPki& demo_pki();

// Runs the real pkirepo-publisher with PKIREPO_NOW = `now`.
RunResult publish(const std::filesystem::path& config, const std::vector<std::string>& args,
                  const std::string& now = kPublishNow);

// A config like demo_pki()'s but with another site source / output (for error cases);
// written into `dir`, sharing demo_pki()'s store and keys.
std::filesystem::path write_variant_config(const std::filesystem::path& dir,
                                           const std::filesystem::path& site_source,
                                           const std::string& extra_site_keys = "");

// A copy of demo_pki()'s store and keys in `dir` with a config of its own, for tests that
// change the store; returns the config path.
std::filesystem::path write_store_copy_config(const std::filesystem::path& dir);

// Every regular file under `root`, relative, sorted, with its bytes.
std::map<std::string, std::string> read_tree(const std::filesystem::path& root);

}  // namespace pkirepo::test
