// Token keys: the RFC 7512 URIs the config accepts, and a key generated inside a SoftHSM2
// token that never leaves it yet signs through OpenSSL's pkcs11 engine.
#include <openssl/evp.h>

#include <catch2/catch.hpp>

#include "pkcs11/engine_key.h"
#include "pkcs11/token.h"
#include "pkcs11/token_uri.h"
#include "support/softhsm.h"
#include "x509/cert_info.h"
#include "x509/key.h"

using namespace pkirepo;
using pkcs11::TokenError;

TEST_CASE("pkcs11: the URIs a key may be given as, and the reasons others are refused",
          "[pkcs11]") {
  auto uri = pkcs11::parse_token_uri("pkcs11:token=Acme%20Root;object=root-2026", true);
  CHECK(uri.token == "Acme Root");
  CHECK(uri.object == "root-2026");
  CHECK(pkcs11::parse_token_uri("pkcs11:token=ocsp", false).object.empty());
  CHECK(pkcs11::parse_token_uri("pkcs11:token=a;object=b;type=private", true).object == "b");
  // The formatted URI reads back to the same token and object.
  auto again = pkcs11::parse_token_uri(pkcs11::format_key_uri(uri), true);
  CHECK(again.token == uri.token);
  CHECK(again.object == uri.object);

  const std::pair<const char*, const char*> refused[] = {
      {"/etc/key.pem", "must start with \"pkcs11:\""},
      {"pkcs11:object=root", "names no token"},
      {"pkcs11:token=root", "names no key"},
      {"pkcs11:token=root;object=k;type=cert", "type= must be \"private\""},
      {"pkcs11:token=root;object=k;id=%01", "not id="},
      {"pkcs11:token=root;object=k;serial=1234", "by its label only"},
      {"pkcs11:token=root;object=k?pin-value=1234", "PIN does not belong"},
      {"pkcs11:token=root;object=k?module-path=/tmp/evil.so", "module-path"},
  };
  for (const auto& [text, why] : refused) {
    INFO(text);
    REQUIRE_THROWS_WITH(pkcs11::parse_token_uri(text, true), Catch::Contains(why));
  }
  REQUIRE_THROWS_WITH(pkcs11::parse_token_uri("pkcs11:token=ocsp;object=x", false),
                      Catch::Contains("name the token only"));
}

TEST_CASE("pkcs11: a key generated in the token signs through the engine and cannot leave it",
          "[pkcs11]") {
  test::SoftHsm hsm;
  hsm.init_token("root", "1234");
  const std::string module = test::kSoftHsmModule;

  // Why a key cannot be opened, told apart (before any login: a login holds for the whole
  // application until its last session closes).
  try {
    pkcs11::TokenSession s(module, "no-such-token", "1234");
    FAIL("opened a token that does not exist");
  } catch (const TokenError& e) {
    CHECK(e.kind() == TokenError::Kind::token_missing);
    CHECK_THAT(e.what(), Catch::Contains("no token labelled \"no-such-token\"") &&
                             Catch::Contains("\"root\""));
  }
  try {
    pkcs11::TokenSession s(module, "root", "9999");
    FAIL("logged in with a wrong PIN");
  } catch (const TokenError& e) {
    CHECK(e.kind() == TokenError::Kind::wrong_pin);
    CHECK_THAT(e.what(), Catch::Contains("wrong PIN"));
  }

  {
    pkcs11::TokenSession s(module, "root", "1234");
    CHECK_FALSE(s.has_private_key("root-key"));
    s.generate_key_pair("ec-p384", "root-key");
    s.generate_key_pair("rsa-2048", "rsa-key");
    CHECK(s.has_private_key("root-key"));
    CHECK_FALSE(s.private_key_extractable("root-key"));
    REQUIRE_THROWS_WITH(s.generate_key_pair("ed25519", "ed"), Catch::Contains("rsa-N or ec-pN"));
  }
  for (const char* label : {"root-key", "rsa-key"}) {
    INFO(label);
    EvpPkeyPtr key = pkcs11::load_token_key(module, {"root", label}, "1234");
    REQUIRE(key);
    const unsigned char msg[] = "to be signed";
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    REQUIRE(EVP_DigestSignInit(ctx.get(), nullptr, signature_digest(key.get()), nullptr,
                               key.get()) == 1);
    size_t len = 0;
    REQUIRE(EVP_DigestSign(ctx.get(), nullptr, &len, msg, sizeof msg) == 1);
    std::vector<unsigned char> sig(len);
    REQUIRE(EVP_DigestSign(ctx.get(), sig.data(), &len, msg, sizeof msg) == 1);
    sig.resize(len);
    // Verified with the public half only, as a relying party would.
    unsigned char* pub = nullptr;
    const int pub_len = i2d_PUBKEY(key.get(), &pub);
    REQUIRE(pub_len > 0);
    const unsigned char* p = pub;
    EvpPkeyPtr public_only(d2i_PUBKEY(nullptr, &p, pub_len));
    OPENSSL_free(pub);
    EvpMdCtxPtr vctx(EVP_MD_CTX_new());
    REQUIRE(EVP_DigestVerifyInit(vctx.get(), nullptr, signature_digest(key.get()), nullptr,
                                 public_only.get()) == 1);
    CHECK(EVP_DigestVerify(vctx.get(), sig.data(), sig.size(), msg, sizeof msg) == 1);
  }
}
