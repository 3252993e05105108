// Policy documents as published (issue #20): generated fragments expanded into the Markdown,
// the redline rendered as the document with its changes marked, a version's text frozen once
// it is in effect, and the CP/CPS statements the root programs require, each from its date.
#include <catch2/catch.hpp>

#include "publisher/compliance.h"
#include "publisher/markdown.h"
#include "publisher/redline.h"
#include "publisher/site_source.h"
#include "publisher_fixture.h"
#include "x509/time.h"

using namespace pkirepo;
using namespace pkirepo::publisher;
using namespace pkirepo::test;
namespace fs = std::filesystem;

namespace {

UnixTime at(const char* text) {
  return *parse_rfc3339(text);
}

bool has(const std::vector<ComplianceFinding>& f, const std::string& needle) {
  for (const auto& x : f) {
    if ((x.subject + ": " + x.rule + ": " + x.message).find(needle) != std::string::npos) {
      return true;
    }
  }
  return false;
}

RenderedMarkdown render(const std::string& text) {
  return render_markdown(text, MarkdownOptions{});
}

}  // namespace

TEST_CASE("fragments expand to Markdown in place, and escaping keeps config text literal",
          "[publisher][markdown][fragments]") {
  FragmentResolver f = [](std::string_view name,
                          std::string_view arg) -> std::optional<std::string> {
    if (name == "t") {
      return "| a | b |\n|---|---|\n| " + md_escape(arg) + " | " + md_code("x|`y") + " |";
    }
    return std::nullopt;
  };
  MarkdownOptions o;
  o.fragments = &f;
  o.where = "cps/2.0.md";
  o.first_line = 7;
  const std::string text = "# 1. Intro\n\nBefore.\n\n{{pkirepo:t x|y_z*}}\n\nAfter.\n";
  const std::string expanded = expand_fragments(text, o);
  CHECK(expanded ==
        "# 1. Intro\n\nBefore.\n\n| a | b |\n|---|---|\n| x\\|y\\_z\\* | ``x\\|`y`` |\n\nAfter.\n");
  // The HTML is the expanded text rendered: a table whose cells hold the text, not markup.
  RenderedMarkdown html = render_markdown(text, o);
  CHECK_THAT(html.html, Catch::Contains("<td>x|y_z*</td>"));
  CHECK_THAT(html.html, Catch::Contains("<code>x|`y</code>"));
  CHECK(html.html == render(expanded).html);
  REQUIRE(html.blocks.size() == 4);
  CHECK(html.blocks[2].kind == "table");
  CHECK(html.blocks[0].heading);
  // Text without tags is returned as it is; an unknown tag names its line in the file.
  CHECK(expand_fragments("plain\n", o) == "plain\n");
  CHECK_THROWS_WITH(expand_fragments("a\n\n{{pkirepo:nope}}\n", o),
                    Catch::Contains("cps/2.0.md:9: unknown generated fragment {{pkirepo:nope}}"));
  MarkdownOptions none;
  CHECK_THROWS_WITH(render_markdown("{{pkirepo:t}}\n", none),
                    Catch::Contains("unknown generated fragment"));
}

TEST_CASE("redline: the newer document rendered, changes marked in place, unchanged folded",
          "[publisher][redline]") {
  const std::string older =
      "# 1. Introduction\n\nOne.\n\nTwo.\n\nThree.\n\n# 4. Life-Cycle\n\n"
      "| Field | Value |\n|---|---|\n| Maximum validity | 398 days |\n| EKU | `serverAuth` |\n\n"
      "## 4.9 Revocation\n\nWe revoke within 5 days.\n\n## 4.10 Old section\n\nGone soon.\n";
  const std::string newer =
      "# 1. Introduction\n\nOne.\n\nTwo.\n\nThree.\n\n# 4. Life-Cycle\n\n"
      "| Field | Value |\n|---|---|\n| Maximum validity | 200 days |\n| EKU | `serverAuth` |\n\n"
      "## 4.9 Revocation\n\nWe revoke within 24 hours.\n\nA new paragraph.\n";
  RedlineHtml r = redline_document(render(older), older, render(newer), newer);
  // A value inside a table changed: the table stays a table, the cell shows both values.
  CHECK_THAT(r.html, Catch::Contains("<td><del>398</del><ins>200</ins> days</td>"));
  CHECK_THAT(r.html, Catch::Contains("We revoke within <del>5</del><ins>24</ins>"));
  CHECK_THAT(r.html, Catch::Contains("<del>days.</del><ins>hours.</ins>"));
  // A removed section shows whole, struck through, without an id that would clash.
  CHECK_THAT(r.html, Catch::Contains("<del class=\"block\"><h3>4.10 Old section</h3>"));
  CHECK_THAT(r.html, Catch::Contains("<ins class=\"block\"><p>A new paragraph.</p>"));
  // The unchanged opening is folded, naming its sections; the heading before a change stays.
  CHECK_THAT(r.html, Catch::Contains("<details class=\"unchanged\"><summary>4 unchanged blocks: "
                                     "1. Introduction</summary>"));
  CHECK_THAT(r.html, Catch::Contains("</details>\n<h2 id=\"4\">4. Life-Cycle"));
  CHECK(r.changed_blocks == 4);  // table, 4.9 paragraph, 4.10 heading and its paragraph
  // The same text: nothing marked.
  RedlineHtml same = redline_document(render(newer), newer, render(newer), newer);
  CHECK(same.changed_blocks == 0);
  CHECK_THAT(same.html, !Catch::Contains("<ins"));
  CHECK_THAT(same.html, !Catch::Contains("<del"));
}

