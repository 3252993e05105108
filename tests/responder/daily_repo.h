// A repository driven as cron drives it, for tests over simulated time: the test PKI of
// write_demo_config() plus a 2-day and a 7-day TLS profile and a short-lived 2-day one
// ("tls-ephemeral", no status) on the issuing CA "tls", and a CRL-only issuing CA "crl-only"
// (tls-server); every command run through the real pkirepo-signer with PKIREPO_NOW set to the
// moment the test names.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "responder_process.h"
#include "support/test_support.h"
#include "x509/time.h"

namespace pkirepo::test {

struct DailyRepo : DemoRepo {
  DailyRepo();
  // pkirepo-signer -c CONFIG --operator cron ARGS at `at`.
  RunResult signer(std::vector<std::string> args, UnixTime at);
  // Issues one certificate for `host` under `profile` at `at` (by `ca`, or the one CA that
  // offers the profile); returns its serial (hex).
  std::string issue(const std::string& profile, const std::string& host, UnixTime at,
                    const std::string& ca = "");
  // How many OCSP records (any CertID hash) answer for `serial`.
  size_t ocsp_records_of(const std::string& serial);
};

// GET /healthz once the responder has scanned the store (a just-started responder answers 503
// "starting" until then, by design); the body, then "\n" and the HTTP status. Waits 10 s at most.
[[nodiscard]] std::string healthz_after_scan(const ResponderProcess& p);

}  // namespace pkirepo::test
