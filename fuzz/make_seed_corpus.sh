#!/usr/bin/env bash
# Regenerates the seed corpora under fuzz/corpus/. Usage: fuzz/make_seed_corpus.sh [ocsp_request|csr]
# (default: both; the keys are fresh each run, so regenerate only the corpus you mean to change).
#
# ocsp_request/: OCSP requests as openssl builds them (SHA-1 and SHA-256 CertIDs, with and
# without a nonce, two CertIDs), each as a POST body ('P' + DER) and as a GET path ('G' +
# base64, plain, percent-encoded, unpadded). A throwaway CA made here.
#
# csr/: certificate requests as `openssl req` writes them: RSA-2048/4096, RSA-PSS, P-256/384/521,
# an EC key with explicit parameters, Ed25519, SM2; with and without a subjectAltName (DNS, IP,
# email, URI) and other attributes; PEM (also under the old "NEW CERTIFICATE REQUEST" label and
# with text around it) and DER.
set -euo pipefail
which=${1:-all}
corpus=$(cd "$(dirname "$0")" && pwd)/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

ocsp_request_corpus() {
out=$corpus/ocsp_request
mkdir -p "$out"
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
}

csr_corpus() {
out=$corpus/csr
rm -rf "$out"
mkdir -p "$out"
# $1 = key file, $2 = name, then `openssl req` options; writes name.pem and name.der.
csr() {
  local key=$1 name=$2
  shift 2
  openssl req -new -key "$key" -out "$out/$name.pem" "$@" 2>/dev/null
  openssl req -in "$out/$name.pem" -outform DER -out "$out/$name.der"
}
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048.key 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out rsa4096.key 2>/dev/null
openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -out rsapss.key 2>/dev/null
for curve in P-256 P-384 P-521; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:$curve -out $curve.key
done
openssl ecparam -name prime256v1 -param_enc explicit -genkey -noout -out explicit.key
openssl genpkey -algorithm ED25519 -out ed25519.key
openssl genpkey -algorithm SM2 -out sm2.key
san=subjectAltName=DNS:host.example.test,DNS:*.example.test,IP:192.0.2.1,IP:2001:db8::1
san=$san,email:hostmaster@example.test,URI:https://host.example.test/path
csr rsa2048.key rsa2048-san -subj /CN=host.example.test -addext "$san"
csr rsa2048.key rsa2048-pss-signature -subj /CN=host.example.test -sigopt rsa_padding_mode:pss \
  -addext subjectAltName=DNS:host.example.test
csr rsa4096.key rsa4096 -subj "/C=DE/O=Example/CN=host.example.test"
csr rsapss.key rsapss-key -subj /CN=host.example.test
csr P-256.key p256-san -subj /CN=host.example.test -addext "$san"
csr P-256.key p256 -subj /CN=host.example.test
csr P-384.key p384-san -subj /CN=host.example.test -sha384 -addext subjectAltName=IP:192.0.2.7
csr P-521.key p521-san -subj /CN=host.example.test -sha512 \
  -addext subjectAltName=email:a@example.test,URI:urn:example:a
csr explicit.key p256-explicit-params -subj /CN=host.example.test \
  -addext subjectAltName=DNS:host.example.test
csr ed25519.key ed25519-san -subj /CN=host.example.test -addext subjectAltName=DNS:a.example.test
csr sm2.key sm2 -subj /CN=host.example.test -sm3 -sigopt distid:1234567812345678
# Attributes besides the extension request (challengePassword, unstructuredName) and more
# extensions than a SAN.
cat > attributes.cnf <<'CNF'
[req]
distinguished_name = dn
attributes = attributes
req_extensions = extensions
prompt = no
[dn]
CN = host.example.test
O = Example
[attributes]
challengePassword = secret123
unstructuredName = fuzz
[extensions]
subjectAltName = DNS:host.example.test,IP:198.51.100.1
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
CNF
csr P-256.key p256-attributes -config attributes.cnf
# The old label, and PEM with text around it.
sed 's/CERTIFICATE REQUEST/NEW CERTIFICATE REQUEST/' "$out/p256-san.pem" > "$out/p256-san-new-label.pem"
{ printf 'Subject: host.example.test\n\n'; cat "$out/rsa2048-san.pem"; printf 'trailing text\n'; } \
  > "$out/rsa2048-san-text-around.pem"
echo "wrote $(ls "$out" | wc -l) seeds to $out"
}

case $which in
  ocsp_request) ocsp_request_corpus ;;
  csr) csr_corpus ;;
  all) ocsp_request_corpus; csr_corpus ;;
  *) echo "usage: $0 [ocsp_request|csr]" >&2; exit 2 ;;
esac
