#!/usr/bin/env bash
# The SIGKILL crash test of `run` (tests/signer/run_crash_test.cpp) on a large store
# (>= 50,000 certificates): kills `run` at several points, then checks that a final run leaves
# every response present, fresh and correct, the audit chain verified with each response
# audited exactly once, and CRL numbers only going up. CI runs the same test on 3,000.
#
#   bench/crash_bench.sh              # 50,000 certificates
#   CRASH_BENCH_CERTS=100000 bench/crash_bench.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-bench-crash"
# A test build (PKIREPO_SIMULATED_CLOCK): the crash test drives the signer with PKIREPO_NOW.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPKIREPO_TESTS=ON \
  -DPKIREPO_SIMULATED_CLOCK=ON >/dev/null
cmake --build "$build" --target pkirepo-signer signer_tests >/dev/null
PKIREPO_CRASH_CERTS=${CRASH_BENCH_CERTS:-50000} "$build/tests/signer/signer_tests" "[crash]" -s |
  grep -E "kills:|run: OCSP|test cases|All tests passed|FAILED" | sort -u
