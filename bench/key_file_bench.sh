#!/usr/bin/env bash
# What the key derivation of key files (x509/key_file.h: PBKDF2-HMAC-SHA256, 600,000
# iterations) costs a signer command, beside OpenSSL's own cost of opening the same files in the
# same run. One `issue` of one CSR opens two keys (the issuing CA's and its responder's); it is
# timed with the files as `init` writes them and again after they are re-encrypted at 2,048
# iterations (what releases before 0.2 wrote): the difference is the derivation. The reference
# is `openssl pkey` opening the same two files at both costs. Prints seconds and the ratio.
#
#   bench/key_file_bench.sh           # 5 runs of each, medians
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
REPEAT=${KEY_BENCH_REPEAT:-5}
build="$root/build-bench"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPKIREPO_BENCH=ON -DPKIREPO_TESTS=OFF >/dev/null
cmake --build "$build" --target pkirepo-signer pkirepo-demo-csrs >/dev/null
signer="$build/signer/pkirepo-signer"
work=$(mktemp -d /tmp/pkirepo-key-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export PKIREPO_TEST_PASSPHRASE="bench passphrase, not secret"
cat "$root/tests/fixtures/pki.toml" >"$work/pkirepo.toml"
"$signer" -c "$work/pkirepo.toml" --operator bench init >/dev/null
"$build/examples/demo/tools/pkirepo-demo-csrs" "$work/csr" "$((2 * REPEAT))" ec-p256 >/dev/null
mapfile -t csrs < <(ls "$work/csr"/*.csr)
keys=("$work/keys/tls.pem" "$(ls "$work/keys"/tls-ocsp-*.pem | head -1)")

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
now() { date +%s.%N; }
time_issue() {  # FIRST-CSR-INDEX: median seconds of one `issue`
  local i start
  for ((i = 0; i < REPEAT; ++i)); do
    start=$(now)
    "$signer" -c "$work/pkirepo.toml" --operator bench issue --ca tls --profile tls-server \
      --csr "${csrs[$(($1 + i))]}" >/dev/null
    echo "$(now) - $start" | bc
  done | median
}
time_openssl() {  # median seconds for openssl to open both key files
  local i start k
  for ((i = 0; i < REPEAT; ++i)); do
    start=$(now)
    for k in "${keys[@]}"; do
      openssl pkey -in "$k" -passin env:PKIREPO_TEST_PASSPHRASE -noout
    done
    echo "$(now) - $start" | bc
  done | median
}

strong_issue=$(time_issue 0)
strong_openssl=$(time_openssl)
for k in "${keys[@]}"; do
  openssl pkcs8 -topk8 -in "$k" -passin env:PKIREPO_TEST_PASSPHRASE -v2 aes-256-cbc \
    -v2prf hmacWithSHA256 -iter 2048 -passout env:PKIREPO_TEST_PASSPHRASE -out "$k.weak"
  mv "$k.weak" "$k"
  chmod 600 "$k"
done
weak_issue=$(time_issue "$REPEAT")
weak_openssl=$(time_openssl)

cost=$(echo "$strong_issue - $weak_issue" | bc -l)
ref=$(echo "$strong_openssl - $weak_openssl" | bc -l)
printf 'one issue, keys at 600,000 iterations:  %.3f s\n' "$strong_issue"
printf 'one issue, keys at 2,048 iterations:    %.3f s\n' "$weak_issue"
printf 'derivation cost per command (2 keys):   %.3f s (%.3f s per key)\n' "$cost" "$(echo "$cost / 2" | bc -l)"
printf 'openssl pkey, same 2 keys, same change: %.3f s\n' "$ref"
printf 'ratio pkirepo / openssl:                %.2f\n' "$(echo "$cost / $ref" | bc -l)"
