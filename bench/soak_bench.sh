#!/usr/bin/env bash
# Soak (issue 19): wrk at full speed against the responder for SOAK_SECONDS (longer when the
# signer's work takes longer: the load lasts until it is done, at most 3 x SOAK_SECONDS) while the signer
# re-signs every response twice (`run --force`) and revokes SOAK_REVOKE certificates in batches
# (`incident revoke --serials`); beside them a checker (bench/soak_tool.cpp check) samples
# responses and verifies each with OpenSSL against the store's truth. Prints HTTP requests and
# errors, checked/wrong/stale answers, the responder's RSS at start and end, and the slowest
# revocation batch from the signer's commit (its exit) until every serial of it is served
# revoked. Exit 1 when any HTTP error, wrong, stale or unverifiable answer was seen, a batch
# took 1 s or more, or the signer's work did not finish within 3 x SOAK_SECONDS.
#
#   bench/soak_bench.sh                       # 60 s, 5,000 certificates, 1,000 revocations
#   SOAK_SECONDS=15 SOAK_CERTS=1000 SOAK_REVOKE=200 bench/soak_bench.sh
# SOAK_BUILD: a build directory that already holds the programs and soak_tool (CI passes the
# test build); without it the script makes a Release build in build-bench-soak.
# Only ever binds 127.0.0.1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${SOAK_SECONDS:-60}
certs=${SOAK_CERTS:-5000}
revoke=${SOAK_REVOKE:-1000}
batches=${SOAK_BATCHES:-20}
if [[ -n ${SOAK_BUILD:-} ]]; then
  build=$SOAK_BUILD
else
  build="$root/build-bench-soak"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPKIREPO_BENCH=ON \
    -DPKIREPO_TESTS=OFF >/dev/null
  cmake --build "$build" --target pkirepo-signer pkirepo-responder soak_tool >/dev/null
