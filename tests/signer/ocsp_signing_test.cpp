// OcspSigningContext against OpenSSL's own OCSP code: the fast path (a reused "good" response
// template) must produce what OCSP_basic_sign produces, and no state may leak from one response
// into the next.
#include "signer/ocsp_signing.h"

#include <openssl/ocsp.h>

#include <catch2/catch.hpp>

#include "policy/profiles.h"
#include "signer/cert_builder.h"
#include "x509/cert_info.h"
#include "x509/der.h"
#include "x509/key.h"

using namespace pkirepo;
using namespace pkirepo::signer;

namespace {

constexpr UnixTime kNow = 1'800'000'000;

struct Hierarchy {
  EvpPkeyPtr ca_key;
  EvpPkeyPtr responder_key;
  X509Ptr ca;
  X509Ptr responder;
};

// An issuing CA and its delegated responder, the responder certificate parsed back from DER as
// `run` loads it from the store.
Hierarchy make_hierarchy(const std::string& responder_algorithm) {
  Hierarchy h;
  h.ca_key = generate_key("ec-p384");
  h.responder_key = generate_key(responder_algorithm);
  X509NamePtr ca_name = parse_name("CN=Test Issuing CA,O=Test,C=US");
  CertSpec spec;
  spec.subject = ca_name.get();
  spec.public_key = h.ca_key.get();
  spec.not_before = kNow - 86400;
  spec.not_after = kNow + 5 * 365 * 86400;
  spec.serial = random_serial();
  spec.signing_key = h.ca_key.get();
  spec.extensions = {{NID_basic_constraints, "critical,CA:TRUE"},
                     {NID_key_usage, "critical,keyCertSign,cRLSign"},
                     {NID_subject_key_identifier, "hash"}};
  h.ca = build_certificate(spec);
  X509NamePtr responder_name = parse_name("CN=Test OCSP Responder,O=Test,C=US");
  spec.subject = responder_name.get();
  spec.public_key = h.responder_key.get();
  spec.not_after = kNow + 90 * 86400;
  spec.serial = random_serial();
  spec.issuer = h.ca.get();
  spec.extensions = policy::responder_extensions();
  h.responder = parse_cert_der(to_der(build_certificate(spec).get()));
  return h;
}

// The same response built the documented way, with OpenSSL's OCSP API alone.
Bytes openssl_response(const Hierarchy& h, CertIdHash hash, ByteView serial, UnixTime this_update,
                       UnixTime next_update, const OcspStatus& status = {}) {
  Asn1IntegerPtr serial_int(ASN1_INTEGER_new());
  REQUIRE(ASN1_STRING_set(serial_int.get(), serial.data(), static_cast<int>(serial.size())) == 1);
  OcspCertIdPtr id(OCSP_cert_id_new(cert_id_md(hash), X509_get_subject_name(h.ca.get()),
                                    X509_get0_pubkey_bitstr(h.ca.get()), serial_int.get()));
  Asn1GeneralizedTimePtr this_time = make_generalized_time(this_update);
  Asn1GeneralizedTimePtr next_time = make_generalized_time(next_update);
  OcspBasicRespPtr basic(OCSP_BASICRESP_new());
  const bool revoked = status.status == store::CertStatus::revoked;
  Asn1GeneralizedTimePtr revoked_time =
      revoked ? make_generalized_time(status.revocation_time) : nullptr;
  REQUIRE(OCSP_basic_add1_status(basic.get(), id.get(),
                                 revoked ? V_OCSP_CERTSTATUS_REVOKED : V_OCSP_CERTSTATUS_GOOD,
                                 reason_code(status.reason), revoked_time.get(), this_time.get(),
                                 next_time.get()) != nullptr);
  auto* produced = const_cast<ASN1_GENERALIZEDTIME*>(OCSP_resp_get0_produced_at(basic.get()));
  REQUIRE(ASN1_GENERALIZEDTIME_set(produced, static_cast<time_t>(this_update)) != nullptr);
  REQUIRE(OCSP_basic_sign(basic.get(), h.responder.get(), h.responder_key.get(), EVP_sha256(),
                          nullptr, OCSP_RESPID_KEY | OCSP_NOTIME) == 1);
  OcspResponsePtr response(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
  return to_der(response.get());
}

struct Parsed {
  int status = -1;
  int reason = -1;
  Bytes serial;
  UnixTime this_update = 0;
  UnixTime next_update = 0;
  UnixTime revocation_time = 0;
  int nid = 0;
};

UnixTime unix_of(const ASN1_GENERALIZEDTIME* t) {
  struct tm tm = {};
  REQUIRE(ASN1_TIME_to_tm(t, &tm) == 1);
  return timegm(&tm);
}

// Parses `der` with OpenSSL, checks its signature with the responder certificate and returns
// its single SingleResponse.
Parsed parse_and_verify(const Hierarchy& h, const Bytes& der) {
  const unsigned char* p = der.data();
  OcspResponsePtr response(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  REQUIRE(response);
  REQUIRE(p == der.data() + der.size());
  REQUIRE(OCSP_response_status(response.get()) == OCSP_RESPONSE_STATUS_SUCCESSFUL);
  OcspBasicRespPtr basic(OCSP_response_get1_basic(response.get()));
  REQUIRE(basic);
  X509StorePtr store(X509_STORE_new());
  REQUIRE(X509_STORE_add_cert(store.get(), h.ca.get()) == 1);
  X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store.get()), static_cast<time_t>(kNow));
  CHECK(OCSP_basic_verify(basic.get(), nullptr, store.get(), 0) == 1);
  REQUIRE(OCSP_resp_count(basic.get()) == 1);
  OCSP_SINGLERESP* single = OCSP_resp_get0(basic.get(), 0);
  Parsed out;
  ASN1_GENERALIZEDTIME* revoked_at = nullptr;
  ASN1_GENERALIZEDTIME* this_update = nullptr;
  ASN1_GENERALIZEDTIME* next_update = nullptr;
  out.status =
      OCSP_single_get0_status(single, &out.reason, &revoked_at, &this_update, &next_update);
  out.this_update = unix_of(this_update);
  out.next_update = unix_of(next_update);
  if (revoked_at != nullptr) {
    out.revocation_time = unix_of(revoked_at);
  }
  CHECK(unix_of(OCSP_resp_get0_produced_at(basic.get())) == out.this_update);
  ASN1_OBJECT* md = nullptr;
  ASN1_INTEGER* serial = nullptr;
  REQUIRE(OCSP_id_get0_info(nullptr, &md, nullptr, &serial,
                            const_cast<OCSP_CERTID*>(OCSP_SINGLERESP_get0_id(single))) == 1);
  out.nid = OBJ_obj2nid(md);
  out.serial.assign(serial->data, serial->data + serial->length);
  return out;
}

}  // namespace

