// The site source as hostile input (issue #19): symlinks that leave the source folder, front
// matter too large or too deeply nested for toml++, and the build's temporary folders. The
// loader is driven directly for each case; the real pkirepo-publisher shows the exit code, the
// one-line message and that nothing is written.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "config/toml_bounds.h"
#include "publisher/front_matter.h"
#include "publisher/site_output.h"
#include "publisher/site_source.h"
#include "publisher_fixture.h"
#include "x509/bytes.h"

using namespace pkirepo;
using namespace pkirepo::publisher;
using namespace pkirepo::test;
namespace fs = std::filesystem;

namespace {

const std::string kCps =
    "+++\ntitle = \"CPS\"\nkind = \"cps\"\nversion = \"1.0\"\neffective = 2026-11-01\n+++\n"
    "# 1. Intro\n";
const std::string kPrivacy =
    "+++\ntitle = \"Privacy\"\nkind = \"privacy\"\nversion = \"1\"\neffective = 2026-11-01\n+++\n"
    "SECRET-OUTSIDE-THE-TREE\n";

// A minimal valid site source in `dir`.
void write_site(const fs::path& dir) {
  write_text(dir / "cps/1.0.md", kCps);
}

std::string load_error(const fs::path& dir) {
  try {
    (void)load_site_source(dir);
  } catch (const SiteError& e) {
    return e.what();
  }
  return "";
}

// Front matter whose only key is `depth` dotted levels deep: a.a.a... = 1.
std::string nested_keys(size_t depth) {
  std::string key = "a";
  key.reserve(depth * 2);
  for (size_t i = 1; i < depth; ++i) {
    key += ".a";
  }
  return "+++\n" + key + " = 1\n+++\nbody\n";
}

}  // namespace

TEST_CASE("site source: symlinks that leave the folder are refused, naming link and target",
          "[publisher][hardening][symlink]") {
  TempDir dir;
  const fs::path site = dir / "site";
  write_site(site);
  write_text(dir / "outside/privacy.md", kPrivacy);
  write_text(dir / "outside/docs/1.0.md", kPrivacy);

  SECTION("a file") {
    fs::create_symlink(dir / "outside/privacy.md", site / "privacy.md");
    const std::string e = load_error(site);
    CHECK_THAT(
        e, Catch::StartsWith((site / "privacy.md").string() + ": symlink to " +
                             (dir / "outside/privacy.md").string() + " leaves the site source"));
    CHECK(std::count(e.begin(), e.end(), '\n') == 0);
  }
  SECTION("a relative link climbing out") {
    fs::create_symlink("../outside/privacy.md", site / "privacy.md");
    CHECK_THAT(load_error(site), Catch::Contains("symlink to ../outside/privacy.md leaves"));
  }
  SECTION("/etc/passwd") {
    fs::create_symlink("/etc/passwd", site / "privacy.md");
    CHECK_THAT(load_error(site), Catch::Contains("privacy.md: symlink to /etc/passwd leaves"));
  }
  SECTION("a folder") {
    fs::create_directory_symlink(dir / "outside/docs", site / "docs");
    CHECK_THAT(load_error(site), Catch::Contains("docs: symlink to"));
  }
  SECTION("a file inside a document folder") {
    fs::create_symlink(dir / "outside/privacy.md", site / "cps/2.0.md");
    CHECK_THAT(load_error(site), Catch::Contains("cps/2.0.md: symlink to"));
  }
  SECTION("an audit report beside its record") {
    write_text(site / "audits/2026.toml",
               "auditor = \"A\"\nscheme = \"WebTrust for CAs\"\nperiod_start = 2025-01-01\n"
               "period_end = 2025-12-31\nreport_date = 2026-03-01\ncas = [\"root\"]\n"
               "report = \"_report.md\"\n");
    // An ignored name ('_'): not listed, only reached through the record.
    fs::create_symlink(dir / "outside/privacy.md", site / "audits/_report.md");
    CHECK_THAT(load_error(site), Catch::Contains("audits/_report.md: symlink to"));
  }
  SECTION("an incident's affected CSV") {
    write_text(site / "incidents/2026-x.md",
               "+++\ntitle = \"X\"\ndate = 2026-11-01\nstatus = \"open\"\n"
               "affected = \"_a.csv\"\n+++\nbody\n");
    write_text(dir / "outside/a.csv", "serial\n");
    fs::create_symlink(dir / "outside/a.csv", site / "incidents/_a.csv");
    CHECK_THAT(load_error(site), Catch::Contains("incidents/_a.csv: symlink to"));
  }
  SECTION("dangling and looping links") {
    fs::create_symlink(dir / "nothing-here.md", site / "privacy.md");
    CHECK_THAT(load_error(site),
               Catch::Contains("privacy.md: symlink to " + (dir / "nothing-here.md").string() +
                               " does not resolve"));
    fs::remove(site / "privacy.md");
    fs::create_symlink("loop.md", site / "loop.md");
    CHECK_THAT(load_error(site), Catch::Contains("loop.md: symlink to loop.md does not resolve"));
  }
}