fi
signer="$build/signer/pkirepo-signer"
responder="$build/responder/pkirepo-responder"
tool=$(find "$build" -name soak_tool -type f -perm -u+x | head -1)
[[ -x $tool ]] || { echo "soak_bench: no soak_tool in $build" >&2; exit 1; }
work=$(mktemp -d /tmp/pkirepo-soak.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [[ -n $p ]] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n ${SOAK_KEEP:-} ]] && echo "soak_bench: kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
export PKIREPO_TEST_PASSPHRASE="soak passphrase, not secret"
now() { date +%s.%N; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Every client here comes from 127.0.0.1: wrk's 64 connections alone reach the default
# per-address cap (64), which would turn the checker away. The cap is off for this one address.
{ cat "$root/tests/fixtures/pki.toml"; printf '\n[responder]\naccess_log = false\nper_ip_connections = 0\n'; } >"$work/pkirepo.toml"
cd "$work"
S=("$signer" -c "$work/pkirepo.toml" --operator soak)
"${S[@]}" init >/dev/null
mkdir -p csr certs
openssl ecparam -name prime256v1 -genkey -noout -out leaf.key 2>/dev/null
for i in $(seq "$certs"); do
  openssl req -new -key leaf.key -subj "/CN=h$i.soak.example.com" \
    -addext "subjectAltName=DNS:h$i.soak.example.com" -out "csr/$i.csr" 2>/dev/null
done
"${S[@]}" issue --profile tls-server --csr-dir csr --out-dir certs >/dev/null
"${S[@]}" run --quiet

port=$(free_port)
"$responder" -c "$work/pkirepo.toml" --listen "127.0.0.1:$port" --threads 2 >responder.log 2>&1 &
rpid=$!
pids+=("$rpid")
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$port/healthz" >/dev/null || { echo "soak_bench: responder not up" >&2; cat responder.log >&2; exit 1; }

"$tool" requests store tls req 500
cat >post.lua <<LUA
local bodies = {}
for i = 1, 500 do
  local f = io.open("$work/req/" .. i .. ".der", "rb"); bodies[i] = f:read("*a"); f:close()
end
local headers = { ["Content-Type"] = "application/ocsp-request" }
request = function()
  return wrk.format("POST", "/ocsp", headers, bodies[math.random(#bodies)])
end
LUA
"$tool" serials store tls "$revoke" >to-revoke.txt
split -n "l/$batches" -d -a 3 to-revoke.txt batch-

# Warm the responder, then measure its RSS at the start of the load.
wrk -t1 -c8 -d1s -s post.lua "http://127.0.0.1:$port/ocsp" >/dev/null 2>&1
rss_start=$(rss_kb "$rpid")
# The load runs at least `secs` and on until the signer's work is done, so every batch is
# committed and served under it (a slow host stretches the signer's work, not the check); it
# is stopped then (wrk prints its summary on SIGINT, the checker on SIGTERM). Bounded: at most
# three times `secs`.
limit=$((secs * 3))
wrk -t2 -c64 -d"${limit}s" --latency -s post.lua "http://127.0.0.1:$port/ocsp" >wrk.out 2>&1 &
wpid=$!
pids+=("$wpid")
"$tool" check store tls "127.0.0.1:$port" "$limit" >check.out 2>&1 &
cpid=$!
pids+=("$cpid")
t_start=$(now)

# The signer's work, in one process at a time (the store's writer lock): a full re-sign, half
# of the revocation batches, a second full re-sign, the other half.
resign() {
  local t0 t1
  t0=$(now)
  "${S[@]}" run --force --quiet
  t1=$(now)
  printf 'run --force (every response and CRL re-signed): %.2f s\n' "$(echo "$t1 - $t0" | bc -l)" >>signer.out
}
worst=0
revoke_batch() {  # FILE N
  local took
  "${S[@]}" incident revoke --ca tls --serials "$1" --reason superseded --ticket "SOAK-$2" >/dev/null
  took=$("$tool" await store tls "127.0.0.1:$port" "$1" 5) ||
    { echo "soak_bench: FAILED: batch $2 not served revoked within 5 s of its commit" >&2; exit 1; }
  echo "batch $2: $(wc -l <"$1") revoked, all served revoked ${took} s after the commit" >>signer.out
  if (($(echo "$took > $worst" | bc -l))); then worst=$took; fi
}
resign
n=0
mapfile -t files < <(ls batch-*)
half=$((${#files[@]} / 2))
for f in "${files[@]:0:$half}"; do n=$((n + 1)); revoke_batch "$f" "$n"; done
resign
for f in "${files[@]:$half}"; do n=$((n + 1)); revoke_batch "$f" "$n"; done
t_done=$(now)
signer_secs=$(echo "$t_done - $t_start" | bc -l)
rest=$(echo "$secs - $signer_secs" | bc -l)
if (($(echo "$rest > 0" | bc -l))); then sleep "$rest"; fi
load_secs=$(echo "$(now) - $t_start" | bc -l)
kill -INT "$wpid" 2>/dev/null || true
kill -TERM "$cpid" 2>/dev/null || true
wait "$wpid" || true
check_rc=0
wait "$cpid" || check_rc=$?
rss_end=$(rss_kb "$rpid")
kill "$rpid"
wait "$rpid" 2>/dev/null || true

requests=$(awk '/requests in/ {print $1}' wrk.out)
rps=$(awk '/Requests\/sec/ {print $2}' wrk.out)
http_errors=$(awk '/Non-2xx or 3xx responses/ {n += $NF} /Socket errors/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' wrk.out)
revoked_now=$({ "${S[@]}" incident select --ca tls --status revoked --json 2>/dev/null || true; } | wc -l)

printf 'soak: %.1f s of wrk -t2 -c64 (at least %d s, until the signer was done; POST, 500 request bodies over %d certificates), %d cores\n' "$load_secs" "$secs" "$certs" "$(nproc)"
printf '  HTTP: %s requests (%s/s), %s errors (non-2xx + socket)\n' "$requests" "$rps" "$http_errors"
printf '  %s\n' "$(cat check.out)"
sed 's/^/  signer: /' signer.out
printf '  signer work done %.1f s into the load; %d certificates revoked in the store\n' "$signer_secs" "$revoked_now"
printf '  slowest batch served revoked %.3f s after its commit (goal < 1 s)\n' "$worst"
printf '  responder RSS: %d KiB at start, %d KiB at end\n' "$rss_start" "$rss_end"
fail=0
[[ $http_errors == 0 ]] || { echo "soak_bench: FAILED: $http_errors HTTP errors" >&2; fail=1; }
[[ $check_rc == 0 ]] || { echo "soak_bench: FAILED: the checker saw wrong, stale or unverifiable answers" >&2; fail=1; }
(($(echo "$worst < 1" | bc -l))) || { echo "soak_bench: FAILED: a revocation took ${worst} s to be served" >&2; fail=1; }
(($(echo "$signer_secs < $limit" | bc -l))) || { echo "soak_bench: FAILED: the signer's work outlasted the load's ${limit} s bound" >&2; fail=1; }
((revoked_now == revoke)) || { echo "soak_bench: FAILED: $revoked_now revoked, expected $revoke" >&2; fail=1; }
exit "$fail"
