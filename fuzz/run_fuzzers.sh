#!/usr/bin/env bash
# CI entry: builds the libFuzzer targets with clang (ASan + UBSan) in build-fuzz/ and runs each
# for a bounded time through its CTest entry (fuzz_*), then prints one line per target with the
# executions libFuzzer reports (-print_final_stats=1). Exits non-zero when a target finds a
# crash, a leak, a timeout or a broken property.
# Usage: fuzz/run_fuzzers.sh [seconds per target, default 20] [ctest -R regex, default fuzz_]
# Longer local runs: docs/operations.md "Fuzzing".
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
only=${2:-fuzz_}
build=${PKIREPO_FUZZ_BUILD:-build-fuzz}
targets=(ocsp_request_fuzzer csr_fuzzer config_fuzzer front_matter_fuzzer markdown_fuzzer
  get_path_fuzzer)
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DPKIREPO_FUZZ=ON -DPKIREPO_SANITIZE=ON \
  -DPKIREPO_FUZZ_SECONDS="$seconds" >/dev/null
cmake --build "$build" --target "${targets[@]}" -- ${PKIREPO_FUZZ_JOBS:+-j"$PKIREPO_FUZZ_JOBS"}
log="$build/fuzz-run.log"
status=0
ctest --test-dir "$build" -R "$only" -V >"$log" 2>&1 || status=$?
# ctest -V prefixes each test's output with its number ("3: stat::number_of_executed_units: N")
# and ends with one summary line a test ("3/6 Test #3: core:fuzz_config ....   Passed   21.0 sec").
stat() {  # $1 = test number, $2 = libFuzzer stat name
  sed -n "s/^$1: stat::$2: *\([0-9]*\).*/\1/p" "$log" | tail -n 1
}
printf '%-30s %12s %8s %6s  %s\n' "fuzz target (ctest)" executions exec/s new result
sed -n 's/^ *[0-9]*\/[0-9]* Test *#\([0-9]*\): \([^ ]*\) [ .]*\(.*\) sec$/\1 \2 \3/p' "$log" |
  while read -r number name rest; do
    result=${rest% *}  # "Passed   21.03" -> "Passed  "
    printf '%-30s %12s %8s %6s  %s\n' "$name" "$(stat "$number" number_of_executed_units)" \
      "$(stat "$number" average_exec_per_sec)" "$(stat "$number" new_units_added)" \
      "$(echo $result) (${rest##* } s)"
  done
if [ "$status" -ne 0 ]; then
  echo "fuzzing failed; the whole output is in $log" >&2
  grep -E '^[0-9]+: (==[0-9]+==|SUMMARY|.*_fuzzer: )' "$log" | head -40 >&2 || true
fi
exit "$status"
