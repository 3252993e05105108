// Unit tests of the publisher's modules: front matter, anchors, escaping, word diff, the
// compliance rules, version order and the no-op-aware output writer.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <thread>

#include "publisher/builder.h"
#include "publisher/ca_files.h"
#include "publisher/ccadb_meta.h"
#include "publisher/compliance.h"
#include "publisher/front_matter.h"
#include "publisher/html.h"
#include "publisher/markdown.h"
#include "publisher/site_output.h"
#include "publisher/site_source.h"
#include "publisher/word_diff.h"
#include "support/config_snippets.h"
#include "support/test_support.h"
#include "x509/der.h"

using namespace pkirepo;
using namespace pkirepo::publisher;
using pkirepo::test::TempDir;

namespace {
UnixTime day(const char* text) {
  return *parse_rfc3339(text);
}

AuditPeriod period(const std::string& where, const char* start, const char* end, const char* report,
                   std::vector<std::string> cas = {"root"},
                   const std::string& scheme = "WebTrust for CAs") {
  AuditPeriod a;
  a.where = where;
  a.meta.auditor = "A";
  a.meta.scheme = scheme;
  a.meta.period_start = day(start);
  a.meta.period_end = day(end);
  a.meta.report_date = day(report);
  a.meta.period_start_text = start;
  a.meta.period_end_text = end;
  a.meta.report_date_text = report;
  a.meta.cas = std::move(cas);
  return a;
}

bool has_finding(const std::vector<ComplianceFinding>& f, const std::string& needle) {
  for (const auto& x : f) {
    if ((x.subject + ": " + x.message).find(needle) != std::string::npos) {
      return true;
    }
  }
  return false;
}
}  // namespace

TEST_CASE("front matter: split, parse, and errors that name file, line and key",
          "[publisher][front-matter]") {
  SplitSource s = split_front_matter(
      "+++\ntitle = \"CPS\"\nkind = \"cps\"\nversion = \"3.2\"\neffective = 2026-03-01\n"
      "oid = \"1.2.3\"\nchanges = \"Annual review\"\n+++\n# Body\n",
      "cps/3.2.md");
  CHECK(s.body == "# Body\n");
  CHECK(s.body_line == 9);
  DocumentMeta m = parse_document_meta(s.front, "cps/3.2.md");
  CHECK(m.title == "CPS");
  CHECK(m.kind == DocumentKind::cps);
  CHECK(m.version == "3.2");
  CHECK(m.effective_text == "2026-03-01");
  CHECK(m.oid == "1.2.3");
  CHECK(m.changes == "Annual review");

  // No front matter: the whole text is the body.
  CHECK(split_front_matter("# Just text\n", "x.md").front.empty());
  // CRLF line endings and a string date are accepted.
  SplitSource crlf = split_front_matter("+++\r\ntitle = \"T\"\r\n+++\r\nbody", "x.md");
  CHECK(crlf.body == "body");

  struct Bad {
    const char* text;
    const char* message;
  };
  const Bad bad[] = {
      {"title = \"T\"\nkind = \"cps\"\neffective = 2026-01-01\n",
       "x.md:2: version: required key is missing"},
      {"title = \"T\"\nkind = \"memo\"\nversion = \"1\"\neffective = 2026-01-01\n",
       "x.md:3: kind: \"memo\" is not one of"},
      {"title = \"T\"\nkind = \"cps\"\nversion = \"v2\"\neffective = 2026-01-01\n",
       "x.md:4: version: \"v2\" is not a dotted number"},
      {"title = \"T\"\nkind = \"cps\"\nversion = \"2\"\neffective = \"soon\"\n",
       "x.md:5: effective: must be a date"},
      {"title = \"T\"\nkind = \"cps\"\nversion = \"2\"\neffective = 2026-01-01\ncolour = 1\n",
       "x.md:6: colour: unknown key"},
      {"title = \"T\"\nkind = \"cps\nversion = \"2\"\n", "x.md:3:"},
  };
  for (const Bad& b : bad) {
    INFO(b.text);
    try {
      (void)parse_document_meta(b.text, "x.md", 2);
      FAIL("accepted");
    } catch (const SiteError& e) {
      CHECK_THAT(e.what(), Catch::StartsWith(b.message) || Catch::Contains(b.message));
    }
  }
  CHECK_THROWS_WITH(split_front_matter("+++\ntitle = \"T\"\n", "y.md"),
                    Catch::Contains("y.md:1: front matter: no closing +++ line"));

  AuditMeta a = parse_audit_meta(
      "auditor = \"X\"\nscheme = \"WebTrust for CAs\"\nperiod_start = 2025-01-01\n"
      "period_end = 2025-12-31\nreport_date = 2026-03-01\ncas = [\"root\"]\nsample = true\n",
      "a.toml");
  CHECK(a.period_end_text == "2025-12-31");
  CHECK(a.sample);
  CHECK_THROWS_WITH(parse_audit_meta("auditor = \"X\"\nscheme = \"S\"\nperiod_start = 2025-01-01\n"
                                     "period_end = 2024-12-31\nreport_date = 2026-03-01\n"
                                     "cas = [\"root\"]\n",
                                     "a.toml"),
                    Catch::Contains("a.toml:4: period_end: is before period_start"));
}

