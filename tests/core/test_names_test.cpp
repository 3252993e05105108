// Every Catch2 test case becomes one CTest entry through catch_discover_tests, which splits a
// name at ';' (a CMake list): a case named "a; b" turned into two entries that matched nothing
// and passed without running. No test case name may hold one.
#include <catch2/catch.hpp>
#include <fstream>

#include "support/test_support.h"

using namespace pkirepo::test;

namespace {

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  REQUIRE(in);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The name of the test case whose opening parenthesis ends just before `pos`: its string literals,
// joined, up to the first character outside a literal that is neither space nor a literal.
std::string case_name(const std::string& text, size_t pos) {
  std::string name;
  while (pos < text.size()) {
    const char c = text[pos];
    if (c == ' ' || c == '\n' || c == '\t') {
      ++pos;
    } else if (c == '"') {
      for (++pos; pos < text.size() && text[pos] != '"'; ++pos) {
        if (text[pos] == '\\' && pos + 1 < text.size()) {
          ++pos;
        }
        name += text[pos];
      }
      ++pos;
    } else {
      break;
    }
  }
  return name;
}

}  // namespace

TEST_CASE("every test case name is one CTest name (no semicolon)", "[tests]") {
  size_t cases = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(source_dir() / "tests")) {
    if (e.path().extension() != ".cpp") {
      continue;
    }
    const std::string text = slurp(e.path());
    for (size_t at = text.find("TEST_CASE(\""); at != std::string::npos;
         at = text.find("TEST_CASE(\"", at + 1)) {
      const std::string name = case_name(text, at + 10);
      ++cases;
      INFO(e.path().string() << ": \"" << name << "\"");
      CHECK(name.find(';') == std::string::npos);
    }
  }
  CHECK(cases > 200);
}
