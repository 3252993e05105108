// pkirepo-publisher against a store made by the real signer: the demo site builds, every
// internal link and download resolves, the CRL and CA files are the store's bytes, the build is
// deterministic and a rebuild with no change writes nothing; exit codes and --strict.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <set>

#include "publisher_fixture.h"
#include "store/store.h"
#include "x509/bytes.h"

using namespace pkirepo;
using namespace pkirepo::test;
namespace fs = std::filesystem;

namespace {

// Every value of attribute `attr` ("href=\"", " id=\"") in a page. Plain scanning: std::regex
// recurses per character and overflows the stack on large pages.
std::vector<std::string> attribute_values(const std::string& html, const std::string& attr) {
  std::vector<std::string> out;
  for (size_t p = html.find(attr); p != std::string::npos; p = html.find(attr, p + 1)) {
    size_t start = p + attr.size();
    size_t end = html.find('"', start);
    if (end == std::string::npos) {
      break;
    }
    out.push_back(html.substr(start, end - start));
  }
  return out;
}

std::vector<std::string> links(const std::string& html) {
  std::vector<std::string> out = attribute_values(html, "href=\"");
  std::vector<std::string> src = attribute_values(html, "src=\"");
  out.insert(out.end(), src.begin(), src.end());
  return out;
}

std::set<std::string> ids(const std::string& html) {
  std::vector<std::string> v = attribute_values(html, " id=\"");
  return std::set<std::string>(v.begin(), v.end());
}

std::string unescape_attr(std::string s) {
  for (auto [from, to] : {std::pair<const char*, const char*>{"&amp;", "&"}, {"&quot;", "\""}}) {
    for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + 1)) {
      s.replace(p, std::string(from).size(), to);
    }
  }
  return s;
}

// Builds the demo site once for the checks below.
const fs::path& built_site() {
  static TempDir dir;
  static bool built = false;
  if (!built) {
    RunResult r = publish(demo_pki().config, {"build", "--out", (dir / "public").string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    built = true;
  }
  static const fs::path out = dir / "public";
  return out;
}

}  // namespace

TEST_CASE("demo site: every page, link and download", "[publisher][integration]") {
  const fs::path& out = built_site();
  const auto tree = read_tree(out);
  for (const char* must : {"index.html",
                           "404.html",
                           "certificates.html",
                           "crls.html",
                           "test-certificates.html",
                           "audits.html",
                           "incidents.html",
                           "feed.xml",
                           "sitemap.xml",
                           "style.css",
                           "print.css",
                           "cps/index.html",
                           "cps/archive.html",
                           "cps/1.0.html",
                           "cps/2.0.html",
                           "cps/1.0.md",
                           "cps/redline-1.0-2.0.html",
                           "cp/index.html",
                           "subscriber-agreement/index.html",
                           "relying-party-agreement/index.html",
                           "privacy/index.html",
                           "terms/index.html",
                           "audit-log-checkpoint.json",
                           "ca/root-2026.crt",
                           "ca/root-2026.pem",
                           "ca/tls-ec-2026.crt",
                           "test/tls-ec-2026-valid.crt",
                           "test/tls-ec-2026-revoked.pem",
                           "test/tls-ec-2026-expired.crt",
                           "incidents/2026-10-03-ocsp-latency.html",
                           "audits/2026-webtrust-ca.html"}) {
    INFO(must);
    CHECK(tree.count(must) == 1);
  }

  size_t checked = 0;
  for (const auto& [path, content] : tree) {
    if (path.size() < 5 || path.substr(path.size() - 5) != ".html") {
      continue;
    }
    INFO(path);
    // HTML5 basics on every page: doctype, lang, exactly one h1, no scripts.
    CHECK(content.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0) == 0);
    size_t h1 = 0;
    for (size_t p = content.find("<h1"); p != std::string::npos; p = content.find("<h1", p + 1)) {
      ++h1;
    }
    CHECK(h1 == 1);
    CHECK_THAT(content, !Catch::Contains("<script"));
    const std::set<std::string> own_ids = ids(content);
    const fs::path page_dir = fs::path(path).parent_path();
    for (std::string link : links(content)) {
      link = unescape_attr(link);
      if (link.rfind("http://", 0) == 0 || link.rfind("https://", 0) == 0 ||
          link.rfind("mailto:", 0) == 0) {
        continue;
      }
      INFO(link);
      std::string file = link.substr(0, link.find('#'));
      std::string fragment =
          link.find('#') == std::string::npos ? "" : link.substr(link.find('#') + 1);
      if (file.empty()) {
        CHECK(own_ids.count(fragment) == 1);  // in-page anchors exist
        continue;
      }
      // 404.html uses root-absolute links (a server may serve it at any path).
      fs::path target =
          file[0] == '/' ? fs::path(file.substr(1)) : (page_dir / file).lexically_normal();
      std::string rel = target.generic_string();
      CHECK(tree.count(rel) == 1);
      if (!fragment.empty() && tree.count(rel)) {
        CHECK(ids(tree.at(rel)).count(fragment) == 1);
      }
      ++checked;
    }
  }
  CHECK(checked > 200);

  // Feed and sitemap: absolute URLs under base_url, every sitemap URL is a page.
  CHECK_THAT(tree.at("feed.xml"), Catch::Contains("<id>http://pki.example.test/cps/2.0.html</id>"));
  CHECK_THAT(tree.at("feed.xml"), Catch::Contains("Incident: Sample incident"));
  size_t locs = 0;
  const std::string& sm = tree.at("sitemap.xml");
  const std::string prefix = "<loc>http://pki.example.test/";
  for (size_t p = sm.find(prefix); p != std::string::npos; p = sm.find(prefix, p + 1), ++locs) {
    size_t start = p + prefix.size();
    CHECK(tree.count(sm.substr(start, sm.find('<', start) - start)) == 1);
  }
  CHECK(locs > 15);
}