TEST_CASE("versions compare numerically", "[publisher][front-matter]") {
  CHECK(compare_versions("3.10", "3.9") > 0);
  CHECK(compare_versions("3.2", "3.2") == 0);
  CHECK(compare_versions("3.2", "3.2.1") < 0);
  CHECK(compare_versions("10", "9.9") > 0);
  CHECK(compare_versions("03.1", "3.1") == 0);
}

TEST_CASE("anchors: RFC 3647 section numbers are stable ids", "[publisher][anchors]") {
  CHECK(section_anchor("4.9.7 CRL Issuance Frequency") == "4.9.7");
  CHECK(section_anchor("4.9.7. CRL Issuance Frequency") == "4.9.7");
  CHECK(section_anchor("  9.16.3\tSeverability") == "9.16.3");
  CHECK(section_anchor("1. Introduction") == "1");
  CHECK(section_anchor("Change History") == "change-history");
  CHECK(section_anchor("2026 plans") == "2026");
  CHECK(section_anchor("4.9.7x not a number") == "4-9-7x-not-a-number");
  CHECK(section_anchor("v1.2 notes") == "v1-2-notes");

  MarkdownOptions o;
  RenderedMarkdown md = render_markdown(
      "# 4. Life cycle\n\n## 4.9.7 CRL Issuance Frequency\n\ntext\n\n## Notes\n\n## Notes\n", o);
  // "#" headings move down one level: the page title is the only <h1>.
  CHECK_THAT(md.html, Catch::Contains("<h2 id=\"4\">4. Life cycle"));
  CHECK_THAT(md.html, Catch::Contains("<h3 id=\"4.9.7\">4.9.7 CRL Issuance Frequency"));
  CHECK_THAT(md.html, Catch::Contains("<h3 id=\"notes\">"));
  CHECK_THAT(md.html, Catch::Contains("<h3 id=\"notes-2\">"));
  CHECK_THAT(md.html, !Catch::Contains("<h1"));
  REQUIRE(md.toc.size() == 4);
  CHECK(md.toc[1].anchor == "4.9.7");
  CHECK(md.toc[1].level == 3);
}

TEST_CASE("markdown: GFM tables and autolinks, safe mode drops raw HTML, fragments",
          "[publisher][markdown]") {
  const std::string text =
      "| a | b |\n|---|--:|\n| 1 | 2 |\n\nSee https://example.test/x and <b>bold</b>.\n\n"
      "<script>alert(1)</script>\n\n[x](javascript:alert(1))\n";
  MarkdownOptions unsafe;
  RenderedMarkdown u = render_markdown(text, unsafe);
  CHECK_THAT(u.html, Catch::Contains("<table>"));
  CHECK_THAT(u.html, Catch::Contains("style=\"text-align: right\""));
  CHECK_THAT(u.html, Catch::Contains("<a href=\"https://example.test/x\">"));
  CHECK_THAT(u.html, Catch::Contains("<b>bold</b>"));  // operator content kept
  MarkdownOptions safe;
  safe.safe = true;
  RenderedMarkdown s = render_markdown(text, safe);
  CHECK_THAT(s.html, !Catch::Contains("<script"));
  CHECK_THAT(s.html, !Catch::Contains("<b>"));
  CHECK_THAT(s.html, !Catch::Contains("javascript:"));

  FragmentResolver f = [](std::string_view name,
                          std::string_view arg) -> std::optional<std::string> {
    if (name == "profile-table") {
      return "<table data-profile=\"" + escape_html(arg) + "\"></table>";
    }
    return std::nullopt;
  };
  MarkdownOptions with;
  with.fragments = &f;
  with.where = "cps.md";
  with.first_line = 10;
  RenderedMarkdown r = render_markdown("Intro\n\n{{pkirepo:profile-table tls-server}}\n", with);
  CHECK_THAT(r.html, Catch::Contains("<table data-profile=\"tls-server\"></table>"));
  CHECK_THAT(r.html, !Catch::Contains("pkirepo:"));
  CHECK_THROWS_WITH(render_markdown("a\n\n{{pkirepo:nope}}\n", with),
                    Catch::Contains("cps.md:12: unknown generated fragment {{pkirepo:nope}}"));
}

TEST_CASE("escaping: HTML and XML metacharacters", "[publisher][escape]") {
  CHECK(escape_html("CN=<script>alert(1)</script>,O=\"A&B\",OU='x'") ==
        "CN=&lt;script&gt;alert(1)&lt;/script&gt;,O=&quot;A&amp;B&quot;,OU=&#39;x&#39;");
  CHECK(escape_xml("a<b>&\"'") == "a&lt;b&gt;&amp;&quot;&apos;");
  CHECK(slugify("Subscriber Agreement (2026)") == "subscriber-agreement-2026");
  CHECK(slugify("***") == "section");
  CHECK(root_prefix("index.html").empty());
  CHECK(root_prefix("cps/3.2.html") == "../");
}

