// Bounds on TOML text before toml++ parses it (config/toml_bounds.h), for pkirepo.toml here and
// the publisher's front matter in tests/publisher/hardening_test.cpp; parse errors on one line.
#include "config/toml_bounds.h"

#include <catch2/catch.hpp>
#include <string>

#include "config/config.h"
#include "support/test_support.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

std::string config_error(const std::string& text) {
  try {
    (void)parse_config(text, "pkirepo.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("toml bounds: nesting is counted outside strings and comments", "[config][bounds]") {
  struct Row {
    const char* text;
    int depth;  // the smallest max_depth that accepts it
  };
  const Row rows[] = {
      {"a = 1\n", 1},
      {"a.b.c = 1\n", 3},
      {"a . b . c = 1\n", 3},
      {"[x.y]\nk = 1\n", 3},  // header brackets count while open: coarse, on the high side
      {"k = { a = [1, [2]] }\n", 4},
      {"k = [1.5, 2.5, 3.5]\n", 3},  // a float's dot counts once, per value
      {"k = \"[[[[.a.a.a\"\n", 1},
      {"k = '[[[[.a.a.a'\n", 1},
      {"k = \"\"\"\n[[[[\n.a.a.a\\\"\"\"\" \n", 1},
      {"k = '''\n[[[[\n.a.a.a''''\n", 1},
      {"# [[[[ .a.a.a\nk = 1\n", 1},
      {"k = \"\\\"[[[[\"\n", 1},
      {"k = \"unterminated [[[[\n", 1},
  };
  for (const Row& r : rows) {
    INFO(r.text);
    CHECK_FALSE(check_toml_bounds(r.text, 1024, r.depth).found);
    if (r.depth > 1) {
      CHECK(check_toml_bounds(r.text, 1024, r.depth - 1).found);
    }
  }
  const TomlBoundsViolation v = check_toml_bounds("a = 1\n\nx.y = [[[\n", 1024, 3);
  CHECK(v.found);
  CHECK(v.line == 3);
  CHECK(v.column == 9);
  CHECK(v.reason ==
        "nesting deeper than 3 levels (tables, dotted keys, arrays, inline tables); "
        "refused before parsing");
  const TomlBoundsViolation big = check_toml_bounds(std::string(11, 'x'), 10, 16);
  CHECK(big.found);
  CHECK(big.reason == "larger than the limit of 10 bytes; refused before parsing");
  CHECK_FALSE(check_toml_bounds(std::string(10, 'x'), 10, 16).found);
}

TEST_CASE("config: 60,000 nested keys and an oversized file are refused before toml++",
          "[config][bounds]") {
  // Without the bound toml++ overflows the stack on this (issue #19).
  std::string deep = "a";
  for (int i = 1; i < 60000; ++i) {
    deep += ".a";
  }
  deep += " = 1\n";
  CHECK(config_error(deep) ==
        "pkirepo.toml:1:32: nesting deeper than 16 levels (tables, dotted keys, arrays, inline "
        "tables); refused before parsing");
  CHECK(config_error("k = " + std::string(100000, '[') + "\n") ==
        "pkirepo.toml:1:20: nesting deeper than 16 levels (tables, dotted keys, arrays, inline "
        "tables); refused before parsing");

  const std::string huge = "# " + std::string(kMaxConfigBytes, 'x') + "\n";
  CHECK(config_error(huge) ==
        "pkirepo.toml:1:1: larger than the limit of 1048576 bytes; refused before parsing");
  // From a file, read no further than one byte past the limit.
  TempDir dir;
  write_text(dir / "pkirepo.toml", huge + huge);
  CHECK_THROWS_WITH(load_config(dir / "pkirepo.toml"),
                    (dir / "pkirepo.toml").string() +
                        ":1:1: larger than the limit of 1048576 bytes; refused before parsing");
}

TEST_CASE("config: a TOML syntax error is one line with file, line and column",
          "[config][bounds]") {
  const std::string e = config_error("[repository]\nname = \"x\nstore = 1\n");
  CHECK_THAT(e, Catch::Matches(R"(pkirepo\.toml:2:\d+: .+)"));
  CHECK(e.find('\n') == std::string::npos);
  // Control characters the description may quote from the input stay escaped.
  const std::string ctl = config_error("[repository]\nname = \x01\n");
  CHECK_THAT(ctl, Catch::StartsWith("pkirepo.toml:2:"));
  CHECK(ctl.find('\x01') == std::string::npos);
  CHECK(toml_error_text(3, 4, "saw '\n' and '\x7f'") == "3:4: saw '\\x0a' and '\\x7f'");
}
