#!/usr/bin/env bash
# Regenerates fuzz/corpus/ocsp_request/: OCSP requests as openssl builds them (SHA-1 and
# SHA-256 CertIDs, with and without a nonce, two CertIDs), each as a POST body ('P' + DER) and
# as a GET path ('G' + base64, plain, percent-encoded, unpadded). A throwaway CA made here.
set -euo pipefail
out=$(cd "$(dirname "$0")" && pwd)/corpus/ocsp_request
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
cd "$tmp"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
  -subj /CN=Fuzz-CA -days 30 -out ca.pem 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key \
  -subj /CN=leaf -out leaf.csr 2>/dev/null
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -set_serial 0x2a8b4b6c8854ec1d \
  -days 30 -out leaf.pem 2>/dev/null
n=0
emit() {  # $1 = request DER file, $2 = name
  { printf 'P'; cat "$1"; } > "$out/post-$2"
  b64=$(base64 -w0 "$1")
  printf 'G%s' "$b64" > "$out/get-$2"
  printf 'G%s' "${b64%%=*}" > "$out/get-unpadded-$2"
  printf 'G%s' "$b64" | sed 's/+/%2B/g; s#/#%2F#g; s/=/%3D/g' > "$out/get-pct-$2"
}
openssl ocsp -issuer ca.pem -cert leaf.pem -no_nonce -reqout r1.der
emit r1.der sha1
openssl ocsp -sha256 -issuer ca.pem -cert leaf.pem -no_nonce -reqout r2.der
emit r2.der sha256
openssl ocsp -sha256 -issuer ca.pem -cert leaf.pem -reqout r3.der
emit r3.der sha256-nonce
openssl ocsp -issuer ca.pem -serial 0x01 -serial 0x02 -no_nonce -reqout r4.der
emit r4.der two-certids
openssl ocsp -sha384 -issuer ca.pem -serial 0x01 -no_nonce -reqout r5.der
emit r5.der sha384
echo "wrote $(ls "$out" | wc -l) seeds to $out"
