#!/usr/bin/env bash
# The SIGKILL crash tests at bench scale (tag [crash] of signer_tests):
#   - run_crash_test.cpp on a large store (>= 50,000 certificates): kills `run` at several
#     points, then checks that a final run leaves every response present, fresh and correct,
#     the audit chain verified with each response audited exactly once, and CRL numbers only
#     going up;
#   - crash_harness_test.cpp: every writing command (init, issue --csr, issue --csr-dir, revoke,
#     revoke --publish, run, incident revoke, keys block) killed at seeded random delays for
#     CRASH_BENCH_SECONDS each, with the store checked after every kill (it prints the seed and,
#     per command, the iterations and kills);
#   - incident_test.cpp's all-or-nothing kill of `incident revoke` of 10,000 certificates.
# CI runs the same tests on 3,000 certificates and 7 s of kills per command.
#
#   bench/crash_bench.sh              # 50,000 certificates, 60 s of kills per command
#   CRASH_BENCH_CERTS=100000 CRASH_BENCH_SECONDS=300 bench/crash_bench.sh
#   CRASH_BENCH_SEED=1234 bench/crash_bench.sh      # replay the delays of an earlier run
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-bench-crash"
# A test build (PKIREPO_SIMULATED_CLOCK): the crash tests drive the signer with PKIREPO_NOW.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPKIREPO_TESTS=ON \
  -DPKIREPO_SIMULATED_CLOCK=ON >/dev/null
cmake --build "$build" --target pkirepo-signer signer_tests >/dev/null
export PKIREPO_CRASH_CERTS=${CRASH_BENCH_CERTS:-50000}
export PKIREPO_CRASH_SECONDS=${CRASH_BENCH_SECONDS:-60}
if [[ -n "${CRASH_BENCH_SEED:-}" ]]; then
  export PKIREPO_CRASH_SEED=$CRASH_BENCH_SEED
fi
"$build/tests/signer/signer_tests" "[crash]" -s 2>&1 |
  grep -E "kills:|run: OCSP|crash harness:|test cases|All tests passed|FAILED" | sort -u