TEST_CASE(
    "policy statements: each rule fails without its statement, passes with it, from its "
    "effective date",
    "[publisher][compliance][policy-statements]") {
  Config cfg;
  ProfileConfig tls;
  tls.id = "tls-server";
  tls.eku = {"serverAuth"};
  cfg.profiles.push_back(tls);
  auto doc = [](const std::string& slug, DocumentKind kind, const std::string& version,
                const std::string& body) {
    Document d;
    d.slug = slug;
    DocumentVersion v;
    v.meta.kind = kind;
    v.meta.version = version;
    v.body = body;
    d.versions.push_back(v);
    return d;
  };
  const std::string conformance =
      "# 1. Introduction\n\nExample CA conforms to the current version of the Baseline "
      "Requirements. In the event of any inconsistency, those Requirements take precedence.\n\n"
      "## 1.5 Policy Administration\n\n### 1.5.1 Organization Administering the Document\n\n"
      "Example Trust Ltd, 1 High Street,\nSpringfield 12345\n\n### 1.5.2 Contact\n\nx\n";
  const UnixTime before_3_3_4 = at("2027-06-30T23:59:59Z");
  const UnixTime from_3_3_4 = at("2027-07-01T00:00:00Z");

  // Nothing stated, nothing configured.
  std::vector<Document> docs{doc("cps", DocumentKind::cps, "3.0", "# 1. Introduction\n\nx\n")};
  auto f = check_policy_statements(docs, cfg, before_3_3_4);
  CHECK(has(f, "cps 3.0: BR 2.2: neither the CP nor the CPS states"));
  CHECK(has(f, "Mozilla Root Store Policy 3.3 (3): names no licence"));
  CHECK_FALSE(has(f, "3.3.4"));  // not in force yet
  f = check_policy_statements(docs, cfg, from_3_3_4);
  CHECK(has(f, "[site.policy]: Mozilla Root Store Policy 3.3.4: legal_entity and legal_address"));
  CHECK(has(f, "cps 3.0: Mozilla Root Store Policy 3.3.4: no section 1.5.1"));

  // Everything stated: no finding, before or after 2027-07-01.
  docs = {doc("cps", DocumentKind::cps, "3.0", conformance)};
  cfg.site.policy.license = "CC-BY-4.0";
  cfg.site.policy.legal_entity = "Example Trust Ltd";
  cfg.site.policy.legal_address = "1 High Street, Springfield 12345";
  f = check_policy_statements(docs, cfg, before_3_3_4);
  INFO((f.empty() ? "" : f[0].message));
  CHECK(f.empty());
  CHECK(check_policy_statements(docs, cfg, from_3_3_4).empty());

  // A licence Mozilla does not list; a front matter licence overrides the config's.
  cfg.site.policy.license = "All rights reserved";
  CHECK(has(check_policy_statements(docs, cfg, from_3_3_4), "is not one Mozilla accepts"));
  docs[0].versions[0].meta.license = "CC0-1.0";
  CHECK(check_policy_statements(docs, cfg, from_3_3_4).empty());
  cfg.site.policy.license = "CC-BY-4.0";

  // Another address in the config than in 1.5.1.
  cfg.site.policy.legal_address = "2 Low Road, Shelbyville";
  f = check_policy_statements(docs, cfg, from_3_3_4);
  CHECK(has(f, "section 1.5.1 does not state the address"));
  CHECK(check_policy_statements(docs, cfg, before_3_3_4).empty());
  cfg.site.policy.legal_address = "1 High Street, Springfield 12345";

  // Without a serverAuth profile the BR statement is not required.
  docs[0].versions[0].body = conformance.substr(0, conformance.find("Example CA")) +
                             conformance.substr(conformance.find("## 1.5"));
  CHECK(has(check_policy_statements(docs, cfg, from_3_3_4), "BR 2.2"));
  Config no_tls = cfg;
  no_tls.profiles.clear();
  CHECK(check_policy_statements(docs, no_tls, from_3_3_4).empty());
  docs[0].versions[0].body = conformance;

  // A CPS in German needs an English version with the same version number.
  Document de = doc("cps-de", DocumentKind::cps, "3.0", conformance);
  de.versions[0].meta.lang = "de";
  docs.push_back(de);
  f = check_policy_statements(docs, cfg, from_3_3_4);
  CHECK(has(f, "cps-de 3.0: CCADB Policy 5: is in \"de\" and names no English version"));
  docs[1].versions[0].meta.translation_of = "cps";
  CHECK(check_policy_statements(docs, cfg, from_3_3_4).empty());
  docs[1].versions[0].meta.version = "3.1";
  CHECK(has(check_policy_statements(docs, cfg, from_3_3_4),
            "translation_of \"cps\" has no English version 3.1"));
  // The rule table states each rule's date (docs/publisher.md lists the same).
  REQUIRE(policy_statement_rules().size() == 4);
  CHECK(std::string(policy_statement_rules()[2].effective_text) == "2027-07-01");
}

