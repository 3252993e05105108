#!/usr/bin/env bash
# `pkirepo-signer run` throughput, beside the limit measured in the same run with
# `openssl speed -multi <cores>`:
#   - a store of SIGN_BENCH_N certificates (default 1,000,000; 1% revoked) under a CPS-conformant
#     P-384 issuing CA whose delegated responder key is P-256: full `run` time, responses signed
#     per second, ratio to `openssl speed ecdsap256` sampled in slices before, during and after
#     the run (their mean; goal >= 0.85); then a no-op `run` on the fresh store (goal: < 2% of
#     the full run's time);
#   - the same with an RSA-2048 responder key on SIGN_BENCH_N_RSA certificates (default
#     100,000: RSA signs ~15x slower), ratio to `openssl speed rsa2048`;
#   - one CRL of SIGN_BENCH_CRL_ENTRIES (default 100,000) revoked entries signed with a P-384 CA
#     key: time and size.
#
#   bench/sign_bench.sh
#   SIGN_BENCH_N=200000 SIGN_BENCH_N_RSA=20000 SIGN_BENCH_REPEAT=1 bench/sign_bench.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
N=${SIGN_BENCH_N:-1000000}
N_RSA=${SIGN_BENCH_N_RSA:-100000}
CRL_N=${SIGN_BENCH_CRL_ENTRIES:-100000}
SPEED_SECONDS=${SIGN_BENCH_SPEED_SECONDS:-2}  # one reference slice
SLICE_EVERY=${SIGN_BENCH_SLICE_EVERY:-5}      # seconds of run time between slices
REPEAT=${SIGN_BENCH_REPEAT:-3}          # runs of the P-256 case (median ratio)
REPEAT_RSA=${SIGN_BENCH_REPEAT_RSA:-1}  # runs of the RSA case (a run takes a minute)
cores=$(nproc)
build="$root/build-bench-sign"
# A test build (PKIREPO_SIMULATED_CLOCK): the populated store and every run share PKIREPO_NOW.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPKIREPO_BENCH=ON \
  -DPKIREPO_TESTS=OFF -DPKIREPO_SIMULATED_CLOCK=ON >/dev/null
