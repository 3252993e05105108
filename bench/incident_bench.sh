#!/usr/bin/env bash
# Incident response at scale (docs/incidents.md), on a store of INCIDENT_BENCH_N real leaf
# certificates (default 1,000,000) under the test PKI's issuing CA, every OCSP response signed
# by a `run` first, and a responder serving the store on 127.0.0.1:
#   - `incident select --san-domain` of one domain group (N/100 certificates) from the indexes
#     (goal < 1 s), against a walk of every certificate (`--subject-contains`) in the same run;
#   - `incident revoke` of that group (10,000 of 1,000,000) until the last of them is served
#     revoked by the running responder (goal < 10 s), beside `openssl ocsp` fetching one response;
#   - `revoke --publish` of one more certificate (goal < 1 s).
#
#   bench/incident_bench.sh
#   INCIDENT_BENCH_N=200000 bench/incident_bench.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
N=${INCIDENT_BENCH_N:-1000000}
GROUPS_=100
build="$root/build-bench-sign"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPKIREPO_BENCH=ON \
  -DPKIREPO_TESTS=OFF -DPKIREPO_SIMULATED_CLOCK=ON >/dev/null
if ! out=$(cmake --build "$build" --target pkirepo-signer pkirepo-responder incident_bench_tool 2>&1); then
  echo "$out" | tail -20 >&2
  exit 1
fi
signer="$build/signer/pkirepo-signer"
responder="$build/responder/pkirepo-responder"
tool="$build/bench/incident_bench_tool"
work=$(mktemp -d /tmp/pkirepo-incident-bench.XXXXXX)
rpid=
cleanup() {
  [[ -n $rpid ]] && kill "$rpid" 2>/dev/null && wait "$rpid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export PKIREPO_TEST_PASSPHRASE="bench passphrase, not secret"
export PKIREPO_NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }

cp "$root/tests/fixtures/pki.toml" "$work/pkirepo.toml"
cd "$work"
S=("$signer" -c "$work/pkirepo.toml" --operator bench)
"${S[@]}" init >/dev/null
t0=$(now)
last=$("$tool" populate "$work/store" tls "$N" "$GROUPS_" "$PKIREPO_NOW")
t1=$(now)
"${S[@]}" run --quiet
t2=$(now)
printf 'incident_bench: %d certificates (%d cores): populated in %.1f s, first run signed every response in %.1f s, store %s\n' \
  "$N" "$(nproc)" "$(secs "$t0" "$t1")" "$(secs "$t1" "$t2")" "$(du -sh store | cut -f1)"

# select: indexed, and the walk of every certificate as the reference.
t0=$(now)
matched=$("${S[@]}" incident select --san-domain g7.example.com --json | wc -l)
t1=$(now)
"${S[@]}" incident select --subject-contains .g7.example.com --json >/dev/null
t2=$(now)
sel=$(secs "$t0" "$t1")
walk=$(secs "$t1" "$t2")
printf 'select --san-domain g7.example.com: %d certificates in %.3f s (goal < 1 s); a walk of all %d (--subject-contains): %.3f s; index speedup %.1fx\n' \
  "$matched" "$sel" "$N" "$walk" "$(echo "$walk / $sel" | bc -l)"

# The responder, serving the store; the CA certificate for openssl ocsp.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$responder" -c "$work/pkirepo.toml" --listen "127.0.0.1:$port" --threads 2 >"$work/responder.log" 2>&1 &
rpid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$port/ca/tls.crt" | openssl x509 -inform DER -out "$work/tls.pem"
status_of() {
  openssl ocsp -issuer "$work/tls.pem" -serial "0x$1" -url "http://127.0.0.1:$port/" -noverify \
    -no_nonce 2>/dev/null | sed -n 's/^0x[0-9A-Fa-f]*: //p; s/^[0-9A-Fa-f]*: //p' | head -1
}
t0=$(now)
before=$(status_of "$last")
t1=$(now)
ref=$(secs "$t0" "$t1")
echo "openssl ocsp of one response from the responder: $before in $(printf '%.3f' "$ref") s (reference)"

t0=$(now)
"${S[@]}" incident revoke --san-domain g7.example.com --reason keyCompromise --ticket BENCH-1 \
  >"$work/revoke.out"
t1=$(now)
polls=0
until [[ $(status_of "$last") == revoked ]]; do
  polls=$((polls + 1))
  ((polls < 200)) || { echo "the responder never served $last revoked" >&2; exit 1; }
  sleep 0.05
done
t2=$(now)
printf 'incident revoke of %d of %d certificates: command %.2f s, last one served revoked after %.2f s (goal < 10 s; %.0fx one openssl ocsp fetch)\n' \
  "$matched" "$N" "$(secs "$t0" "$t1")" "$(secs "$t0" "$t2")" "$(echo "$(secs "$t0" "$t2") / $ref" | bc -l)"
sed 's/^/    /' "$work/revoke.out"

"${S[@]}" incident select --san-domain g8.example.com --json >"$work/g8.json" 2>/dev/null
one=$(sed -n '1s/.*"serial":"\([0-9a-f]*\)".*/\1/p' "$work/g8.json")
t0=$(now)
"${S[@]}" revoke --ca tls --serial "$one" --reason superseded --publish >/dev/null
t1=$(now)
until [[ $(status_of "$one") == revoked ]]; do sleep 0.02; done
t2=$(now)
printf 'revoke --publish of one of %d: command %.3f s, served revoked after %.3f s (goal < 1 s)\n' \
  "$N" "$(secs "$t0" "$t1")" "$(secs "$t0" "$t2")"