TEST_CASE("site source: symlinks that stay inside are followed, and the folder may be a link",
          "[publisher][hardening][symlink]") {
  TempDir dir;
  const fs::path site = dir / "site";
  write_site(site);
  write_text(site / "_shared/privacy.md", kPrivacy);
  fs::create_symlink("_shared/privacy.md", site / "privacy.md");       // relative, inside
  fs::create_symlink(site / "_shared/privacy.md", site / "terms.md");  // absolute, inside
  write_text(
      site / "_cp/1.0.md",
      "+++\ntitle = \"CP\"\nkind = \"cp\"\nversion = \"1.0\"\neffective = 2026-11-01\n+++\n");
  fs::create_directory_symlink("_cp", site / "cp");  // a folder, inside
  fs::create_directory_symlink(site, dir / "site-link");

  for (const fs::path& root : {site, dir / "site-link"}) {
    INFO(root);
    const SiteSource s = load_site_source(root);
    REQUIRE(s.documents.size() == 4);
    size_t privacy = 0;
    for (const Document& d : s.documents) {
      privacy += d.current().body == "SECRET-OUTSIDE-THE-TREE\n" ? 1 : 0;
    }
    CHECK(privacy == 2);  // privacy.md and terms.md, both through links
  }
}

TEST_CASE("front matter: too large or too deeply nested is refused before toml++ parses it",
          "[publisher][hardening][front-matter]") {
  // 60,000 nested dotted keys: a stack overflow inside toml++ before the bounds (issue #19);
  // at 120 KB the size bound answers first. 30,000 levels fit in 64 KiB: the nesting bound.
  const SplitSource huge = split_front_matter(nested_keys(60000), "deep.md");
  CHECK_THROWS_WITH(parse_document_meta(huge.front, "deep.md", 2),
                    Catch::StartsWith("deep.md:2:1: front matter: larger than the limit"));
  const SplitSource deep = split_front_matter(nested_keys(30000), "deep.md");
  CHECK_THROWS_WITH(parse_document_meta(deep.front, "deep.md", 2),
                    Catch::StartsWith("deep.md:2:32: front matter: nesting deeper than 16 levels"));
  CHECK_THROWS_WITH(parse_incident_meta(deep.front, "deep.md", 2),
                    Catch::Contains("nesting deeper than 16 levels"));
  // 16 levels are allowed (then refused as an unknown key, by the reader after toml++).
  CHECK_THROWS_WITH(parse_document_meta(split_front_matter(nested_keys(16), "d.md").front, "d.md"),
                    Catch::Contains("unknown key") || Catch::Contains("required key"));
  // Arrays and inline tables count too.
  CHECK_THROWS_WITH(
      parse_document_meta("x = " + std::string(17, '[') + std::string(17, ']'), "d.md"),
      Catch::Contains("d.md:2:20: front matter: nesting deeper than 16"));
  // The same bound for audit records.
  CHECK_THROWS_WITH(parse_audit_meta(nested_keys(100).substr(4), "a.toml"),
                    Catch::StartsWith("a.toml:1:32: audit record: nesting deeper than 16"));

  // 64 KiB: a front matter one byte over is refused by size; brackets and dots inside strings
  // and comments are not nesting.
  std::string big = "title = \"" + std::string(kMaxFrontMatterBytes, 'x') + "\"\n";
  CHECK_THROWS_WITH(parse_document_meta(big, "big.md"),
                    Catch::StartsWith("big.md:2:1: front matter: larger than the limit of 65536 "
                                      "bytes; refused before parsing"));
  const std::string strings =
      "title = \"[[[[[[[[[[[[[[[[[[[[.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a\"\n"
      "kind = 'cps' # [[[[[[[[[[[[[[[[[[[[[[[[ a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q\n"
      "version = \"1.0\"\neffective = 2026-01-01\n"
      "changes = \"\"\"\n[[[[[[[[[[[[[[[[[[[[[[[[\na.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a\n\"\"\"\n"
      "oid = \"1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18\"\n";
  CHECK(parse_document_meta(strings, "ok.md").oid ==
        "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18");
}