TEST_CASE("OCSP signing: a good response is byte for byte what OCSP_basic_sign makes",
          "[ocsp_signing]") {
  // RSA PKCS#1 v1.5 signatures are deterministic, so the whole DER must match.
  Hierarchy h = make_hierarchy("rsa-2048");
  OcspResponseSigner signer(h.ca.get(), h.responder.get(), h.responder_key.get(), true);
  OcspSigningContext ctx(signer);
  for (CertIdHash hash : {CertIdHash::sha1, CertIdHash::sha256, CertIdHash::sha1}) {
    const Bytes serial = random_serial();
    const UnixTime this_update = kNow + (hash == CertIdHash::sha1 ? 0 : 3600);
    store::OcspRecord record;
    std::string error;
    REQUIRE(ctx.sign(hash, serial, {}, this_update, this_update + 4 * 86400, record, error));
    CHECK(error.empty());
    CHECK(record.der == openssl_response(h, hash, serial, this_update, this_update + 4 * 86400));
    CHECK(record.etag == ocsp_etag(record.der));
    CHECK(record.this_update == this_update);
    CHECK(record.next_update == this_update + 4 * 86400);
  }
  // Every serial length, with and without the high bit (a leading 00 in the INTEGER), twice:
  // the first response of a layout is OpenSSL's own encoding, later ones are copied into it.
  for (int round = 0; round < 2; ++round) {
    for (CertIdHash hash : {CertIdHash::sha1, CertIdHash::sha256}) {
      for (size_t len = 1; len <= 20; ++len) {
        for (uint8_t first : {uint8_t{0x01}, uint8_t{0x7f}, uint8_t{0x80}, uint8_t{0xff}}) {
          Bytes serial = random_serial();
          serial.resize(len, 0x5a);
          serial[0] = first;
          // Times change within a round too, and a nextUpdate cut short (signer notAfter).
          const UnixTime this_update = kNow + round * 86400 + static_cast<UnixTime>(len) * 61;
          const UnixTime next_update = this_update + (first == 0xff ? 3600 : 4 * 86400);
          INFO(cert_id_hash_name(hash) << " round " << round << " serial " << to_hex(serial));
          store::OcspRecord record;
          std::string error;
          REQUIRE(ctx.sign(hash, serial, {}, this_update, next_update, record, error));
          CHECK(record.der == openssl_response(h, hash, serial, this_update, next_update));
        }
      }
    }
  }
}

