// Direct tests of the small core pieces everything else stands on: time encodings
// (RFC 5280 4.1.2.5, RFC 3339, RFC 9110 HTTP-date), field_offset (the fixed-layout fast paths
// of the responder and the signer rely on it), and encrypted key files.
#include <openssl/asn1.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "support/test_support.h"
#include "x509/der.h"
#include "x509/key.h"
#include "x509/key_file.h"
#include "x509/time.h"

using namespace pkirepo;

TEST_CASE("time: RFC 3339 and HTTP-date round trips, and what is refused", "[time]") {
  const UnixTime t = *parse_rfc3339("2026-11-22T02:15:29Z");
  CHECK(t == 1795313729);  // date -u -d @1795313729
  CHECK(rfc3339(t) == "2026-11-22T02:15:29Z");
  CHECK(parse_rfc3339("2026-11-22 02:15:29Z") == t);
  CHECK(parse_rfc3339("2026-11-22") == *parse_rfc3339("2026-11-22T00:00:00Z"));
  CHECK(http_date(t) == "Sun, 22 Nov 2026 02:15:29 GMT");
  CHECK(parse_http_date("Sun, 22 Nov 2026 02:15:29 GMT") == t);
  for (const char* bad : {"", "2026-13-01", "2026-02-30", "2026-11-22T25:00:00Z",
                          "2026-11-22T02:15:29", "2026-11-22T02:15:29+01:00", "yesterday"}) {
    INFO(bad);
    CHECK_FALSE(parse_rfc3339(bad));
  }
  CHECK_FALSE(parse_http_date("22 Nov 2026"));
}

TEST_CASE("time: UTCTime through 2049, GeneralizedTime from 2050, read back exactly", "[time]") {
  const UnixTime last_utc = *parse_rfc3339("2049-12-31T23:59:59Z");
  const UnixTime first_generalized = last_utc + 1;
  Asn1TimePtr a = make_x509_time(last_utc);
  Asn1TimePtr b = make_x509_time(first_generalized);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(ASN1_STRING_type(a.get()) == V_ASN1_UTCTIME);
  CHECK(ASN1_STRING_type(b.get()) == V_ASN1_GENERALIZEDTIME);
  CHECK(to_unix(a.get()) == last_utc);
  CHECK(to_unix(b.get()) == first_generalized);
  // OCSP times are always GeneralizedTime in Zulu with whole seconds (RFC 6960 4.2.2.1).
  Asn1GeneralizedTimePtr g = make_generalized_time(last_utc);
  REQUIRE(g);
  const std::string text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g.get())),
                         static_cast<size_t>(ASN1_STRING_length(g.get())));
  CHECK(text == "20491231235959Z");
}

TEST_CASE("time: add_years clamps 29 February", "[time]") {
  CHECK(rfc3339(add_years(*parse_rfc3339("2028-02-29T12:00:00Z"), 1)) == "2029-02-28T12:00:00Z");
  CHECK(rfc3339(add_years(*parse_rfc3339("2026-03-01T00:00:00Z"), 25)) == "2051-03-01T00:00:00Z");
}

TEST_CASE("field_offset: one run of differing bytes of the given length, nothing else", "[der]") {
  const Bytes a = {1, 2, 3, 4, 5, 6, 7, 8};
  Bytes b = a;
  b[3] = 0x40;
  b[4] = 0x50;
  CHECK(field_offset(a, b, 2) == size_t{3});
  CHECK_FALSE(field_offset(a, b, 3));  // the run is 2 bytes, not 3
  Bytes gap = a;
  gap[1] = 0x40;
  gap[4] = 0x50;
  CHECK_FALSE(field_offset(a, gap, 2));  // two separate changes
  Bytes longer = a;
  longer.push_back(9);
  CHECK_FALSE(field_offset(a, longer, 1));  // another size: another layout
  CHECK_FALSE(field_offset(a, a, 1));       // no change at all
}

