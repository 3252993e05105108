#!/usr/bin/env bash
# CI entry: builds the libFuzzer targets with clang (ASan + UBSan) in build-fuzz/ and runs each
# for a bounded time. Usage: fuzz/run_fuzzers.sh [seconds per target, default 20]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
build=${PKIREPO_FUZZ_BUILD:-build-fuzz}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DPKIREPO_FUZZ=ON -DPKIREPO_SANITIZE=ON \
  -DPKIREPO_FUZZ_SECONDS="$seconds" >/dev/null
cmake --build "$build" --target ocsp_request_fuzzer csr_fuzzer
ctest --test-dir "$build" -R 'fuzz_' --output-on-failure
