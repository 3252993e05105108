// docs/configuration.md cannot drift from the config reader: every key the reader reads
// (core/config/*.cpp) is documented, and every documented key is one the reader reads.
// A key is matched by its last name segment ("ocsp.responder_key_dir" ↔ "responder_key_dir").
#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <set>

#include "support/test_support.h"

using namespace pkirepo::test;

namespace {

std::string slurp_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  REQUIRE(in);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("docs/configuration.md lists exactly the keys the config reader knows",
          "[config][docs]") {
  std::string reader;  // every file of the config reader
  for (const auto& e : std::filesystem::directory_iterator(source_dir() / "core/config")) {
    if (e.path().extension() == ".cpp") {
      reader += slurp_text(e.path());
    }
  }
  std::set<std::string> read_keys;
  static const std::regex call(
      R"re(\b(?:r|tr)\.(?:string|duration|boolean|integer|strings|date)\("([a-z_0-9]+)")re");
  for (auto it = std::sregex_iterator(reader.begin(), reader.end(), call);
       it != std::sregex_iterator(); ++it) {
    read_keys.insert((*it)[1]);
  }
  // Tables and arrays of tables read through node()/subtable().
  for (const char* table : {"key", "test_certificates", "problem_reporting", "policy"}) {
    REQUIRE(reader.find(std::string("\"") + table + "\"") != std::string::npos);
    read_keys.insert(table);
  }
  REQUIRE(read_keys.size() > 50);

  const std::string doc = slurp_text(source_dir() / "docs/configuration.md");
  std::set<std::string> documented;
  static const std::regex row(R"re(\n\| `([a-z_0-9]+(?:\.[a-z_0-9]+)+)` \|)re");
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), row); it != std::sregex_iterator();
       ++it) {
    const std::string full = (*it)[1];
    documented.insert(full.substr(full.rfind('.') + 1));
  }
  for (const std::string& key : read_keys) {
    INFO("read by core/config, missing from docs/configuration.md: " << key);
    CHECK(documented.count(key) == 1);
  }
  for (const std::string& key : documented) {
    INFO("documented in docs/configuration.md, unknown to core/config: " << key);
    CHECK(read_keys.count(key) == 1);
  }
}