TEST_CASE(
    "published text: the .md is the full text, a version in effect never changes, a new "
    "version's redline shows a generated table's change",
    "[publisher][integration][policy-text]") {
  TempDir dir;
  const fs::path site = dir / "site";
  // 1.0 is in effect at the build time (kPublishNow, 2026-11-25); 2.0 takes effect later.
  const std::string body =
      "# 1. Introduction\n\nText.\n\n# 7. Certificate Profiles\n\n"
      "{{pkirepo:profile-table tls-server}}\n";
  write_text(site / "cps/1.0.md",
             "+++\ntitle = \"CPS\"\nkind = \"cps\"\nversion = \"1.0\"\neffective = "
             "2026-11-01\n+++\n" +
                 body);
  write_text(site / "cps/2.0.md",
             "+++\ntitle = \"CPS\"\nkind = \"cps\"\nversion = \"2.0\"\neffective = "
             "2027-01-01\n+++\n" +
                 body);
  const fs::path cfg = write_variant_config(dir.path(), site);
  const fs::path out = dir / "out";
  RunResult first = publish(cfg, {"build", "--out", out.string()});
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  const std::string md10 = read_text_file(out / "cps/1.0.md");
  CHECK_THAT(md10, !Catch::Contains("{{pkirepo:"));
  CHECK_THAT(md10, Catch::Contains("| Maximum validity | 47d (47 days) |"));
  CHECK_THAT(md10, Catch::StartsWith("+++\ntitle = \"CPS\""));
  CHECK_THAT(read_text_file(out / "cps/1.0.html"), Catch::Contains("<td>47d (47 days)</td>"));
  // Same inputs, same text: no finding about it.
  CHECK_THAT(first.err, !Catch::Contains("published text differs"));

  // The profile's validity changes in the config without a new CPS version.
  std::string config_text = read_text_file(cfg);
  const size_t p = config_text.find("validity = \"47d\"");
  REQUIRE(p != std::string::npos);
  config_text.replace(p, 16, "validity = \"40d\"");
  write_text(cfg, config_text);
  RunResult second = publish(cfg, {"build", "--out", out.string()});
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  CHECK_THAT(second.err,
             Catch::Contains("cps 1.0: in effect since 2026-11-01, its published text differs at"));
  CHECK_THAT(second.err, Catch::Contains("Maximum validity | 47d"));
  // 1.0 keeps the text it was published with, HTML and Markdown alike.
  CHECK(read_text_file(out / "cps/1.0.md") == md10);
  CHECK_THAT(read_text_file(out / "cps/1.0.html"), Catch::Contains("<td>47d (47 days)</td>"));
  // 2.0 is not in effect yet: it states the new profile, and its redline shows the change
  // inside the generated table.
  CHECK_THAT(read_text_file(out / "cps/2.0.md"), Catch::Contains("| Maximum validity | 40d"));
  const std::string red = read_text_file(out / "cps/redline-1.0-2.0.html");
  CHECK_THAT(red, Catch::Contains(
                      "<td><del>47d</del><ins>40d</ins> <del>(47</del><ins>(40</ins> days)</td>"));
  // --strict refuses until the change is a new version (or the old text is let go on purpose).
  RunResult strict = publish(cfg, {"build", "--strict", "--out", out.string()});
  CHECK(strict.exit_code == 1);
  CHECK_THAT(strict.err, Catch::Contains("published text differs"));
}