TEST_CASE("front matter: a TOML syntax error is one line with file, line and column",
          "[publisher][hardening][front-matter]") {
  try {
    (void)parse_document_meta("title = \"T\"\nkind = \"cps\nversion = \"2\"\n", "x.md", 2);
    FAIL("accepted");
  } catch (const SiteError& e) {
    const std::string m = e.what();
    CHECK_THAT(m, Catch::Matches(R"(x\.md:3:\d+: .+)"));
    CHECK(m.find('\n') == std::string::npos);
  }
}

TEST_CASE("pkirepo-publisher: hostile site source exits 1 with one line and writes nothing",
          "[publisher][hardening][cli]") {
  TempDir dir;
  const fs::path site = dir / "site";
  write_site(site);
  const fs::path cfg = write_variant_config(dir.path(), site);
  const fs::path out = dir / "public";
  // A good build first: the failed builds below must leave it exactly as it is.
  RunResult good = publish(cfg, {"build", "--out", out.string()});
  INFO(good.err);
  REQUIRE(good.exit_code == 0);
  const auto before = read_tree(out);
  const auto parent_before = std::distance(fs::directory_iterator(dir.path()), {});

  struct Case {
    const char* name;
    std::string expect;
  };
  write_text(dir / "outside.md", kPrivacy);
  const std::vector<Case> cases = {
      {"outside symlink", (site / "privacy.md").string() + ": symlink to "},
      {"30000 nested keys", "cps/1.0.md:2:32: front matter: nesting deeper than 16 levels"},
      {"oversized front matter", "cps/1.0.md:2:1: front matter: larger than the limit of 65536"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    write_site(site);
    if (std::string(c.name) == "outside symlink") {
      fs::create_symlink(dir / "outside.md", site / "privacy.md");
    } else if (std::string(c.name) == "30000 nested keys") {
      write_text(site / "cps/1.0.md", nested_keys(30000));
    } else {
      write_text(site / "cps/1.0.md",
                 "+++\ntitle = \"" + std::string(70 * 1024, 'x') + "\"\n+++\nbody\n");
    }
    for (const fs::path& o : {out, dir / "fresh"}) {
      RunResult r = publish(cfg, {"build", "--out", o.string()});
      CHECK(r.exit_code == 1);  // not a signal: no crash
      CHECK_THAT(r.err, Catch::Contains(c.expect));
      CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    }
    CHECK_FALSE(fs::exists(dir / "fresh"));
    CHECK(read_tree(out) == before);
    // No temporary folder or file left beside the output.
    CHECK(std::distance(fs::directory_iterator(dir.path()), {}) == parent_before + 1);
    fs::remove(site / "privacy.md");
  }
}