cmake --build "$build" --target pkirepo-signer sign_bench_tool >/dev/null
signer="$build/signer/pkirepo-signer"
tool="$build/bench/sign_bench_tool"
work=$(mktemp -d /tmp/pkirepo-sign-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export PKIREPO_TEST_PASSPHRASE="bench passphrase, not secret"
export PKIREPO_NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# sign/s column of `openssl speed -multi`, for the line matching $2.
speed() {
  openssl speed -multi "$cores" -seconds "$SPEED_SECONDS" "$1" 2>/dev/null |
    awk -v pat="$2" '$0 ~ pat { v = $(NF-1) } END { print v }'
}

now() { date +%s.%N; }

# Microseconds since the epoch, without forking (the polling below must not steal the run's CPU).
now_us() { echo "${EPOCHREALTIME/./}"; }

# True while process $1 runs (a zombie has finished); bash builtins only.
running() {
  local stat
  [[ -r /proc/$1/stat ]] && read -r stat <"/proc/$1/stat" 2>/dev/null || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

# Runs "$@" (stdout to $out_file) and samples the reference while it runs: the host is shared and
# its speed drifts by 10-20% within a minute, so a reference taken only before and after a
# 45-second run can describe a different machine. Every $SLICE_EVERY seconds of run time the run
# is paused (SIGSTOP) while `speed $ref_alg $ref_line` measures for $SPEED_SECONDS, then resumed;
# one slice is also taken right before and one right after. Sets run_seconds (wall time minus
# the pauses), run_rc, ref_slices (one sign/s figure per slice) and ref_mean.
sliced_run() {
  ref_slices=("$(speed "$ref_alg" "$ref_line")")
  local t0 pid paused=0 p0 last tick
  exec {tick}<> <(:)  # never readable: `read -t` on it is a sleep without a process
  t0=$(now_us)
  "$@" >"$out_file" &
  pid=$!
  last=$t0
  while running "$pid"; do
    read -r -t 0.1 -u "$tick" || true
    if running "$pid" && (($(now_us) - last >= SLICE_EVERY * 1000000)); then
      kill -STOP "$pid"
      p0=$(now_us)
      ref_slices+=("$(speed "$ref_alg" "$ref_line")")
      kill -CONT "$pid"
      last=$(now_us)
      paused=$((paused + last - p0))
    fi
  done
  exec {tick}<&-
  run_rc=0
  wait "$pid" || run_rc=$?
  run_seconds=$(echo "($(now_us) - $t0 - $paused) / 1000000" | bc -l)
  ref_slices+=("$(speed "$ref_alg" "$ref_line")")
  ref_mean=$(printf '%s\n' "${ref_slices[@]}" | awk '{ s += $1 } END { print s / NR }')
}

# $1 responder key algorithm, $2 certificates, $3 `openssl speed` algorithm, $4 its line, $5 runs
bench_store() {
  local alg=$1 n=$2 dir="$work/$1"
  mkdir -p "$dir"
  # The test PKI (tests/fixtures) with the responder key algorithm under test.
  { cat "$root/tests/fixtures/pki.toml"; printf '\n[ocsp]\n%s\n' "responder_key = \"$alg\""; } >"$dir/pkirepo.toml"
  "$signer" -c "$dir/pkirepo.toml" --operator bench init >/dev/null
  "$tool" populate "$dir/store" tls "$n" 1 "$PKIREPO_NOW" >/dev/null
  cp -a "$dir/store" "$dir/store.populated"
  # The run is repeated $5 times on copies of the same store; the last line gives the median
  # ratio. The copy is synced first so that the run does not pay for writing it back.
  local ratios=() i
  for ((i = 1; i <= $5; ++i)); do
    rm -rf "$dir/store"
    cp -a "$dir/store.populated" "$dir/store"
    sync
    local t1 t2 out signed line
    out_file="$dir/run.out" ref_alg=$3 ref_line=$4
    sliced_run "$signer" -c "$dir/pkirepo.toml" --operator bench run
    out=$(cat "$out_file")
    if ((run_rc != 0)); then
      echo "$alg run $i failed ($run_rc): $out" >&2
      exit 1
    fi
    t1=$(now)
    "$signer" -c "$dir/pkirepo.toml" --operator bench run >/dev/null
    t2=$(now)
    signed=$(echo "$out" | sed -n 's/.*OCSP \([0-9]*\) signed.*/\1/p')
    line=$(awk -v alg="$alg" -v n="$n" -v signed="$signed" -v full="$run_seconds" \
        -v noop="$(echo "$t2 - $t1" | bc -l)" -v ref="$ref_mean" -v cores="$cores" -v i="$i" \
        -v slices="${#ref_slices[@]}" -v lo="$(printf '%s\n' "${ref_slices[@]}" | sort -n | head -1)" \
        -v hi="$(printf '%s\n' "${ref_slices[@]}" | sort -n | tail -1)" 'BEGIN {
      rate = signed / full
      printf "%-9s run %d: %9d certs  %9d responses  full run %7.2f s  %8.0f responses/s  openssl speed -multi %d: %8.0f sign/s (mean of %d slices, %.0f-%.0f)  ratio %.3f  no-op run %.3f s (%.2f%% of full)\n",
        alg, i, n, signed, full, rate, cores, ref, slices, lo, hi, rate / ref, noop, 100 * noop / full
    }')
    echo "$line"
    echo "          $out"
    ratios+=("$(echo "$line" | sed -n 's/.* ratio \([0-9.]*\) .*/\1/p')")
  done
  du -sh "$dir/store" | awk '{ print "          store size " $1 }'
  printf '%s\n' "${ratios[@]}" | sort -n | awk -v alg="$alg" -v runs="$5" \
    '{ r[NR] = $1 } END { printf "%-9s median ratio over %d runs: %.3f (runs: ", alg, runs, r[int((NR + 1) / 2)]
       for (i = 1; i <= NR; ++i) printf "%s%s", r[i], i < NR ? " " : ")\n" }'
  rm -rf "$dir"
}

echo "sign_bench: $cores cores, OpenSSL $(openssl version | awk '{print $2}'), now $PKIREPO_NOW"
bench_store ec-p256 "$N" ecdsap256 "nistp256" "$REPEAT"
bench_store rsa-2048 "$N_RSA" rsa2048 "^rsa 2048" "$REPEAT_RSA"
p384_ref=$(speed ecdsap384 "nistp384")
echo "P-384 (CA keys): openssl speed -multi $cores: $p384_ref sign/s — one signature per CRL shard:"
"$tool" crl "$CRL_N" | sed 's/^/          /'
