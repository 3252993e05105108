// The request decoder's two paths (responder/ocsp_request.h): the canonical-shape comparison
// must accept exactly the plain requests OpenSSL encodes, and wherever it accepts, agree with
// d2i_OCSP_REQUEST on every byte of the store key.
#include "responder/ocsp_request.h"

#include <openssl/ocsp.h>

#include <catch2/catch.hpp>

#include "pki_fixture.h"
#include "x509/der.h"

using namespace pkirepo;
using namespace pkirepo::responder;

namespace {

const test::FixtureCa& ca() {
  static const test::FixtureCa c = test::make_fixture_ca("ec-ca", "ec-p256");
  return c;
}

// A request for `serial` (any ASN1_INTEGER, negative and zero included) built by OpenSSL.
Bytes request_for(const ASN1_INTEGER* serial, const EVP_MD* md) {
  OcspRequestPtr req(OCSP_REQUEST_new());
  OcspCertIdPtr id(OCSP_cert_id_new(md, X509_get_subject_name(ca().cert.get()),
                                    X509_get0_pubkey_bitstr(ca().cert.get()), serial));
  REQUIRE(id);
  REQUIRE(OCSP_request_add0_id(req.get(), id.get()) != nullptr);
  (void)id.release();
  return to_der(req.get());
}

Bytes request_for_int(long v) {
  Asn1IntegerPtr s(ASN1_INTEGER_new());
  REQUIRE(ASN1_INTEGER_set(s.get(), v) == 1);
  return request_for(s.get(), EVP_sha1());
}

// Both paths on `der`; when the canonical one accepts, the general one must say ok with the
// same key (and no nonce). Returns whether the canonical path accepted.
bool agree(ByteView der) {
  DecodedRequest fast;
  const bool accepted = decode_canonical_ocsp_request(der, fast);
  DecodedRequest general;
  const RequestDecode g = decode_ocsp_request_general(der, general);
  if (accepted) {
    REQUIRE(g == RequestDecode::ok);
    REQUIRE(!general.has_nonce);
    REQUIRE(fast.key.hash == general.key.hash);
    REQUIRE(Bytes(fast.key.view().begin(), fast.key.view().end()) ==
            Bytes(general.key.view().begin(), general.key.view().end()));
  }
  DecodedRequest both;
  REQUIRE(decode_ocsp_request(der, both) == (accepted ? RequestDecode::ok : g));
  return accepted;
}

}  // namespace

TEST_CASE("canonical requests: every hash and serial length, same key as d2i",
          "[responder][ocsp][request]") {
  for (CertIdHash hash : {CertIdHash::sha1, CertIdHash::sha256}) {
    for (size_t len = 1; len <= kMaxSerialBytes; ++len) {
      for (uint8_t first : {uint8_t{0x01}, uint8_t{0x7f}, uint8_t{0x80}, uint8_t{0xff}}) {
        Bytes serial(len, 0);
        for (size_t i = 0; i < len; ++i) {
          serial[i] = static_cast<uint8_t>(0x3d * (i + 1) + len);
        }
        serial[0] = first;
        INFO(cert_id_hash_name(hash) << " serial " << to_hex(serial));
        Bytes der = test::make_request(ca(), serial, hash);
        CHECK(agree(der));
        DecodedRequest d;
        REQUIRE(decode_ocsp_request(der, d) == RequestDecode::ok);
        CHECK(d.request == nullptr);  // answered without d2i
        const size_t digest = hash == CertIdHash::sha1 ? 20 : 32;
        CHECK(d.key.size == 1 + 2 * digest + len);
        CHECK(Bytes(d.key.view().end() - static_cast<std::ptrdiff_t>(len), d.key.view().end()) ==
              serial);
      }
    }
  }
}