TEST_CASE("demo site: CA certificates and CRLs are the store's bytes at their URL paths",
          "[publisher][integration]") {
  const fs::path& out = built_site();
  store::ReadStore st(demo_pki().dir / "store");
  store::ReadTxn txn = st.begin_read();
  auto cas = store::list_cas(txn);
  REQUIRE(cas.size() == 4);
  for (const auto& ca : cas) {
    INFO(ca.id);
    CHECK(read_file(out / "ca" / (ca.id + ".crt")) == ca.cert_der);
    auto crl = store::get_crl(txn, ca.id, 0);
    REQUIRE(crl);
    // The CDP URL the signer writes: <base_url>/crl/<ca>.crl for an unsharded CRL.
    CHECK(read_file(out / "crl" / (ca.id + ".crl")) == crl->der);
    CHECK(fs::exists(out / "crl" / (ca.id + ".json")));
  }
  const std::string crls = read_text_file(out / "crls.html");
  CHECK_THAT(crls, Catch::Contains("http://pki.example.test/crl/tls-ec-2026.crl"));
  const std::string home = read_text_file(out / "index.html");
  CHECK_THAT(home, Catch::Contains("Audit log checkpoint"));
  // The checkpoint, never the records.
  auto cp = read_text_file(out / "audit-log-checkpoint.json");
  CHECK_THAT(cp, Catch::Matches(R"(\{"count":[1-9][0-9]*,"head_sha256":"[0-9a-f]{64}","key_id":"[0-9a-f]{64}","signature":"[0-9a-f]{128}","time":"[0-9TZ:-]+","type":"pkirepo-audit-checkpoint"\}\n)"));
  CHECK_THAT(home, !Catch::Contains("ca_key_generated"));
  const std::string tests = read_text_file(out / "test-certificates.html");
  CHECK_THAT(tests, Catch::Contains("CN=expired.pki.example.com"));
  CHECK_THAT(tests, Catch::Contains("<td>revoked</td><td>CN=revoked.pki.example.com</td>"));
}

