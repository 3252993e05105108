// Direct tests of core/x509/der: the parsers read one whole value from a bounded view and return
// nullptr for anything else (empty, truncated, trailing bytes, another type); PEM or DER is
// decided by content; to_der/to_pem round-trip. The parsers are OpenSSL's BER readers: a
// non-minimal or indefinite length is read, and to_der gives the DER encoding back.
#include "x509/der.h"

#include <openssl/ocsp.h>

#include <catch2/catch.hpp>
#include <string>

#include "support/test_support.h"
#include "x509/cert_info.h"
#include "x509/time.h"

using namespace pkirepo;

namespace {

constexpr UnixTime kNow = 1795313729;  // 2026-11-22T02:15:29Z

struct Signed {
  EvpPkeyPtr key;
  X509Ptr cert;
};

Signed self_signed(const std::string& subject) {
  Signed s{test::make_key("ec-p256"), X509Ptr(X509_new())};
  X509* c = s.cert.get();
  X509_set_version(c, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(c), 4242);
  const X509NamePtr name = parse_name(subject);
  X509_set_subject_name(c, name.get());
  X509_set_issuer_name(c, name.get());
  X509_set1_notBefore(c, make_x509_time(kNow).get());
  X509_set1_notAfter(c, make_x509_time(kNow + 86400).get());
  X509_set_pubkey(c, s.key.get());
  REQUIRE(X509_sign(c, s.key.get(), EVP_sha256()) > 0);
  return s;
}

X509CrlPtr empty_crl(const Signed& issuer) {
  X509CrlPtr crl(X509_CRL_new());
  X509_CRL_set_version(crl.get(), 1);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer.cert.get()));
  X509_CRL_set1_lastUpdate(crl.get(), make_x509_time(kNow).get());
  X509_CRL_set1_nextUpdate(crl.get(), make_x509_time(kNow + 7 * 86400).get());
  REQUIRE(X509_CRL_sign(crl.get(), issuer.key.get(), EVP_sha256()) > 0);
  return crl;
}

Bytes plus(Bytes b, std::initializer_list<uint8_t> more) {
  b.insert(b.end(), more);
  return b;
}

Bytes first(const Bytes& b, size_t n) {
  return Bytes(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
}

// The outer SEQUENCE's header length (tag + length octets) of a DER value.
size_t header_size(const Bytes& der) {
  REQUIRE(der.size() > 2);
  return (der[1] & 0x80) != 0 ? 2 + static_cast<size_t>(der[1] & 0x7f) : 2;
}

// The same value with its outer length written in `length_octets` bytes: non-minimal BER.
Bytes with_long_length(const Bytes& der, size_t length_octets) {
  const size_t content = der.size() - header_size(der);
  Bytes out = {der[0], static_cast<uint8_t>(0x80 | length_octets)};
  for (size_t i = length_octets; i-- > 0;) {
    out.push_back(static_cast<uint8_t>(i < sizeof(size_t) ? content >> (8 * i) : 0));
  }
  out.insert(out.end(), der.begin() + static_cast<std::ptrdiff_t>(header_size(der)), der.end());
  return out;
}

// The same value with an indefinite outer length and end-of-contents octets: BER, not DER.
Bytes with_indefinite_length(const Bytes& der) {
  Bytes out = {der[0], 0x80};
  out.insert(out.end(), der.begin() + static_cast<std::ptrdiff_t>(header_size(der)), der.end());
  return plus(out, {0x00, 0x00});
}

// What `parse` reads from `input` encodes to `der` again.
template <class Parse>
void check_reads_back(Parse parse, ByteView input, const Bytes& der) {
  auto parsed = parse(input);
  REQUIRE(parsed);
  CHECK(to_der(parsed.get()) == der);
}

}  // namespace

