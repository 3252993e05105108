// Hex and digests (x509/bytes.h): every ETag, fingerprint and store key goes through these.
#include "x509/bytes.h"

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

using namespace pkirepo;

namespace {
ByteView text(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
}  // namespace

TEST_CASE("to_hex: lower, upper, with and without a separator", "[bytes]") {
  const Bytes b = {0x00, 0x9f, 0xa0, 0xff};
  CHECK(to_hex(b) == "009fa0ff");
  CHECK(to_hex(b, true) == "009FA0FF");
  CHECK(to_hex(b, true, ':') == "00:9F:A0:FF");
  CHECK(to_hex(Bytes{0x5e}, false, ':') == "5e");
  std::string into = "[--------]";
  to_hex_into(b, into.data() + 1);
  CHECK(into == "[009fa0ff]");
  CHECK(to_hex(Bytes{}).empty());
  CHECK(to_hex(Bytes{}, true, ':').empty());
  Bytes back;
  REQUIRE(from_hex(to_hex(b), back));
  CHECK(back == b);
}

TEST_CASE("sha1 and sha256: FIPS 180 test vectors, on several threads at once", "[bytes]") {
  CHECK(to_hex(sha256(text("abc"))) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(to_hex(sha256(text(""))) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(to_hex(sha1(text("abc"))) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  // Each thread reuses its own digest context: interleaved calls must not mix their states.
  const std::string million_a(1000000, 'a');
  std::vector<std::string> got(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < got.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 20; ++k) {
        got[i] = to_hex(i % 2 == 0 ? sha256(text(million_a)) : sha256(text("abc")));
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i] == (i % 2 == 0
                         ? "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
                         : "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  }
}