TEST_CASE("demo site: certificates page, inventory groups with empty states, fragments",
          "[publisher][integration]") {
  const fs::path& out = built_site();
  const std::string certs = read_text_file(out / "certificates.html");
  CHECK_THAT(certs, Catch::Contains("<ul class=\"tree\">"));
  CHECK_THAT(certs, Catch::Contains("No CA has been retired."));
  const std::string ccadb = "SHA-256 (CCADB form)</dt><dd><code class=\"fp\">";
  size_t at = certs.find(ccadb);
  REQUIRE(at != std::string::npos);
  CHECK_THAT(certs.substr(at + ccadb.size(), 71), Catch::Matches("[0-9A-F]{64}</code>"));
  CHECK_THAT(certs, Catch::Contains("RSA 4096"));
  const std::string cps = read_text_file(out / "cps/index.html");
  CHECK_THAT(cps, Catch::Contains("<h4 id=\"4.9.7\">4.9.7 CRL Issuance Frequency"));
  CHECK_THAT(cps, Catch::Contains("<caption>Minimum key sizes (CPS 6.1.5)</caption>"));
  CHECK_THAT(cps, Catch::Contains("<caption>Certificate profile code-signing</caption>"));
  CHECK_THAT(cps, Catch::Contains("URI:http://pki.example.test/crl/tls-ec-2026.crl"));
  CHECK_THAT(cps, !Catch::Contains("{{pkirepo:"));
  const std::string redline = read_text_file(out / "cps/redline-1.0-2.0.html");
  CHECK_THAT(redline, Catch::Contains("<del>7</del><ins>4</ins>"));
  const std::string archive = read_text_file(out / "cps/archive.html");
  CHECK_THAT(archive, Catch::Contains("href=\"redline-1.0-2.0.html\""));
  CHECK_THAT(read_text_file(out / "cps/1.0.html"), Catch::Contains("This version is superseded"));
}

TEST_CASE("determinism and no-op rebuild", "[publisher][integration][determinism]") {
  TempDir dir;
  const fs::path a = dir / "a";
  const fs::path b = dir / "b";
  REQUIRE(publish(demo_pki().config, {"build", "--out", a.string()}).exit_code == 0);
  REQUIRE(publish(demo_pki().config, {"build", "--out", b.string()}).exit_code == 0);
  CHECK(read_tree(a) == read_tree(b));

  struct stat before {};
  REQUIRE(::stat((a / "cps/index.html").c_str(), &before) == 0);
  // A later moment that changes nothing shown: nothing written, the tree is untouched.
  RunResult again =
      publish(demo_pki().config, {"build", "--out", a.string()}, "2026-11-25T06:00:00Z");
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.out, Catch::StartsWith("no change:"));
  struct stat after {};
  REQUIRE(::stat((a / "cps/index.html").c_str(), &after) == 0);
  CHECK(after.st_ino == before.st_ino);
  CHECK(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
  CHECK(after.st_mtim.tv_sec == before.st_mtim.tv_sec);

  // The build state lives beside the output, not in it (it is not published).
  CHECK(fs::exists(dir / ".a.pkirepo-build"));
  CHECK(read_tree(a).count(".a.pkirepo-build") == 0);
  // A file changed or removed by hand is noticed (content compared by XXH3) and restored.
  write_text(a / "cps/index.html", "tampered");
  fs::remove(a / "style.css");
  RunResult repair = publish(demo_pki().config, {"build", "--out", a.string()});
  CHECK(repair.exit_code == 0);
  CHECK_THAT(repair.out, Catch::Contains("2 written"));
  CHECK(read_tree(a) == read_tree(b));
  // A changed input renders again; only the pages it touches are written.
  RunResult later =
      publish(demo_pki().config, {"build", "--out", a.string()}, "2026-12-30T00:00:00Z");
  CHECK(later.exit_code == 0);
  CHECK_THAT(later.out, Catch::Contains("built "));  // CRL nextUpdate has passed: "overdue"
  CHECK_THAT(read_text_file(a / "crls.html"), Catch::Contains("(overdue)"));
  CHECK(read_text_file(a / "cps/index.html") == read_text_file(b / "cps/index.html"));
}