TEST_CASE("der: a certificate, a CRL and a CSR round-trip through DER and PEM", "[der]") {
  const Signed ca = self_signed("CN=DER Test,O=Test,C=US");
  const Bytes der = to_der(ca.cert.get());
  REQUIRE(der.size() > 128);
  CHECK(der[0] == 0x30);  // a SEQUENCE
  X509Ptr parsed = parse_cert_der(der);
  REQUIRE(parsed);
  CHECK(to_der(parsed.get()) == der);
  CHECK(subject_string(parsed.get()) == "CN=DER Test,O=Test,C=US");
  CHECK(serial_hex(parsed.get()) == "1092");  // 4242

  const std::string pem = to_pem(ca.cert.get());
  CHECK(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
  CHECK(pem.ends_with("-----END CERTIFICATE-----\n"));
  CHECK(looks_like_pem(as_bytes(pem)));
  CHECK_FALSE(looks_like_pem(der));
  check_reads_back(parse_cert_any, as_bytes(pem), der);
  check_reads_back(parse_cert_any, der, der);

  const Bytes crl_der = to_der(empty_crl(ca).get());
  check_reads_back(parse_crl_der, crl_der, crl_der);
  CHECK(to_pem(empty_crl(ca).get()).starts_with("-----BEGIN X509 CRL-----\n"));

  const X509ReqPtr csr = test::make_csr(ca.key.get(), "csr.example.com", {"csr.example.com"});
  const Bytes csr_der = to_der(csr.get());
  const std::string csr_pem = to_pem(csr.get());
  CHECK(csr_pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----\n"));
  check_reads_back(parse_csr_der, csr_der, csr_der);
  check_reads_back(parse_csr_any, as_bytes(csr_pem), csr_der);
  check_reads_back(parse_csr_any, csr_der, csr_der);
}

TEST_CASE("der: empty, truncated, overlong and trailing input is refused", "[der]") {
  const Signed ca = self_signed("CN=DER Test,O=Test,C=US");
  const Bytes der = to_der(ca.cert.get());
  REQUIRE(parse_cert_der(der));

  CHECK_FALSE(parse_cert_der(Bytes{}));
  CHECK_FALSE(parse_cert_der(Bytes{0x30}));                   // a tag, no length
  CHECK_FALSE(parse_cert_der(first(der, 3)));                 // the length octets cut short
  CHECK_FALSE(parse_cert_der(first(der, header_size(der))));  // a header, no contents
  CHECK_FALSE(parse_cert_der(first(der, der.size() - 1)));    // the signature cut short
  CHECK_FALSE(parse_cert_der(first(der, der.size() / 2)));

  // The header claims one byte more than there is.
  Bytes overlong = der;
  REQUIRE(overlong[1] == 0x82);  // two length octets: certificates are 256 bytes or longer
  overlong[3] = static_cast<uint8_t>(overlong[3] + 1);
  CHECK_FALSE(parse_cert_der(overlong));
  CHECK_FALSE(parse_cert_der(plus(overlong, {0x00})));  // ... and the byte is junk inside

  // A whole value followed by anything is not that value.
  CHECK_FALSE(parse_cert_der(plus(der, {0x00})));
  CHECK_FALSE(parse_cert_der(plus(der, {0x00, 0x00})));  // not even end-of-contents octets
  CHECK_FALSE(parse_cert_der(plus(der, {0x30, 0x00})));  // nor an empty SEQUENCE
  Bytes twice = der;
  twice.insert(twice.end(), der.begin(), der.end());
  CHECK_FALSE(parse_cert_der(twice));

  // A length of 4 GiB.
  Bytes huge = {0x30, 0x84, 0xff, 0xff, 0xff, 0xff};
  huge.insert(huge.end(), der.begin() + static_cast<std::ptrdiff_t>(header_size(der)), der.end());
  CHECK_FALSE(parse_cert_der(huge));
  // Another tag (a SET) or another type altogether.
  Bytes set = der;
  set[0] = 0x31;
  CHECK_FALSE(parse_cert_der(set));
  CHECK_FALSE(parse_crl_der(der));
  CHECK_FALSE(parse_csr_der(der));
  CHECK_FALSE(parse_cert_der(to_der(empty_crl(ca).get())));
  CHECK_FALSE(
      parse_cert_any(as_bytes(std::string("-----BEGIN CERTIFICATE-----\nAAAA\n"
                                          "-----END CERTIFICATE-----\n"))));
}

TEST_CASE("der: every parser refuses trailing bytes", "[der]") {
  const Signed ca = self_signed("CN=DER Test,O=Test,C=US");
  const Bytes crl = to_der(empty_crl(ca).get());
  CHECK(parse_crl_der(crl));
  CHECK_FALSE(parse_crl_der(plus(crl, {0x00})));
  CHECK_FALSE(parse_crl_der(first(crl, crl.size() - 1)));

  const Bytes csr = to_der(test::make_csr(ca.key.get(), "a.example.com").get());
  CHECK(parse_csr_der(csr));
  CHECK_FALSE(parse_csr_der(plus(csr, {0x00})));
  CHECK_FALSE(parse_csr_der(first(csr, csr.size() - 1)));

  OcspRequestPtr req(OCSP_REQUEST_new());
  OCSP_CERTID* id = OCSP_cert_to_id(EVP_sha1(), ca.cert.get(), ca.cert.get());
  REQUIRE(id != nullptr);
  REQUIRE(OCSP_request_add0_id(req.get(), id) != nullptr);  // the request owns `id` now
  const Bytes req_der = to_der(req.get());
  CHECK(parse_ocsp_request_der(req_der));
  CHECK_FALSE(parse_ocsp_request_der(plus(req_der, {0x00})));
  CHECK_FALSE(parse_ocsp_request_der(first(req_der, req_der.size() - 1)));
  CHECK_FALSE(parse_ocsp_request_der(Bytes{}));

  OcspResponsePtr resp(OCSP_response_create(OCSP_RESPONSE_STATUS_TRYLATER, nullptr));
  const Bytes resp_der = to_der(resp.get());
  CHECK(resp_der == Bytes{0x30, 0x03, 0x0a, 0x01, 0x03});  // RFC 6960 4.2.1: tryLater (3)
  CHECK(parse_ocsp_response_der(resp_der));
  CHECK_FALSE(parse_ocsp_response_der(plus(resp_der, {0x00})));
  CHECK_FALSE(parse_ocsp_response_der(first(resp_der, 4)));
}

TEST_CASE("der: BER lengths are read, and to_der writes DER again", "[der]") {
  // The parsers are OpenSSL's d2i readers, which take BER: the trailing-bytes check is what
  // they add. Whoever needs the exact bytes a peer sent keeps the input; to_der of what was
  // parsed is the canonical encoding, never the BER one.
  const Signed ca = self_signed("CN=DER Test,O=Test,C=US");
  const Bytes der = to_der(ca.cert.get());

  const Bytes non_minimal = with_long_length(der, 4);
  REQUIRE(non_minimal.size() == der.size() + 2);
  X509Ptr from_non_minimal = parse_cert_der(non_minimal);
  REQUIRE(from_non_minimal);
  CHECK(to_der(from_non_minimal.get()) == der);
  CHECK_FALSE(parse_cert_der(plus(non_minimal, {0x00})));
  // Even nine length octets: OpenSSL skips the leading zero ones before it counts them.
  X509Ptr from_nine = parse_cert_der(with_long_length(der, 9));
  REQUIRE(from_nine);
  CHECK(to_der(from_nine.get()) == der);

  const Bytes indefinite = with_indefinite_length(der);
  X509Ptr from_indefinite = parse_cert_der(indefinite);
  REQUIRE(from_indefinite);
  CHECK(to_der(from_indefinite.get()) == der);
  // Without its end-of-contents octets an indefinite value is truncated.
  CHECK_FALSE(parse_cert_der(first(indefinite, indefinite.size() - 2)));
  CHECK_FALSE(parse_cert_der(plus(indefinite, {0x00})));
}

TEST_CASE("der: looks_like_pem finds the marker anywhere, memory_bio reads the bytes given",
          "[der]") {
  CHECK(looks_like_pem(as_bytes("-----BEGIN CERTIFICATE-----")));
  CHECK(looks_like_pem(as_bytes("comment line\n-----BEGIN X509 CRL-----\n")));
  CHECK_FALSE(looks_like_pem(as_bytes("-----BEGIN")));  // no space: not the marker
  CHECK_FALSE(looks_like_pem(as_bytes("")));
  CHECK_FALSE(looks_like_pem(Bytes{0x30, 0x82, 0x01, 0x00}));

  const std::string text = "pkirepo memory BIO";
  BioPtr bio = memory_bio(as_bytes(text));
  REQUIRE(bio);
  std::string read(text.size() + 8, '\0');
  const int n = BIO_read(bio.get(), read.data(), static_cast<int>(read.size()));
  REQUIRE(n == static_cast<int>(text.size()));
  read.resize(static_cast<size_t>(n));
  CHECK(read == text);
}