TEST_CASE("not canonical: the general path answers, as before", "[responder][ocsp][request]") {
  const Bytes serial = test::serial_of(0x1001);
  Bytes nonce = test::make_request(ca(), serial, CertIdHash::sha1, 16);
  CHECK_FALSE(agree(nonce));
  DecodedRequest d;
  REQUIRE(decode_ocsp_request(nonce, d) == RequestDecode::ok);
  CHECK(d.has_nonce);
  CHECK(d.request != nullptr);  // kept for nonce echoing

  Bytes two = test::make_request(ca(), {serial, test::serial_of(0x1002)}, CertIdHash::sha1);
  CHECK_FALSE(agree(two));
  CHECK(decode_ocsp_request(two, d) == RequestDecode::malformed);

  CHECK_FALSE(agree(request_for_int(0)));
  CHECK(decode_ocsp_request(request_for_int(0), d) == RequestDecode::serial_out_of_range);
  CHECK_FALSE(agree(request_for_int(-5)));
  CHECK(decode_ocsp_request(request_for_int(-5), d) == RequestDecode::serial_out_of_range);

  Bytes long_serial(kMaxSerialBytes + 1, 0x42);
  Bytes too_long = test::make_request(ca(), long_serial, CertIdHash::sha1);
  CHECK_FALSE(agree(too_long));
  CHECK(decode_ocsp_request(too_long, d) == RequestDecode::serial_out_of_range);

  Asn1IntegerPtr s(ASN1_INTEGER_new());
  REQUIRE(ASN1_INTEGER_set(s.get(), 0x1001) == 1);
  Bytes sha384 = request_for(s.get(), EVP_sha384());
  CHECK_FALSE(agree(sha384));
  CHECK(decode_ocsp_request(sha384, d) == RequestDecode::unknown_hash);

  Bytes good = test::make_request(ca(), serial, CertIdHash::sha1);
  Bytes trailing = good;
  trailing.push_back(0);
  CHECK_FALSE(agree(trailing));
  CHECK(decode_ocsp_request(trailing, d) == RequestDecode::malformed);
  Bytes truncated(good.begin(), good.end() - 1);
  CHECK_FALSE(agree(truncated));
  CHECK(decode_ocsp_request(truncated, d) == RequestDecode::malformed);
}

TEST_CASE("canonical requests: every one-byte change is either refused or decoded like d2i",
          "[responder][ocsp][request]") {
  // Exhaustive over positions and values for one short and one long serial per hash: covers
  // tags, lengths, the OIDs, NULL, the serial's sign and padding rules.
  // Accepted: any value inside the two hashes; for serial 05 the values 01..7f (126 others);
  // for 20 bytes of 81 (contents 00 81 ... 81) the leading 00 must stay, the next byte must
  // keep its high bit (127 others) and the 19 after it may be anything.
  struct Case {
    Bytes serial;
    size_t serial_changes;
  };
  for (CertIdHash hash : {CertIdHash::sha1, CertIdHash::sha256}) {
    const size_t digest = hash == CertIdHash::sha1 ? 20 : 32;
    for (const Case& c : {Case{Bytes{0x05}, 126}, Case{Bytes(20, 0x81), 127 + 19 * 255}}) {
      const Bytes der = test::make_request(ca(), c.serial, hash);
      size_t accepted = 0;
      for (size_t pos = 0; pos < der.size(); ++pos) {
        for (int v = 0; v < 256; ++v) {
          if (v == der[pos]) {
            continue;
          }
          Bytes m = der;
          m[pos] = static_cast<uint8_t>(v);
          if (agree(m)) {
            ++accepted;
          }
        }
      }
      CHECK(accepted == 2 * digest * 255 + c.serial_changes);
    }
  }
  // A non-minimal INTEGER (00 05) is refused by both.
  Bytes two_byte = test::make_request(ca(), Bytes{0x01, 0x05}, CertIdHash::sha1);
  Bytes padded = two_byte;
  padded[padded.size() - 2] = 0x00;
  CHECK_FALSE(agree(padded));
  DecodedRequest d;
  CHECK(decode_ocsp_request(padded, d) != RequestDecode::ok);
}