TEST_CASE("escaping: a CA subject with markup shows as text on every page", "[publisher][escape]") {
  // A self-signed CA certificate whose subject is CN=<script>alert(1)</script>.
  EvpPkeyPtr key = test::make_key("ec-p384");
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 7);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("<script>alert(1)</script>"),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set1_notBefore(cert.get(), make_x509_time(day("2026-01-01")).get());
  X509_set1_notAfter(cert.get(), make_x509_time(day("2036-01-01")).get());
  X509_set_pubkey(cert.get(), key.get());
  REQUIRE(X509_sign(cert.get(), key.get(), EVP_sha384()) > 0);

  Config config = parse_config(R"([repository]
name = "Name <i>with</i> markup & more"
store = "store"
base_url = "http://pki.example.test"
)" + test::ca_toml({.id = "root",
                    .role = "root",
                    .parent = "",
                    .subject = "CN=Root,C=US",
                    .validity = "20y",
                    .eku = {}}),
                               "pkirepo.toml");
  StoreSnapshot snap;
  CaEntry ca;
  ca.id = "root";
  ca.der = to_der(cert.get());
  ca.facts = cert_facts(ca.der, "test");
  snap.cas.push_back(ca);
  SiteSource source;
  Document d;
  d.slug = "cps";
  DocumentVersion v;
  v.meta.title = "<img src=x onerror=alert(1)>";
  v.meta.kind = DocumentKind::cps;
  v.meta.version = "1.0";
  v.meta.effective = day("2026-01-01");
  v.meta.effective_text = "2026-01-01";
  v.meta.changes = "\"><script>bad()</script>";
  v.body = "{{pkirepo:root-fingerprints}}\n\n{{pkirepo:ca-table}}\n";
  d.versions.push_back(v);
  source.documents.push_back(d);
  Templates templates(test::source_dir() / "site-templates");
  SiteFiles site = render_site(config, source, snap, templates, day("2026-06-01"));
  size_t pages = 0;
  for (const auto& [path, content] : site.files()) {
    if (path.size() < 5 || path.substr(path.size() - 5) != ".html") {
      continue;
    }
    ++pages;
    INFO(path);
    CHECK_THAT(content, !Catch::Contains("<script"));
    CHECK_THAT(content, !Catch::Contains("<img"));
    CHECK_THAT(content, !Catch::Contains("<i>with"));
  }
  CHECK(pages >= 8);
  // name_to_string() writes RFC 2253 escapes (\<); the page shows them, escaped again.
  const std::string& certs = site.files().at("certificates.html");
  CHECK_THAT(certs, Catch::Contains("CN=\\&lt;script\\&gt;alert(1)\\&lt;/script\\&gt;"));
  CHECK_THAT(site.files().at("cps/index.html"),
             Catch::Contains("CN=\\&lt;script\\&gt;alert(1)\\&lt;/script\\&gt;"));
  CHECK_THAT(site.files().at("feed.xml"), Catch::Contains("&lt;img src=x"));
}

TEST_CASE("word diff: insertions and deletions at word level", "[publisher][diff]") {
  auto chunks = diff_words("The CA signs CRLs every 7 days.\nUnchanged line.\n",
                           "The CA signs CRLs at least every 4 days.\nUnchanged line.\n");
  std::string html = redline_html(chunks);
  CHECK(html ==
        "The CA signs CRLs <ins>at least </ins>every <del>7</del><ins>4</ins> days.\n"
        "Unchanged line.\n");
  DiffStats st = diff_stats(chunks);
  CHECK(st.inserted_words == 3);
  CHECK(st.removed_words == 1);

  // Reassembly: same+remove = old, same+insert = new, for a table of cases.
  const std::pair<std::string, std::string> cases[] = {
      {"", ""},
      {"", "all new\n"},
      {"all gone\n", ""},
      {"a b c\n", "a b c\n"},
      {"one\ntwo\nthree\n", "zero\none\nthree\nfour"},
      {"x < y & z\n", "x > y & z\n"},
  };
  for (const auto& [a, b] : cases) {
    auto c = diff_words(a, b);
    std::string old_text;
    std::string new_text;
    for (const auto& ch : c) {
      if (ch.op != DiffOp::insert) {
        old_text += ch.text;
      }
      if (ch.op != DiffOp::remove) {
        new_text += ch.text;
      }
    }
    CHECK(old_text == a);
    CHECK(new_text == b);
  }
  CHECK(redline_html(diff_words("x < y\n", "x > y\n")) == "x <del>&lt;</del><ins>&gt;</ins> y\n");
  CHECK(diff_stats(diff_words("same\n", "same\n")).inserted_words == 0);
}