TEST_CASE("exit codes: usage 2, bad input 1 naming the file, --strict fails on findings",
          "[publisher][cli]") {
  const DemoPki& pki = demo_pki();
  CHECK(publish(pki.config, {}).exit_code == 2);
  CHECK(publish(pki.config, {"build", "--bogus"}).exit_code == 2);
  const RunResult typo = publish(pki.config, {"buidl"});
  CHECK(typo.exit_code == 2);
  CHECK_THAT(typo.err, Catch::Contains("unknown command \"buidl\" (commands: build)"));

  TempDir dir;
  // --quiet (cron): no summary line; findings still go to stderr.
  const RunResult quiet = publish(pki.config, {"build", "--quiet", "--out", (dir / "q").string()});
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.out.empty());
  CHECK(fs::exists(dir / "q" / "index.html"));
  // The demo site has compliance findings at this moment (sample audits end 2026-07-14 but do
  // not cover the CAs without a gap at the store's creation): --strict refuses, writes nothing.
  RunResult strict = publish(pki.config, {"build", "--strict", "--out", (dir / "s").string()});
  if (strict.exit_code == 1) {
    CHECK_THAT(strict.err, Catch::Contains("--strict; nothing written"));
    CHECK_FALSE(fs::exists(dir / "s"));
  }

  // A broken front matter: exit 1, one line naming the file, line and key; nothing written.
  fs::path site = dir / "site";
  write_text(
      site / "cps/1.0.md",
      "+++\ntitle = \"CPS\"\nkind = \"cps\"\nversion = \"1.0\"\neffective = \"later\"\n+++\n");
  fs::path cfg = write_variant_config(dir.path(), site);
  RunResult bad = publish(cfg, {"build", "--out", (dir / "o").string()});
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("cps/1.0.md:5: effective: must be a date"));
  CHECK(std::count(bad.err.begin(), bad.err.end(), '\n') == 1);
  CHECK_FALSE(fs::exists(dir / "o"));

  // An unknown fragment names the line.
  write_text(
      site / "cps/1.0.md",
      "+++\ntitle = \"CPS\"\nkind = \"cps\"\nversion = \"1.0\"\neffective = 2026-11-01\n+++\n"
      "# 1. Intro\n\n{{pkirepo:profile-table nope}}\n");
  RunResult frag = publish(cfg, {"build", "--out", (dir / "o").string()});
  CHECK(frag.exit_code == 1);
  CHECK_THAT(frag.err, Catch::Contains("cps/1.0.md:9: profile-table: no profile \"nope\""));

  // A minimal clean site passes --strict only when every finding is gone; here it has some.
  write_text(
      site / "cps/1.0.md",
      "+++\ntitle = \"CPS\"\nkind = \"cps\"\nversion = \"1.0\"\neffective = 2026-11-01\n+++\n"
      "# 1. Intro\n");
  RunResult lax = publish(cfg, {"build", "--out", (dir / "o").string()});
  CHECK(lax.exit_code == 0);
  CHECK_THAT(lax.err, Catch::Contains("warning: repository: no Certificate Policy"));
  RunResult strict2 = publish(cfg, {"build", "--strict", "--out", (dir / "o2").string()});
  CHECK(strict2.exit_code == 1);
  CHECK_THAT(strict2.err, Catch::Contains("error: repository: no Certificate Policy"));
  CHECK_FALSE(fs::exists(dir / "o2"));
}