TEST_CASE("key files: encrypted, private, never overwritten, the passphrase checked", "[key]") {
  test::TempDir dir;
  EvpPkeyPtr key = generate_key("ec-p256");
  REQUIRE(key);
  const auto path = dir / "k.pem";
  write_encrypted_key(path, key.get(), "right passphrase");
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  EvpPkeyPtr back = read_encrypted_key(path, "right passphrase");
  REQUIRE(back);
  CHECK(EVP_PKEY_eq(key.get(), back.get()) == 1);
  CHECK_THROWS_WITH(read_encrypted_key(path, "wrong"), Catch::Contains(path.string()));
  CHECK_THROWS_WITH(write_encrypted_key(path, key.get(), "x"), Catch::Contains(path.string()));
  EvpPkeyPtr still = read_encrypted_key(path, "right passphrase");  // the file is unchanged
  CHECK(EVP_PKEY_eq(key.get(), still.get()) == 1);
  std::string why;
  CHECK_FALSE(is_known_key_algorithm("rsa-1024", why));
  CHECK_FALSE(why.empty());
}

TEST_CASE("key files: protection read without the passphrase, rewrite in place keeps the key",
          "[key]") {
  test::TempDir dir;
  EvpPkeyPtr key = generate_key("ec-p256");
  const auto path = dir / "k.pem";
  write_encrypted_key(path, key.get(), "right passphrase");
  KeyFileProtection p = inspect_key_file(path);
  CHECK(p.encrypted);
  CHECK(p.scheme == "PBKDF2-HMAC-SHA256");
  CHECK(p.iterations == key_file_iterations());
  CHECK(p.strong);

  // OpenSSL's own PKCS#8 default (what older releases wrote): encrypted, but weak.
  const auto weak = dir / "weak.pem";
  auto r = test::run({"openssl", "pkcs8", "-topk8", "-in", path.string(), "-passin",
                      "pass:right passphrase", "-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA1",
                      "-iter", "1000", "-passout", "pass:right passphrase", "-out", weak.string()});
  REQUIRE(r.exit_code == 0);
  p = inspect_key_file(weak);
  CHECK(p.encrypted);
  CHECK(p.scheme == "PBKDF2-HMAC-SHA1");
  CHECK(p.iterations == 1000);
  CHECK_FALSE(p.strong);
  CHECK(p.describe() == "PBKDF2-HMAC-SHA1, 1000 iterations");
  REQUIRE(::chmod(weak.c_str(), 0600) == 0);
  EvpPkeyPtr from_weak = read_encrypted_key(weak, "right passphrase");  // still read
  rewrite_encrypted_key(weak, from_weak.get(), "right passphrase");
  CHECK(inspect_key_file(weak).strong);
  CHECK(EVP_PKEY_eq(key.get(), read_encrypted_key(weak, "right passphrase").get()) == 1);
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) {
    ++files;
  }
  CHECK(files == 2);  // no temporary left beside them

  // Refusals, each naming the file and the fix.
  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  CHECK_THROWS_WITH(read_encrypted_key(path, "right passphrase"),
                    Catch::Contains(path.string() + ": readable by group or others (mode 0644)") &&
                        Catch::Contains("chmod 600"));
  const auto clear = dir / "clear.pem";
  REQUIRE(test::run({"openssl", "pkey", "-in", weak.string(), "-passin", "pass:right passphrase",
                     "-out", clear.string()})
              .exit_code == 0);
  REQUIRE(::chmod(clear.c_str(), 0600) == 0);
  CHECK_FALSE(inspect_key_file(clear).encrypted);
  CHECK_THROWS_WITH(read_encrypted_key(clear, "right passphrase"),
                    Catch::Contains("stored in clear") && Catch::Contains("keys rewrap"));
  CHECK(EVP_PKEY_eq(key.get(), read_key_for_rewrap(clear, "ignored").get()) == 1);
  CHECK_THROWS_WITH(inspect_key_file(dir / "missing.pem"), Catch::Contains("missing.pem"));
}