TEST_CASE("audit continuity: gaps, overlaps, long periods, late and early reports",
          "[publisher][compliance]") {
  const UnixTime now = day("2026-06-01");
  SECTION("contiguous yearly audits reported on time: no finding") {
    auto f = check_audits({period("a1", "2024-04-01", "2025-03-31", "2025-06-15"),
                           period("a2", "2025-04-01", "2026-03-31", "2026-05-20")},
                          {"root"}, {"root"}, now);
    CHECK(f.empty());
  }
  SECTION("gap") {
    auto f = check_audits({period("a1", "2024-04-01", "2025-03-31", "2025-06-15"),
                           period("a2", "2025-05-01", "2026-03-31", "2026-05-20")},
                          {"root"}, {"root"}, now);
    REQUIRE(f.size() == 1);
    CHECK(f[0].message == "gap of 30 days in audit coverage between 2025-03-31 and 2025-05-01");
    CHECK(f[0].rule == "Chrome policy 1.4 §5");
  }
  SECTION("overlap") {
    auto f = check_audits({period("a2", "2025-03-01", "2026-02-28", "2026-05-20"),
                           period("a1", "2024-04-01", "2025-03-31", "2025-06-15")},
                          {"root"}, {"root"}, now);
    REQUIRE(f.size() == 1);
    CHECK_THAT(f[0].message, Catch::StartsWith("audit periods overlap by 31 days"));
  }
  SECTION("schemes are separate chains; other CAs' audits do not fill a gap") {
    auto f = check_audits(
        {period("a1", "2024-04-01", "2025-03-31", "2025-06-15"),
         period("b1", "2025-04-01", "2026-03-31", "2026-05-20", {"root"}, "WebTrust SSL Baseline"),
         period("a2", "2025-04-01", "2026-03-31", "2026-05-20", {"other"})},
        {"root", "other"}, {"root", "other"}, now);
    CHECK(f.empty());
  }
  SECTION("period longer than 365 days") {
    auto f = check_audits({period("a1", "2025-01-01", "2026-01-01", "2026-02-01")}, {"root"},
                          {"root"}, now);
    REQUIRE(f.size() == 1);
    CHECK(f[0].message ==
          "audit period 2025-01-01 to 2026-01-01 is 366 days long (at most 365 days)");
    CHECK(f[0].subject == "a1");
  }
  SECTION("a leap year's full calendar year is 366 days") {
    auto f = check_audits({period("a1", "2028-01-01", "2028-12-31", "2029-02-01")}, {"root"},
                          {"root"}, day("2029-03-01"));
    CHECK(has_finding(f, "366 days long"));
  }
  SECTION("report 90 days after the period end is on time, 91 is late") {
    auto ok = check_audits({period("a1", "2025-04-01", "2026-03-31", "2026-06-29")}, {"root"},
                           {"root"}, now);
    CHECK(ok.empty());
    auto late = check_audits({period("a1", "2025-04-01", "2026-03-31", "2026-06-30")}, {"root"},
                             {"root"}, now);
    REQUIRE(late.size() == 1);
    CHECK(late[0].message ==
          "report dated 2026-06-30, 91 days after the period end 2026-03-31 (at most 90 days)");
  }
  SECTION("report dated before its period ends") {
    auto f = check_audits({period("a1", "2025-04-01", "2026-03-31", "2026-03-01")}, {"root"},
                          {"root"}, now);
    CHECK(has_finding(f, "before its period ends"));
  }
  SECTION("no audit for an active CA; unknown CA id; lapsed coverage") {
    auto f =
        check_audits({period("a1", "2023-04-01", "2024-03-31", "2024-05-01", {"root", "ghost"})},
                     {"root", "tls"}, {"root", "tls"}, now);
    CHECK(has_finding(f, "names CA id \"ghost\", which is not in the store"));
    CHECK(has_finding(f, "CA tls: no audit report covers this CA"));
    CHECK(has_finding(f, "CA root: newest audit period ended 2024-03-31"));
    // A retired CA (not in active_ca_ids) needs no current coverage.
    auto g = check_audits({}, {"old"}, {}, now);
    CHECK(g.empty());
  }
}

TEST_CASE("CPS annual review and version order", "[publisher][compliance]") {
  auto meta = [](const char* version, const char* effective) {
    DocumentMeta m;
    m.version = version;
    m.effective = day(effective);
    m.effective_text = effective;
    return m;
  };
  const UnixTime now = day("2026-11-22");
  CHECK(check_cps_review({meta("1.0", "2025-01-01"), meta("2.0", "2026-09-01")}, now).empty());
  auto stale = check_cps_review({meta("2.0", "2025-11-01")}, now);
  REQUIRE(stale.size() == 1);
  CHECK(stale[0].rule == "CPS 2.3");
  CHECK_THAT(stale[0].message, Catch::Contains("386 days ago"));
  auto order = check_cps_review({meta("1.0", "2026-09-01"), meta("1.1", "2026-08-01")}, now);
  CHECK(has_finding(order, "not after version 1.0's 2026-09-01"));
  CHECK(has_finding(check_cps_review({}, now), "no Certification Practice Statement"));
}

