#!/usr/bin/env bash
# Regenerates the seed corpora under fuzz/corpus/. Usage:
#   fuzz/make_seed_corpus.sh [ocsp_request|csr|config|front_matter|markdown|get_path]
# (default: all; the keys of the first two are fresh each run, so regenerate only the corpus you
# mean to change; the last four are made from files in the repository and come out the same).
#
# ocsp_request/: OCSP requests as openssl builds them (SHA-1 and SHA-256 CertIDs, with and
# without a nonce, two CertIDs), each as a POST body ('P' + DER) and as a GET path ('G' +
# base64, plain, percent-encoded, unpadded). A throwaway CA made here.
#
# csr/: certificate requests as `openssl req` writes them: RSA-2048/4096, RSA-PSS, P-256/384/521,
# an EC key with explicit parameters, Ed25519, SM2; with and without a subjectAltName (DNS, IP,
# email, URI) and other attributes; PEM (also under the old "NEW CERTIFICATE REQUEST" label and
# with text around it) and DER.
#
# config/: examples/demo/pkirepo.toml, and small configs (one root, inline tables, every table).
# front_matter/: demo site files (front matter and the first lines of body), an audit record.
# markdown/: option byte (bit 0 safe, bit 1 no tag resolver) + Markdown: slices of the demo CPS
# with GFM tables and the site's {{pkirepo:...}} tags, and small hand-written cases.
# get_path/: 'D' + the GET paths of ocsp_request/ (differential), and 'R' + an encoding byte +
# the DER of its POST bodies (round trip).
set -euo pipefail
which=${1:-all}
repo=$(cd "$(dirname "$0")/.." && pwd)
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

config_corpus() {
out=$corpus/config
rm -rf "$out"
mkdir -p "$out"
cp "$repo/examples/demo/pkirepo.toml" "$out/demo.toml"
cat > "$out/one-root.toml" <<'TOML'
[repository]
name = "Fuzz PKI"
store = "store"
base_url = "http://pki.example.test"

[[ca]]
id = "root"
role = "root"
subject = "CN=Root,O=Fuzz,C=US"
key = { algorithm = "ec-p384", file = "keys/root.pem" }
validity = "20y"
TOML
cat > "$out/issuing.toml" <<'TOML'
[repository]
name = "Fuzz PKI"
store = "store"
base_url = "http://pki.example.test/"

[[profile]]
id = "tls-server"
validity = "47d"
eku = ["serverAuth", "clientAuth"]
policy_oids = ["2.23.140.1.2.1"]
require_san = true

[[ca]]
id = "root"
role = "root"
subject = "CN=Root,O=Fuzz,C=US"
key = { algorithm = "rsa-4096", file = "keys/root.pem" }
validity = "25y"

[[ca]]
id = "tls"
role = "issuing"
parent = "root"
subject = "CN=TLS,O=Fuzz,C=US"
key.algorithm = "ec-p384"
key.file = "keys/tls.pem"
validity = "6y"
profiles = ["tls-server"]

[ocsp]
validity = "4d"
refresh = "half"
cert_id_hashes = ["sha1", "sha256"]

[crl]
validity = "7d"
shards = 2

[site]
source = "site"
templates = "site-templates"
output = "public"
TOML
printf '[repository]\nname = """multi\nline"""\nstore = \x27lit\x27\nbase_url = "http://a"\n# comment\n' \
  > "$out/strings.toml"
printf 'a.b.c = 1\n[x.y]\nz = [1, [2, {k = 3.5}]]\n' > "$out/nesting.toml"
echo "wrote $(ls "$out" | wc -l) seeds to $out"
}

front_matter_corpus() {
out=$corpus/front_matter
rm -rf "$out"
mkdir -p "$out"
site=$repo/examples/demo/site
# Front matter and the first lines of the body: the body is not what this target reads.
for f in cps/2.2.md cp/1.0.md privacy.md incidents/2026-10-03-ocsp-latency.md; do
  head -n 14 "$site/$f" > "$out/$(echo "$f" | tr / -)"
done
cp "$site/audits/2026-webtrust-br.toml" "$out/audit.toml"
printf '\xef\xbb\xbf+++\r\ntitle = "T"\r\nkind = "other"\r\nversion = "1"\r\neffective = "2026-01-01"\r\n+++\r\n' \
  > "$out/bom-crlf.md"
printf '+++\ntitle = "Report"\ndate = 2026-11-01\nstatus = "open"\nticket = "INC-1"\ndetected = 2026-11-01T08:00:00Z\nnotification_deadline = 2026-11-02T08:00:00Z\naffected = "a.csv"\ncertificates = 3\n+++\nbody\n' \
  > "$out/incident-report.md"
echo "wrote $(ls "$out" | wc -l) seeds to $out"
}

markdown_corpus() {
out=$corpus/markdown
rm -rf "$out"
mkdir -p "$out"
cps=$repo/examples/demo/site/cps/2.2.md
# $1 = option byte (octal escape), $2 = name; Markdown on stdin.
seed() { { printf "$1"; cat; } > "$out/$2"; }
sed -n '10,40p' "$cps" | seed '\000' cps-intro
sed -n '80,100p' "$cps" | seed '\000' cps-table
sed -n '360,372p;460,470p' "$cps" | seed '\001' cps-tags-safe
printf '# T\n\n## 4.9.7 CRL\n\n## 4.9.7 again\n\n### Change history\n\n{{pkirepo:ca-table}}\n\n{{pkirepo:profile-table nope}}\n' \
  | seed '\000' headings-tags
printf '<script>x</script>\n\n[a](javascript:alert(1)) www.example.test ~~s~~ <b>raw</b>\n\n| a | b |\n|:-|-:|\n| `c` | *d* |\n' \
  | seed '\001' safe-mode
printf '> - [ ] 1. *a* **b** `c`\n>     code\n\n```\nfence\n```\n\n[r]: http://x "t"\n\n![i](http://x/y.png) [r]\n' \
  | seed '\002' blocks-no-resolver
echo "wrote $(ls "$out" | wc -l) seeds to $out"
}

get_path_corpus() {
out=$corpus/get_path
rm -rf "$out"
mkdir -p "$out"
for f in "$corpus"/ocsp_request/get-*; do
  { printf 'D'; tail -c +2 "$f"; } > "$out/D-$(basename "$f")"
done
# Round trip: 'R', the encoding byte (bit 0 url-safe, 1 padded, 2 percent-encoded, 3 '+' as
# ' ', 4 line breaks), the DER.
n=0
for how in '\002' '\001' '\006' '\012' '\037'; do
  n=$((n + 1))
  { printf "R$how"; tail -c +2 "$corpus/ocsp_request/post-sha256-nonce"; } > "$out/R-$n"
done
echo "wrote $(ls "$out" | wc -l) seeds to $out"
}

case $which in
  ocsp_request) ocsp_request_corpus ;;
  csr) csr_corpus ;;
  config) config_corpus ;;
  front_matter) front_matter_corpus ;;
  markdown) markdown_corpus ;;
  get_path) get_path_corpus ;;
  all) ocsp_request_corpus; csr_corpus; config_corpus; front_matter_corpus; markdown_corpus
    get_path_corpus ;;
  *) echo "usage: $0 [ocsp_request|csr|config|front_matter|markdown|get_path]" >&2; exit 2 ;;
esac
