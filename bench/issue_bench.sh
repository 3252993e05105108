#!/usr/bin/env bash
# Batch issuance throughput: N CSRs (P-256 and RSA-2048 subscriber keys) under an
# EC P-384 and an RSA-4096 issuing CA (CPS 6.1.5 sizes for new CAs), beside the limit measured
# in the same run with `openssl speed -multi <cores>`: one CSR verification, one certificate
# signature and the two first OCSP responses (SHA-1 and SHA-256 CertIDs, signed at issuance by
# the P-256 delegated responder) per certificate. Prints the ratio (goal >= 0.6) and the latency
# of one `issue`.
#
# This machine is shared and noisy: the reference and every case are measured
# ISSUE_BENCH_REPEAT times (default 3) and the medians are compared; every run is printed.
#
#   bench/issue_bench.sh            # N=10000
#   ISSUE_BENCH_N=2000 ISSUE_BENCH_REPEAT=1 bench/issue_bench.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
N=${ISSUE_BENCH_N:-10000}
REPEAT=${ISSUE_BENCH_REPEAT:-3}
cores=$(nproc)
build="$root/build-bench"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPKIREPO_BENCH=ON -DPKIREPO_TESTS=OFF >/dev/null
cmake --build "$build" --target pkirepo-signer pkirepo-demo-csrs >/dev/null
signer="$build/signer/pkirepo-signer"
work=$(mktemp -d /tmp/pkirepo-issue-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export PKIREPO_TEST_PASSPHRASE="bench passphrase, not secret"
# The test PKI (tests/fixtures): issuing CAs "tls" (EC P-384) and "tls-rsa" (RSA-4096).
cat "$root/tests/fixtures/pki.toml" "$root/tests/fixtures/ca-tls-rsa.toml" >"$work/pkirepo.toml"
"$signer" -c "$work/pkirepo.toml" --operator bench init >/dev/null

echo "generating $N P-256 and $N RSA-2048 CSRs ..."
"$build/examples/demo/tools/pkirepo-demo-csrs" "$work/csr-p256" "$N" ec-p256
"$build/examples/demo/tools/pkirepo-demo-csrs" "$work/csr-rsa2048" "$N" rsa-2048

echo "measuring the reference: openssl speed -multi $cores ..."
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
speeds=()
for ((r = 0; r < REPEAT; ++r)); do
  speeds+=("$(openssl speed -multi "$cores" -mr -seconds 3 ecdsap256 ecdsap384 rsa2048 rsa4096 2>/dev/null | grep -E '^\+F[24]:')")
done
rate() {  # rate KIND BITS sign|verify: the median over the reference runs
  local kind=$1 bits=$2 col=$3 s
  for s in "${speeds[@]}"; do
    echo "$s" | awk -F: -v k="+$kind" -v b="$bits" -v c="$col" '$1==k && $3==b { print (c=="sign") ? $4 : $5 }'
  done | median
}
p256_verify=$(rate F4 256 verify)
p256_sign=$(rate F4 256 sign)
p384_sign=$(rate F4 384 sign)
rsa2048_verify=$(rate F2 2048 verify)
rsa4096_sign=$(rate F2 4096 sign)

# Two rows per case: certificates kept in the store only (retrieved later with `show`), and
# also written out one PEM file each with --out-dir (file creation is kernel time the
# openssl reference does not have).
printf '\n%-10s %-10s %-12s %10s %14s %8s  %s\n' "CA key" "CSR key" "output" "issued/s" "openssl limit" "ratio" "runs (issued/s)"
run_case() {  # CA-ID CA-LABEL CSR-DIR CSR-LABEL SIGN-RATE VERIFY-RATE
  local ca=$1 ca_label=$2 dir=$3 csr_label=$4 sign=$5 verify=$6
  local mode start end r
  for mode in store out-dir; do
    local rates=()
    for ((r = 0; r < REPEAT; ++r)); do
      local extra=()
      [ "$mode" = out-dir ] && extra=(--out-dir "$work/out-$ca-$csr_label-$r")
      start=$(date +%s.%N)
      # --csr, not --csr-dir: a spool would move the requests away after the first run.
      "$signer" -c "$work/pkirepo.toml" --operator bench issue --profile tls-server --ca "$ca" \
        --csr "$dir"/*.csr "${extra[@]}" >/dev/null
      end=$(date +%s.%N)
      rates+=("$(awk -v n="$N" -v s="$start" -v e="$end" 'BEGIN { printf "%.0f", n / (e - s) }')")
    done
    local got; got=$(printf '%s\n' "${rates[@]}" | median)
    awk -v got="$got" -v sr="$sign" -v vr="$verify" -v osr="$p256_sign" -v a="$ca_label" \
        -v b="$csr_label" -v m="$mode" -v runs="${rates[*]}" 'BEGIN {
      limit = 1 / (1 / sr + 1 / vr + 2 / osr);
      printf "%-10s %-10s %-12s %10.0f %14.0f %8.2f  %s\n", a, b, m, got, limit, got / limit, runs }'
  done
}
run_case tls "EC P-384" "$work/csr-p256" "P-256" "$p384_sign" "$p256_verify"
run_case tls "EC P-384" "$work/csr-rsa2048" "RSA-2048" "$p384_sign" "$rsa2048_verify"
run_case tls-rsa "RSA-4096" "$work/csr-p256" "P-256" "$rsa4096_sign" "$p256_verify"
run_case tls-rsa "RSA-4096" "$work/csr-rsa2048" "RSA-2048" "$rsa4096_sign" "$rsa2048_verify"

# Latency of one single `issue` (process start, config, store, key decryption, sign, commit).
one="$work/csr-p256/00000000.csr"
times=()
for i in 1 2 3 4 5; do
  start=$(date +%s.%N)
  "$signer" -c "$work/pkirepo.toml" --operator bench issue --profile tls-server --ca tls --csr "$one" --out "$work/one.pem" >/dev/null
  end=$(date +%s.%N)
  times+=("$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", (e - s) * 1000 }')")
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
echo
echo "single issue latency (P-384 CA, P-256 CSR), median of 5: ${median} ms  [${times[*]}]"
echo "store size after $((8 * REPEAT * N + 5)) certificates: $(du -sh "$work/store" | cut -f1)"