TEST_CASE("compliance: an open incident past its notification or revocation deadline",
          "[publisher][compliance][incident]") {
  auto incident = [](const std::string& front) {
    Incident inc;
    inc.slug = "x";
    inc.where = "incidents/x.md";
    inc.meta = parse_incident_meta("title = \"T\"\ndate = 2026-11-20\n" + front, inc.where);
    return inc;
  };
  const std::string deadlines =
      "ticket = \"INC-1\"\nnotification_deadline = \"2026-11-21T10:00:00Z\"\n"
      "revocation_deadline = \"2026-11-25T10:00:00Z\"\n";
  const UnixTime before = *parse_rfc3339("2026-11-21T09:00:00Z");
  const UnixTime late = *parse_rfc3339("2026-11-21T11:00:00Z");
  const UnixTime later = *parse_rfc3339("2026-11-26T00:00:00Z");
  const Incident open = incident("status = \"open\"\n" + deadlines);
  CHECK(check_incidents({open}, before).empty());
  auto f = check_incidents({open}, late);
  REQUIRE(f.size() == 1);
  CHECK(f[0].subject == "incident INC-1");
  CHECK_THAT(f[0].message, Catch::Contains("notification deadline 2026-11-21T10:00:00Z"));
  CHECK(check_incidents({open}, later).size() == 2);
  const Incident reported =
      incident("status = \"open\"\nreported = \"2026-11-21T08:00:00Z\"\n" + deadlines);
  f = check_incidents({reported}, later);
  REQUIRE(f.size() == 1);
  CHECK(f[0].rule == "BR 4.9.1");
  const Incident done = incident(
      "status = \"open\"\nreported = \"2026-11-21T08:00:00Z\"\n"
      "revocation_completed = \"2026-11-22T00:00:00Z\"\n" +
      deadlines);
  CHECK(check_incidents({done}, later).empty());
  CHECK(check_incidents({incident("status = \"Closed\"\n" + deadlines)}, later).empty());
  // A bad `affected` name is refused at parse time.
  CHECK_THROWS_WITH(incident("status = \"open\"\naffected = \"../x.csv\"\n"),
                    Catch::Contains("must be a .csv file name beside the report"));
}

TEST_CASE("compliance: CPS 1.5.2, 4.2 and 4.9.12 state what the Report a problem page says",
          "[publisher][compliance][problem-report]") {
  Config cfg;
  ProfileConfig tls;
  tls.id = "tls-server";
  tls.eku = {"serverAuth"};
  cfg.profiles.push_back(tls);
  auto cps = [](const std::string& body) {
    Document d;
    d.slug = "cps";
    DocumentVersion v;
    v.meta.kind = DocumentKind::cps;
    v.meta.version = "3.0";
    v.body = body;
    d.versions.push_back(v);
    return std::vector<Document>{d};
  };
  const std::string good =
      "# 1. Introduction\n## 1.5 Policy Administration\n### 1.5.2 Contact Person\n\n"
      "Write to [us](mailto:pa@example.test) or use https://example.test/report.\n\n"
      "### 1.5.3 Other\n\nNot the contact: caa.example.test\n\n"
      "# 4. Life-Cycle\n## 4.2 Certificate Application Processing\n\n"
      "CAA issuer domain name: `caa.example.test`.\n\n## 4.3 Issuance\n\nText.\n\n"
      "### 4.9.12 Special Requirements Related to Key Compromise\n\n"
      "Send a Certificate Signing Request signed with the key, or the private key, to "
      "pa@example.test.\n";

  // Nothing configured: no contact and, with a serverAuth profile, no CAA domains.
  auto f = check_problem_reporting(cps(good), cfg);
  CHECK(has_finding(f, "no email or url"));
  CHECK(has_finding(f, "no caa_domains"));

  cfg.site.problem_reporting.email = "pa@example.test";
  cfg.site.problem_reporting.url = "https://example.test/report";
  cfg.site.problem_reporting.caa_domains = {"caa.example.test"};
  f = check_problem_reporting(cps(good), cfg);
  INFO((f.empty() ? "" : f[0].message));
  CHECK(f.empty());

  // Each section on its own: the value stated elsewhere does not count.
  cfg.site.problem_reporting.email = "other@example.test";
  f = check_problem_reporting(cps(good), cfg);
  CHECK(has_finding(f, "section 1.5.2 does not state other@example.test"));
  CHECK(has_finding(f, "section 4.9.12 names neither"));  // neither the new email nor the url
  cfg.site.problem_reporting.email = "pa@example.test";
  cfg.site.problem_reporting.caa_domains = {"caa.example.test", "second.example.test"};
  f = check_problem_reporting(cps(good), cfg);
  REQUIRE(f.size() == 1);
  CHECK(f[0].rule == "BR 4.2, 3.2.2.8");
  CHECK_THAT(f[0].message, Catch::Contains("second.example.test"));
  cfg.site.problem_reporting.caa_domains = {"caa.example.test"};

  // 4.9.12 without the contact, without a proof, and missing.
  std::string no_contact = good;
  no_contact.replace(no_contact.rfind("pa@example.test"), 15, "the address");
  cfg.site.problem_reporting.url.clear();
  f = check_problem_reporting(cps(no_contact), cfg);
  CHECK(has_finding(f, "section 4.9.12 names neither the report contact"));
  std::string no_key = good;
  no_key.replace(no_key.find(", or the private key"), 20, "");
  f = check_problem_reporting(cps(no_key), cfg);
  REQUIRE(f.size() == 1);
  CHECK_THAT(f[0].message, Catch::Contains("accepted proof \"private-key\""));
  cfg.site.problem_reporting.key_compromise_proofs = {"csr"};
  CHECK(check_problem_reporting(cps(no_key), cfg).empty());
  std::string missing = good.substr(0, good.find("### 4.9.12"));
  f = check_problem_reporting(cps(missing), cfg);
  CHECK(has_finding(f, "cps 3.0: no section 4.9.12"));
  // No serverAuth profile: CAA domains are not required.
  cfg.profiles.clear();
  cfg.site.problem_reporting.caa_domains.clear();
  CHECK(check_problem_reporting(cps(missing + "### 4.9.12 K\n\nA CSR to pa@example.test.\n"), cfg)
            .empty());
}

