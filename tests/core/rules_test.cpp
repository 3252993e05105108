#include "policy/rules.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include <catch2/catch.hpp>

#include "support/test_support.h"
#include "x509/key.h"

using namespace pkirepo;
using namespace pkirepo::policy;

namespace {

constexpr UnixTime k2026 = 1795305600;  // 2026-11-22
constexpr UnixTime k2035 = 2082758400;  // 2036-01-01
constexpr UnixTime k2010 = 1262304000;  // 2010-01-01
constexpr UnixTime k2029 = 1861920000;  // 2029-01-01

bool refused(const EVP_PKEY* key, CertType type, UnixTime nb, UnixTime na) {
  return has_errors(check_public_key(key, type, nb, na));
}

// An RSA public key from a modulus and exponent, for shapes OpenSSL would never generate.
EvpPkeyPtr rsa_public(const BIGNUM* n, const BIGNUM* e) {
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* key = nullptr;
  EVP_PKEY_fromdata_init(ctx.get());
  EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  return EvpPkeyPtr(key);
}

EvpPkeyPtr rsa_with_modulus_times(BN_ULONG factor, const char* e_dec = "65537") {
  EvpPkeyPtr good = test::make_key("rsa-2048");
  BIGNUM* n_raw = nullptr;
  EVP_PKEY_get_bn_param(good.get(), OSSL_PKEY_PARAM_RSA_N, &n_raw);
  BignumPtr n(n_raw);
  if (factor != 1) {
    // Replace n by a same-size odd or even number with the wanted small factor.
    BN_rshift(n.get(), n.get(), 12);
    BN_set_bit(n.get(), 0);  // odd, so only the wanted factor is wrong
    BN_mul_word(n.get(), factor);
    BN_lshift(n.get(), n.get(), factor == 2 ? 11 : 0);
  }
  BIGNUM* e = nullptr;
  BN_dec2bn(&e, e_dec);
  BignumPtr eb(e);
  return rsa_public(n.get(), eb.get());
}

}  // namespace

TEST_CASE("CPS 6.1.5 key table by certificate type and date", "[policy]") {
  EvpPkeyPtr p256 = test::make_key("ec-p256");
  EvpPkeyPtr p384 = test::make_key("ec-p384");
  EvpPkeyPtr rsa2048 = test::make_key("rsa-2048");
  EvpPkeyPtr rsa1024 = test::make_key("rsa-1024");
  EvpPkeyPtr ed = test::make_key("ed25519");
  EvpPkeyPtr k1 = test::make_key("ec-secp256k1");

  // Roots and subordinate CAs created after 2014: P-384+/RSA-4096+, whatever their expiry.
  CHECK(refused(p256.get(), CertType::root, k2026, k2029));
  CHECK(refused(rsa2048.get(), CertType::issuing_ca, k2026, k2029));
  CHECK_FALSE(refused(p384.get(), CertType::root, k2026, k2035));
  // A legacy root created before 2014 that expires before 2030-12-31: P-256 / RSA-2048 allowed.
  CHECK_FALSE(refused(p256.get(), CertType::root, k2010, k2029));
  CHECK_FALSE(refused(rsa2048.get(), CertType::subordinate_ca, k2010, k2029));
  CHECK(refused(p256.get(), CertType::root, k2010, k2035));
  // Subscribers: RSA-2048 until 2030-12-31, RSA-4096 after; P-256 always.
  CHECK_FALSE(refused(rsa2048.get(), CertType::subscriber, k2026, k2029));
  CHECK(refused(rsa2048.get(), CertType::subscriber, k2026, k2035));
  CHECK_FALSE(refused(p256.get(), CertType::subscriber, k2026, k2035));
  CHECK(refused(rsa1024.get(), CertType::subscriber, k2026, k2029));
  // Not in the table at all.
  CHECK(refused(ed.get(), CertType::subscriber, k2026, k2029));
  CHECK(refused(k1.get(), CertType::subscriber, k2026, k2029));
  auto findings = check_public_key(rsa1024.get(), CertType::subscriber, k2026, k2029);
  REQUIRE_FALSE(findings.empty());
  CHECK(findings[0].rule == "CPS 6.1.5");
}