TEST_CASE("OCSP signing: a revoked response is byte for byte what OCSP_basic_sign makes",
          "[ocsp_signing]") {
  Hierarchy h = make_hierarchy("rsa-2048");
  OcspResponseSigner signer(h.ca.get(), h.responder.get(), h.responder_key.get(), true);
  OcspSigningContext ctx(signer);
  // Reasons without and with a value, each with its own template, and good responses between
  // them; revocation times differ in every digit; serial lengths cover short and long layouts.
  int compared = 0;
  for (int round = 0; round < 2; ++round) {
    for (int reason : {-1, OCSP_REVOKED_STATUS_KEYCOMPROMISE, OCSP_REVOKED_STATUS_SUPERSEDED,
                       OCSP_REVOKED_STATUS_CESSATIONOFOPERATION}) {
      for (CertIdHash hash : {CertIdHash::sha1, CertIdHash::sha256}) {
        for (size_t len : {size_t{1}, size_t{8}, size_t{16}, size_t{20}}) {
          Bytes serial = random_serial();
          serial.resize(len, 0x3c);
          serial[0] = len == 8 ? 0x80 : 0x41;
          const UnixTime this_update = kNow + round * 86400 + static_cast<UnixTime>(len) * 67;
          OcspStatus status;
          status.status = store::CertStatus::revoked;
          status.reason = reason_from_code(reason);
          status.revocation_time = (round == 0 ? kNow - 1 : 946684799) - reason * 3661;
          INFO(cert_id_hash_name(hash)
               << " round " << round << " reason " << reason << " serial " << to_hex(serial));
          store::OcspRecord record;
          std::string error;
          REQUIRE(
              ctx.sign(hash, serial, status, this_update, this_update + 4 * 86400, record, error));
          CHECK(record.status == store::CertStatus::revoked);
          CHECK(record.der ==
                openssl_response(h, hash, serial, this_update, this_update + 4 * 86400, status));
          REQUIRE(ctx.sign(hash, serial, {}, this_update, this_update + 4 * 86400, record, error));
          CHECK(record.der ==
                openssl_response(h, hash, serial, this_update, this_update + 4 * 86400));
          ++compared;
        }
      }
    }
  }
  CHECK(compared == 64);
}

TEST_CASE("OCSP signing: consecutive responses share no state", "[ocsp_signing]") {
  Hierarchy h = make_hierarchy("ec-p256");
  OcspResponseSigner signer(h.ca.get(), h.responder.get(), h.responder_key.get(), true);
  OcspSigningContext ctx(signer);
  struct Case {
    CertIdHash hash;
    OcspStatus status;
    UnixTime this_update;
    Bytes serial;
  };
  OcspStatus revoked;
  revoked.status = store::CertStatus::revoked;
  revoked.reason = CrlReason::key_compromise;
  revoked.revocation_time = kNow - 600;
  OcspStatus revoked_unspecified = revoked;
  revoked_unspecified.reason = std::nullopt;
  // A short serial and a long one: the template's serial must be replaced, not patched.
  const std::vector<Case> cases = {
      {CertIdHash::sha1, {}, kNow, random_serial()},
      {CertIdHash::sha1, revoked, kNow, random_serial()},
      {CertIdHash::sha1, {}, kNow + 60, Bytes{0x01}},
      {CertIdHash::sha256, revoked_unspecified, kNow, random_serial()},
      {CertIdHash::sha256, {}, kNow + 120, Bytes(19, 0x7f)},
      {CertIdHash::sha1, {}, kNow, random_serial()},
  };
  for (const Case& c : cases) {
    store::OcspRecord record;
    std::string error;
    REQUIRE(ctx.sign(c.hash, c.serial, c.status, c.this_update, c.this_update + 7 * 86400, record,
                     error));
    Parsed got = parse_and_verify(h, record.der);
    CHECK(got.serial == c.serial);
    CHECK(got.nid == (c.hash == CertIdHash::sha1 ? NID_sha1 : NID_sha256));
    CHECK(got.this_update == c.this_update);
    CHECK(got.next_update == c.this_update + 7 * 86400);
    if (c.status.status == store::CertStatus::good) {
      CHECK(got.status == V_OCSP_CERTSTATUS_GOOD);
    } else {
      CHECK(got.status == V_OCSP_CERTSTATUS_REVOKED);
      CHECK(got.revocation_time == c.status.revocation_time);
      CHECK(got.reason == reason_code(c.status.reason));
    }
    CHECK(record.status == c.status.status);
  }
}

TEST_CASE("OCSP signing: a CA that signs its own responses leaves its certificate out",
          "[ocsp_signing]") {
  Hierarchy h = make_hierarchy("ec-p256");
  OcspResponseSigner signer(h.ca.get(), h.ca.get(), h.ca_key.get(), false);
  OcspSigningContext ctx(signer);
  store::OcspRecord record;
  std::string error;
  const Bytes serial = random_serial();
  REQUIRE(ctx.sign(CertIdHash::sha256, serial, {}, kNow, kNow + 86400, record, error));
  const unsigned char* p = record.der.data();
  OcspResponsePtr response(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(record.der.size())));
  REQUIRE(response);
  OcspBasicRespPtr basic(OCSP_response_get1_basic(response.get()));
  REQUIRE(basic);
  CHECK(sk_X509_num(OCSP_resp_get0_certs(basic.get())) <= 0);  // absent: -1
  X509StackPtr certs(sk_X509_new_null());
  REQUIRE(sk_X509_push(certs.get(), X509_dup(h.ca.get())) == 1);
  CHECK(OCSP_basic_verify(basic.get(), certs.get(), nullptr, OCSP_TRUSTOTHER | OCSP_NOVERIFY) == 1);
}