TEST_CASE("output: atomic swap, no-op rebuild writes nothing, unchanged files keep inode and mtime",
          "[publisher][output]") {
  TempDir dir;
  const auto out = dir.path() / "public";
  SiteFiles a;
  a.add("index.html", "<p>one</p>");
  a.add("sub/page.html", "<p>two</p>");
  CommitStats first = commit_site(a, out);
  CHECK(first.changed);
  CHECK(first.written == 2);
  struct stat before {};
  REQUIRE(::stat((out / "sub/page.html").c_str(), &before) == 0);
  struct stat dir_before {};
  REQUIRE(::stat(out.c_str(), &dir_before) == 0);

  CommitStats again = commit_site(a, out);
  CHECK_FALSE(again.changed);
  CHECK(again.written == 0);
  CHECK(again.unchanged == 2);
  struct stat dir_after {};
  REQUIRE(::stat(out.c_str(), &dir_after) == 0);
  CHECK(dir_after.st_ino == dir_before.st_ino);  // not even swapped

  SiteFiles b;
  b.add("index.html", "<p>one, changed</p>");
  b.add("sub/page.html", "<p>two</p>");
  b.add("new.html", "<p>new</p>");
  CommitStats third = commit_site(b, out);
  CHECK(third.changed);
  CHECK(third.written == 2);
  CHECK(third.unchanged == 1);
  struct stat after {};
  REQUIRE(::stat((out / "sub/page.html").c_str(), &after) == 0);
  CHECK(after.st_ino == before.st_ino);
  CHECK(after.st_mtim.tv_sec == before.st_mtim.tv_sec);
  CHECK(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
  CHECK(read_text_file(out / "index.html") == "<p>one, changed</p>");

  SiteFiles c;
  c.add("index.html", "<p>one, changed</p>");
  CommitStats fourth = commit_site(c, out);
  CHECK(fourth.removed == 2);
  CHECK_FALSE(std::filesystem::exists(out / "new.html"));
  // No temporary folders left beside the output.
  size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  CHECK(entries == 1);

  SiteFiles bad;
  CHECK_THROWS_WITH(bad.add("../escape.html", "x"), Catch::Contains("not a plain relative path"));
  bad.add("x.html", "1");
  CHECK_THROWS_WITH(bad.add("x.html", "2"), Catch::Contains("produced twice"));
}

TEST_CASE("audit records: CCADB fields, point-in-time reports, and the --strict findings",
          "[publisher][compliance][ccadb]") {
  const std::string base =
      "auditor = \"X\"\nscheme = \"WebTrust for CAs\"\nperiod_start = 2026-01-15\n"
      "report_date = 2026-02-10\ncas = [\"root\"]\n";
  AuditMeta full = parse_audit_meta(
      base +
          "period_end = 2026-01-15\ntype = \"key-generation\"\n"
          "criteria = [\"WebTrust for CAs 2.2.2\", \"WebTrust Baseline Requirements 2.8\"]\n"
          "auditor_address = \"1 Main St, Springfield\"\n"
          "report_url = \"https://auditor.example/report.pdf\"\n",
      "k.toml");
  CHECK(full.type == "key-generation");
  CHECK(audit_is_point_in_time(full));
  CHECK(full.criteria.size() == 2);
  CHECK(full.auditor_address == "1 Main St, Springfield");
  CHECK(full.report_url == "https://auditor.example/report.pdf");
  CHECK(parse_audit_meta(base + "period_end = 2026-06-30\n", "p.toml").type == "period-of-time");
  CHECK_THROWS_WITH(
      parse_audit_meta(base + "period_end = 2026-01-16\ntype = \"point-in-time\"\n", "t.toml"),
      Catch::Contains("t.toml:") && Catch::Contains("period_end: a point-in-time report covers "
                                                    "one day"));
  CHECK_THROWS_WITH(
      parse_audit_meta(base + "period_end = 2026-01-15\ntype = \"snapshot\"\n", "t.toml"),
      Catch::Contains("type: \"snapshot\" is not period-of-time"));
  CHECK_THROWS_WITH(
      parse_audit_meta(base + "period_end = 2026-01-15\nreport_url = \"ftp://x/r.pdf\"\n",
                       "t.toml"),
      Catch::Contains("report_url: must be an http:// or https:// URL"));

  auto audit = [](const AuditMeta& m, const std::string& report_ext) {
    Audit a;
    a.id = "a";
    a.where = "audits/a.toml";
    a.meta = m;
    a.report_ext = report_ext;
    return a;
  };
  SECTION("complete: no finding, with a report URL or a bundled file") {
    CHECK(check_audit_records({audit(full, "")}).empty());
    AuditMeta bundled = full;
    bundled.report_url.clear();
    CHECK(check_audit_records({audit(bundled, "pdf")}).empty());
  }
  SECTION("each mandatory field missing is one finding") {
    AuditMeta m = full;
    m.criteria.clear();
    auto f = check_audit_records({audit(m, "")});
    REQUIRE(f.size() == 1);
    CHECK(f[0].rule == "CCADB 5.1");
    CHECK_THAT(f[0].message, Catch::Contains("no audit criteria and versions"));
    m = full;
    m.auditor_address.clear();
    f = check_audit_records({audit(m, "")});
    REQUIRE(f.size() == 1);
    CHECK_THAT(f[0].message, Catch::Contains("no auditor address"));
    m = full;
    m.report_url.clear();
    f = check_audit_records({audit(m, "")});
    REQUIRE(f.size() == 1);
    CHECK_THAT(f[0].message, Catch::Contains("neither the auditor's report URL"));
  }
  SECTION("a key-generation report inside a period is no overlap and no coverage") {
    AuditPeriod keygen = period("k", "2025-06-01", "2025-06-01", "2025-06-20");
    keygen.meta.type = "key-generation";
    auto f = check_audits({period("a1", "2025-04-01", "2026-03-31", "2026-05-20"), keygen},
                          {"root"}, {"root"}, day("2026-06-01"));
    CHECK(f.empty());
    // Alone it covers nothing: the CA has no audit.
    f = check_audits({keygen}, {"root"}, {"root"}, day("2026-06-01"));
    CHECK(has_finding(f, "no audit report covers this CA"));
  }
}

TEST_CASE("incident records: CCADB status, template sections, closure fields at --strict",
          "[publisher][compliance][ccadb][incident]") {
  auto incident = [](const std::string& front, const std::string& body) {
    Incident inc;
    inc.slug = "x";
    inc.where = "incidents/x.md";
    inc.meta = parse_incident_meta("title = \"T\"\ndate = 2026-10-03\n" + front, inc.where);
    inc.body = body;
    return inc;
  };
  std::string all_sections;
  for (const std::string& s : ccadb_incident_sections()) {
    all_sections += "## " + s + "\n\nText.\n\n";
  }
  const std::string closure_front =
      "status = \"closed\"\nbugzilla = \"https://bugzilla.mozilla.org/show_bug.cgi?id=1\"\n"
      "closed = 2026-10-20\n";
  CHECK_THROWS_WITH(
      incident("status = \"open\"\nbugzilla = \"http://x/1\"\n", ""),
      Catch::Contains("incidents/x.md:") && Catch::Contains("bugzilla: must be an https:// URL"));
  CHECK_THROWS_WITH(
      incident("status = \"open\"\nreport_status = \"final\"\n", ""),
      Catch::Contains("report_status: \"final\" is not preliminary, full or closure"));

  const Incident prelim = incident("status = \"open\"\n", "## Summary\n\nSo far.\n");
  CHECK(incident_report_status(prelim.meta, prelim.body) == "preliminary");
  CHECK(missing_incident_sections(prelim.body).size() == 7);
  const Incident full = incident("status = \"open\"\n", all_sections);
  CHECK(incident_report_status(full.meta, full.body) == "full");
  CHECK(missing_incident_sections("## summary\n## Impact\n## Timeline of events\n"
                                  "## Related incidents\n## Root cause analysis\n"
                                  "## Lessons learned\n## Action items\n## Appendix\n")
            .empty());
  const Incident stated = incident("status = \"open\"\nreport_status = \"full\"\n", "");
  CHECK(incident_report_status(stated.meta, stated.body) == "full");
  // Open incidents are never held to the closure fields.
  CHECK(check_incident_closure({prelim, full, stated}).empty());

  SECTION("closed with every closure field: no finding") {
    const Incident done = incident(closure_front, all_sections);
    CHECK(incident_report_status(done.meta, done.body) == "closure");
    CHECK(check_incident_closure({done}).empty());
  }
  SECTION("closed without them: one finding naming each") {
    const Incident bare =
        incident("status = \"closed\"\n", "## Summary\n\n_To be written._\n\n## Impact\n\nNone.\n");
    auto f = check_incident_closure({bare});
    REQUIRE(f.size() == 1);
    CHECK(f[0].rule == "CCADB 6.1 (closure)");
    CHECK_THAT(f[0].message, Catch::Contains("bugzilla") && Catch::Contains("closed,") &&
                                 Catch::Contains("section \"Root cause analysis\"") &&
                                 Catch::Contains("_To be written"));
  }
  SECTION("report_status = closure on an incident still open is a finding too") {
    const Incident early = incident(
        "status = \"open\"\nreport_status = \"closure\"\n"
        "bugzilla = \"https://bugzilla.mozilla.org/show_bug.cgi?id=1\"\nclosed = 2026-10-20\n",
        all_sections);
    auto f = check_incident_closure({early});
    REQUIRE(f.size() == 1);
    CHECK_THAT(f[0].message, Catch::Contains("status = \"closed\""));
  }
}

TEST_CASE(
    "CA states: backup and not-in-root-programs from the config, cross-certificates, "
    "revoked wins",
    "[publisher][ca-pages]") {
  Config config = parse_config(
      R"([repository]
name = "N"
store = "store"
base_url = "http://pki.example.test"
)" + test::ca_toml({.id = "old-root", .role = "root", .parent = "", .validity = "20y", .eku = {}}) +
          test::ca_toml({.id = "new-root",
                         .role = "root",
                         .parent = "",
                         .validity = "20y",
                         .eku = {},
                         .extra = "in_root_programs = false"}) +
          test::ca_toml(
              {.id = "issuing", .parent = "new-root", .validity = "5y", .eku = {"serverAuth"}}) +
          test::ca_toml({.id = "spare",
                         .parent = "old-root",
                         .validity = "5y",
                         .eku = {"serverAuth"},
                         .extra = "backup = true"}),
      "pkirepo.toml");
  auto entry = [](const std::string& id, const std::string& parent) {
    CaEntry e;
    e.id = id;
    e.parent = parent;
    e.role = parent.empty() ? CaRole::root : CaRole::issuing;
    e.facts.spki_sha256 = id;
    CaCertificate own;
    own.issuer_ca = parent.empty() ? id : parent;
    own.current = true;
    own.status = "good";
    e.same_key.push_back(own);
    return e;
  };
  StoreSnapshot snap;
  snap.cas = {entry("old-root", ""), entry("new-root", ""), entry("issuing", "new-root"),
              entry("spare", "old-root")};
  derive_ca_states(config, snap);
  CHECK(snap.cas[0].state == CaState::active);
  CHECK(snap.cas[1].state == CaState::not_in_root_programs);
  CHECK(snap.cas[2].state == CaState::not_in_root_programs);
  CHECK_THAT(snap.cas[2].state_reason, Catch::Contains("below root new-root"));
  CHECK(snap.cas[2].chain == std::vector<std::string>{"new-root"});
  CHECK(snap.cas[3].state == CaState::backup);
  CHECK(std::string(ca_state_name(snap.cas[1].state)) == "not-in-root-programs");

  // A good cross-certificate from the included root makes the new root (and what is below it
  // through it) trusted; a revoked one does not.
  CaCertificate cross;
  cross.issuer_ca = "old-root";
  cross.status = "revoked";
  snap.cas[1].same_key.push_back(cross);
  derive_ca_states(config, snap);
  CHECK(snap.cas[1].state == CaState::not_in_root_programs);
  snap.cas[1].same_key.back().status = "good";
  derive_ca_states(config, snap);
  CHECK(snap.cas[1].state == CaState::active);
  CHECK(ca_cert_kind(snap.cas[1], snap.cas[1].same_key.back()) == "cross-certificate");

  // The store's word wins over the config's.
  snap.cas[3].status = CaStatus::revoked;
  snap.cas[3].status_reason = "revoked 2026-05-01 (keyCompromise)";
  derive_ca_states(config, snap);
  CHECK(snap.cas[3].state == CaState::revoked);

  // An in_root_programs = false below a root is refused at load.
  CHECK_THROWS_WITH(parse_config(R"([repository]
name = "N"
store = "store"
base_url = "http://pki.example.test"
)" + test::ca_toml({.id = "r", .role = "root", .parent = "", .validity = "20y", .eku = {}}) +
                                     test::ca_toml({.id = "i",
                                                    .parent = "r",
                                                    .eku = {"serverAuth"},
                                                    .extra = "in_root_programs = false"}),
                                 "pkirepo.toml"),
                    Catch::Contains("in_root_programs: only a root"));
}