TEST_CASE("weak RSA keys are refused (BR 6.1.6)", "[policy]") {
  CHECK_FALSE(refused(rsa_with_modulus_times(1).get(), CertType::subscriber, k2026, k2029));
  auto even = check_public_key(rsa_with_modulus_times(2).get(), CertType::subscriber, k2026, k2029);
  CHECK(has_errors(even));
  auto small =
      check_public_key(rsa_with_modulus_times(743).get(), CertType::subscriber, k2026, k2029);
  REQUIRE(has_errors(small));
  bool mentions = false;
  for (const auto& f : small) {
    mentions = mentions || f.message.find("small prime factor") != std::string::npos;
  }
  CHECK(mentions);
  CHECK(refused(rsa_with_modulus_times(1, "3").get(), CertType::subscriber, k2026, k2029));
  CHECK(refused(rsa_with_modulus_times(1, "65536").get(), CertType::subscriber, k2026, k2029));
}

TEST_CASE("CPS 6.3.2 maximum validity per certificate type", "[policy]") {
  CHECK_FALSE(check_validity(CertType::root, k2026, add_years(k2026, 25)));
  CHECK(check_validity(CertType::root, k2026, add_years(k2026, 25) + 1));
  CHECK_FALSE(check_validity(CertType::subordinate_ca, k2026, add_years(k2026, 20)));
  CHECK(check_validity(CertType::subordinate_ca, k2026, add_years(k2026, 20) + 86400));
  CHECK_FALSE(check_validity(CertType::issuing_ca, k2026, add_years(k2026, 6)));
  CHECK(check_validity(CertType::issuing_ca, k2026, add_years(k2026, 7)));
  CHECK_FALSE(check_validity(CertType::subscriber, k2026, k2026 + 397 * 86400));
  CHECK(check_validity(CertType::subscriber, k2026, k2026 + 470 * 86400));
  CHECK(check_validity(CertType::subscriber, k2026, k2026));
}

TEST_CASE("serial numbers: positive, below 2^159, 64 bits for non-roots", "[policy]") {
  Asn1IntegerPtr s(ASN1_INTEGER_new());
  ASN1_INTEGER_set(s.get(), 0);
  CHECK(check_serial(s.get(), CertType::root));
  ASN1_INTEGER_set(s.get(), -5);
  CHECK(check_serial(s.get(), CertType::root));
  ASN1_INTEGER_set(s.get(), 12345);
  CHECK_FALSE(check_serial(s.get(), CertType::root));
  CHECK(check_serial(s.get(), CertType::subscriber));
  BignumPtr big(BN_new());
  BN_set_bit(big.get(), 159);
  Asn1IntegerPtr b(BN_to_ASN1_INTEGER(big.get(), nullptr));
  CHECK(check_serial(b.get(), CertType::subscriber));
  BN_clear_bit(big.get(), 159);
  BN_set_bit(big.get(), 158);
  b.reset(BN_to_ASN1_INTEGER(big.get(), nullptr));
  CHECK_FALSE(check_serial(b.get(), CertType::subscriber));
}

TEST_CASE("revocation reasons follow BR 7.2.2 and CCADB 3.2", "[policy]") {
  StatedReason r;
  REQUIRE(parse_reason("keyCompromise", r));
  CHECK(r == CrlReason::key_compromise);
  REQUIRE(parse_reason("unspecified", r));
  CHECK_FALSE(r.has_value());  // stated by leaving reasonCode out
  CHECK_FALSE(parse_reason("certificateHold", r));
  CHECK_FALSE(parse_reason("removeFromCRL", r));
  CHECK_FALSE(parse_reason("KeyCompromise", r));
  CHECK(reason_allowed(CrlReason::key_compromise, false));
  CHECK(reason_allowed(std::nullopt, false));
  CHECK_FALSE(reason_allowed(CrlReason::ca_compromise, false));
  CHECK(reason_allowed(CrlReason::ca_compromise, true));
  CHECK_FALSE(reason_allowed(CrlReason::aa_compromise, false));
  CHECK_FALSE(reason_allowed(CrlReason::certificate_hold, true));
  CHECK(std::string(reason_name(CrlReason::cessation_of_operation)) == "cessationOfOperation");
  CHECK(std::string(reason_name(std::nullopt)) == "unspecified");
  CHECK(std::string(reason_name(CrlReason::certificate_hold)) == "certificateHold");
}

TEST_CASE("a reason code from DER or OpenSSL: unspecified and none are the same", "[policy]") {
  CHECK_FALSE(reason_from_code(0).has_value());
  CHECK_FALSE(reason_from_code(-1).has_value());
  CHECK(reason_from_code(1) == CrlReason::key_compromise);
  CHECK(reason_code(std::nullopt) == -1);
  CHECK(reason_code(CrlReason::privilege_withdrawn) == 9);
}
