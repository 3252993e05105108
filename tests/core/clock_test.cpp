// clock_now(): PKIREPO_NOW moves the clock only in a test build (PKIREPO_SIMULATED_CLOCK); a
// production build refuses it. Both halves are checked, whichever build runs this.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

#include "x509/time.h"

using namespace pkirepo;

namespace {

// Sets PKIREPO_NOW (nullopt: unsets it) for the scope; restores the previous value.
class ScopedNow {
 public:
  explicit ScopedNow(const std::optional<std::string>& value) {
    if (const char* old = std::getenv("PKIREPO_NOW")) {
      old_ = old;
    }
    set(value);
  }
  ~ScopedNow() { set(old_); }
  ScopedNow(const ScopedNow&) = delete;
  ScopedNow& operator=(const ScopedNow&) = delete;

 private:
  static void set(const std::optional<std::string>& value) {
    if (value) {
      ::setenv("PKIREPO_NOW", value->c_str(), 1);
    } else {
      ::unsetenv("PKIREPO_NOW");
    }
  }
  std::optional<std::string> old_;
};

const std::string kRefusal =
    "PKIREPO_NOW is set, but this build reads only the real clock (a simulated clock needs a test "
    "build: -DPKIREPO_SIMULATED_CLOCK=ON)";

bool near_system_clock(UnixTime t) {
  const auto real = static_cast<UnixTime>(std::time(nullptr));
  return t >= real - 5 && t <= real + 5;
}

}  // namespace

TEST_CASE("unset or empty, PKIREPO_NOW leaves the system clock", "[clock]") {
  for (const std::optional<std::string>& value :
       {std::optional<std::string>{}, std::optional<std::string>{""}}) {
    ScopedNow now(value);
    CHECK(near_system_clock(clock_now()));
    CHECK_FALSE(clock_pinned());
  }
}

TEST_CASE("PKIREPO_NOW sets the clock in a test build and is refused otherwise", "[clock]") {
  ScopedNow now(std::string("2026-01-01T00:00:00Z"));
  if (simulated_clock_build()) {
    CHECK(clock_now() == *parse_rfc3339("2026-01-01T00:00:00Z"));
    CHECK(clock_pinned() == parse_rfc3339("2026-01-01T00:00:00Z"));
    CHECK(std::string(clock_build_note()) == " (simulated clock: test build)");
    ScopedNow bad(std::string("yesterday"));
    CHECK_THROWS_WITH(clock_now(), "PKIREPO_NOW: not an RFC 3339 time: yesterday");
  } else {
    CHECK_THROWS_WITH(clock_now(), kRefusal);
    CHECK_THROWS_WITH(clock_pinned(), kRefusal);
    CHECK(std::string(clock_build_note()).empty());
  }
}
