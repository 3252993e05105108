// pkirepo-publisher against a store made by the real signer: the demo site builds, every
// internal link and download resolves, the CRL and CA files are the store's bytes, the build is
// deterministic and a rebuild with no change writes nothing; exit codes and --strict.
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "publisher_fixture.h"
#include "store/store.h"
#include "x509/bytes.h"
#include "x509/cert_info.h"
#include "x509/der.h"

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
                           "audits/2026-webtrust-ca.html",
                           "audits/2026-root-key-generation.html",
                           "ca.json",
                           "ca/root-2026.html",
                           "ca/root-2026.txt",
                           "ca/tls-ec-2026.html",
                           "ca/tls-ec-2026.txt"}) {
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
  CHECK_THAT(
      cp,
      Catch::Matches(
          R"(\{"count":[1-9][0-9]*,"head_sha256":"[0-9a-f]{64}","key_id":"[0-9a-f]{64}","signature":"[0-9a-f]{128}","time":"[0-9TZ:-]+","type":"pkirepo-audit-checkpoint"\}\n)"));
  CHECK_THAT(home, !Catch::Contains("ca_key_generated"));
  const std::string tests = read_text_file(out / "test-certificates.html");
  CHECK_THAT(tests, Catch::Contains("CN=expired.pki.example.com"));
  CHECK_THAT(tests, Catch::Contains("<td>revoked</td><td>CN=revoked.pki.example.com</td>"));
  CHECK_THAT(tests, Catch::Contains("<a href=\"https://revoked.pki.example.com:8444/\">"));
  CHECK_THAT(read_text_file(out / "ca/tls-ec-2026.html"),
             Catch::Contains("<a href=\"https://valid.pki.example.com/\">"));
  CHECK_THAT(read_text_file(out / "ca.json"),
             Catch::Contains("\"expired\": \"https://expired.pki.example.com/\""));
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
  CHECK_THAT(cps, Catch::Contains("<strong>Minimum key sizes (CPS 6.1.5)</strong>"));
  CHECK_THAT(cps, Catch::Contains("<strong>Certificate profile code-signing</strong>"));
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

TEST_CASE("demo site: CA pages, text dumps and ca.json agree with openssl's view of the files",
          "[publisher][integration][ca-pages]") {
  const fs::path& out = built_site();
  const nlohmann::json inv = nlohmann::json::parse(read_text_file(out / "ca.json"));
  CHECK(inv.at("format") == "pkirepo-ca-inventory/1");
  const auto& certs = inv.at("certificates");
  REQUIRE(certs.size() == 4);  // the fixture's four CAs, one certificate each
  std::set<std::string> ids;
  for (const auto& c : certs) {
    const std::string id = c.at("id");
    INFO(id);
    ids.insert(id);
    CHECK(c.at("kind") == "current");
    CHECK(c.at("state") == "active");
    const fs::path crt = out / "ca" / (id + ".crt");
    CHECK(c.at("files").at("der") == "http://pki.example.test/ca/" + id + ".crt");
    // openssl's view of the published file.
    RunResult x = run({"openssl", "x509", "-inform", "DER", "-in", crt.string(), "-noout",
                       "-fingerprint", "-sha256", "-serial", "-startdate", "-enddate"});
    REQUIRE(x.exit_code == 0);
    std::string fp = c.at("sha256");
    std::string colon;
    for (size_t i = 0; i < fp.size(); i += 2) {
      colon += (i ? ":" : "") + fp.substr(i, 2);
    }
    CHECK_THAT(x.out, Catch::Contains("sha256 Fingerprint=" + colon));
    std::string serial = c.at("serial");  // lower-case hex, as everywhere on the site
    std::transform(serial.begin(), serial.end(), serial.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    CHECK(serial != c.at("serial"));
    CHECK_THAT(x.out, Catch::Contains("serial=" + serial));
    RunResult spki = run({"sh", "-c",
                          "openssl x509 -inform DER -in '" + crt.string() +
                              "' -noout -pubkey | openssl pkey -pubin -outform DER | "
                              "openssl dgst -sha256 -r"});
    REQUIRE(spki.exit_code == 0);
    CHECK(spki.out.substr(0, 64) == c.at("spki_sha256").get<std::string>());
    // Key, EKU, policies and status URLs as the signer wrote them (fixture config).
    RunResult text =
        run({"openssl", "x509", "-inform", "DER", "-in", crt.string(), "-noout", "-text"});
    REQUIRE(text.exit_code == 0);
    CHECK(read_text_file(out / "ca" / (id + ".txt")) == text.out);  // X509_print_ex = -text
    if (id == "code-rsa-2026") {
      CHECK(c.at("key") == nlohmann::json({{"algorithm", "RSA"}, {"size", 4096}}));
      CHECK(c.at("eku") == nlohmann::json::array({"codeSigning"}));
      CHECK_THAT(text.out, Catch::Contains("Code Signing"));
    } else {
      CHECK(c.at("key").at("curve") == "P-384");
    }
    if (id == "root-2026") {
      CHECK(c.at("parent").is_null());
      CHECK(c.at("ocsp_urls").empty());
    } else {
      CHECK(c.at("parent") != nullptr);
      CHECK_THAT(text.out, Catch::Contains("CA Issuers - URI:" +
                                           c.at("ca_issuers_urls").at(0).get<std::string>()));
      for (const auto& u : c.at("crl_urls")) {
        CHECK_THAT(text.out, Catch::Contains("URI:" + u.get<std::string>()));
      }
      for (const auto& u : c.at("ocsp_urls")) {
        CHECK_THAT(text.out, Catch::Contains("OCSP - URI:" + u.get<std::string>()));
      }
    }
    // The CA's page: state, purpose, chain, the certificate with its crt.sh link, the dump.
    const std::string page = read_text_file(out / "ca" / (id + ".html"));
    CHECK_THAT(page, Catch::Contains("https://crt.sh/?sha256=" + fp));
    CHECK_THAT(page, Catch::Contains("<h2 id=\"chain\">Chain to the root</h2>"));
    CHECK_THAT(page, Catch::Contains("Certificates for this key (1)"));
    CHECK_THAT(page, Catch::Contains("<pre class=\"dump\">Certificate:"));
  }
  CHECK(ids == std::set<std::string>{"root-2026", "int-2026", "tls-ec-2026", "code-rsa-2026"});
  const std::string tls = read_text_file(out / "ca/tls-ec-2026.html");
  CHECK_THAT(tls, Catch::Contains("TLS server authentication, TLS client authentication"));
  CHECK_THAT(tls, Catch::Contains("href=\"int-2026.html\""));
  CHECK_THAT(tls, Catch::Contains("href=\"root-2026.html\""));
  const std::string index = read_text_file(out / "certificates.html");
  CHECK_THAT(index, Catch::Contains("href=\"ca/tls-ec-2026.html\""));
  CHECK_THAT(index, Catch::Contains("Every root is in the root programs."));
  CHECK_THAT(index, Catch::Contains("No CA is kept as a backup."));

  // Feed: CA certificates and audit reports, dated by their records.
  const std::string feed = read_text_file(out / "feed.xml");
  CHECK_THAT(feed, Catch::Contains("<title>CA certificate: CN=Example Root CA 2026"));
  CHECK_THAT(feed, Catch::Contains("<title>Audit report: Sample root key generation ceremony "
                                   "report 2026</title>"));
  CHECK_THAT(feed, Catch::Contains("<updated>2026-02-10T00:00:00Z</updated>"));
  // Audits: the fingerprints in scope come from the store, the CCADB fields from the record.
  const std::string audit = read_text_file(out / "audits/2026-webtrust-ca.html");
  CHECK_THAT(audit, Catch::Contains(certs.at(0).at("sha256").get<std::string>()));
  CHECK_THAT(audit, Catch::Contains("WebTrust Principles and Criteria for Certification "
                                    "Authorities 2.2.2"));
  CHECK_THAT(audit, Catch::Contains("<dt>Auditor address</dt>"));
  const std::string keygen = read_text_file(out / "audits/2026-root-key-generation.html");
  CHECK_THAT(keygen, Catch::Contains("<dt>Date</dt><dd>2026-01-15</dd>"));
  CHECK_THAT(keygen, Catch::Contains("key-generation"));
  const std::string inc = read_text_file(out / "incidents/2026-10-03-ocsp-latency.html");
  CHECK_THAT(inc, Catch::Contains("<dt>Report</dt><dd>closure (CCADB incident report)</dd>"));
  CHECK_THAT(inc, Catch::Contains("https://bugzilla.example.test/show_bug.cgi?id=1"));
  CHECK_THAT(inc, Catch::Contains("<dt>Closed</dt><dd>2026-10-20</dd>"));
}

TEST_CASE("CA pages: a re-issued and a revoked cross-certificate for one key, grouped by SPKI",
          "[publisher][integration][ca-pages]") {
  const DemoPki& pki = demo_pki();
  TempDir dir;
  // A copy of the demo store, with two more CA certificates for int-2026's key written the way
  // the signer records a CA certificate (certs record, profile "ca", by_spki index).
  fs::copy(pki.dir / "store", dir.path() / "store", fs::copy_options::recursive);
  std::string cfg = read_text_file(pki.config);
  const std::string from = (pki.dir / "store").string();
  cfg.replace(cfg.find(from), from.size(), (dir.path() / "store").string());
  write_text(dir.path() / "pkirepo.toml", cfg);
  std::string cross_sha256;
  {
    store::WriteStore st(dir.path() / "store");
    st.transact([&](store::WriteTxn& txn) {
      auto subject_ca = store::get_ca(txn, "int-2026");
      REQUIRE(subject_ca);
      X509Ptr subject_cert = parse_cert_der(subject_ca->cert_der);
      EvpPkeyPtr throwaway = make_key("ec-p384");  // the publisher verifies no signature
      int serial_no = 100;
      for (const char* issuer_id : {"root-2026", "code-rsa-2026"}) {
        auto issuer = store::get_ca(txn, issuer_id);
        REQUIRE(issuer);
        X509Ptr issuer_cert = parse_cert_der(issuer->cert_der);
        X509Ptr c(X509_new());
        X509_set_version(c.get(), 2);
        ASN1_INTEGER_set(X509_get_serialNumber(c.get()), ++serial_no);
        X509_set_subject_name(c.get(), X509_get_subject_name(subject_cert.get()));
        X509_set_issuer_name(c.get(), X509_get_subject_name(issuer_cert.get()));
        X509_set1_notBefore(c.get(), make_x509_time(*parse_rfc3339("2026-11-23T00:00:00Z")).get());
        X509_set1_notAfter(c.get(), make_x509_time(*parse_rfc3339("2030-01-01T00:00:00Z")).get());
        X509_set_pubkey(c.get(), X509_get0_pubkey(subject_cert.get()));
        REQUIRE(X509_sign(c.get(), throwaway.get(), EVP_sha384()) > 0);
        store::CertRecord rec;
        rec.ca_id = issuer_id;
        rec.profile = "ca";
        rec.not_before = not_before(c.get());
        rec.not_after = not_after(c.get());
        rec.issued_at = *parse_rfc3339("2026-11-23T01:00:00Z");
        rec.der = to_der(c.get());
        const bool cross = std::string(issuer_id) == "code-rsa-2026";
        if (cross) {
          rec.status = store::CertStatus::revoked;
          rec.revocation_time = *parse_rfc3339("2026-11-24T02:00:00Z");
          cross_sha256 = to_hex(fingerprint_sha256(c.get()), true);
        }
        store::put_new_cert(txn, key_id_sha1(issuer_cert.get()), serial_bytes(c.get()), rec,
                            c.get());
      }
    });
  }
  RunResult r =
      publish(dir.path() / "pkirepo.toml", {"build", "--out", (dir.path() / "o").string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const fs::path out = dir.path() / "o";
  const std::string page = read_text_file(out / "ca/int-2026.html");
  CHECK_THAT(page, Catch::Contains("Certificates for this key (3)"));
  CHECK_THAT(page, Catch::Contains("re-issued · issued by <a href=\"root-2026.html\">"));
  CHECK_THAT(page,
             Catch::Contains("cross-certificate · issued by <a href=\"code-rsa-2026.html\">"));
  CHECK_THAT(page, Catch::Contains("revoked 2026-11-24 02:00:00 UTC"));
  const std::string stem = "ca/int-2026-" + [&] {
    std::string h = cross_sha256.substr(0, 16);
    for (char& ch : h) {
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    return h;
  }();
  CHECK(fs::exists(out / (stem + ".crt")));
  CHECK(fs::exists(out / (stem + ".txt")));
  const nlohmann::json inv = nlohmann::json::parse(read_text_file(out / "ca.json"));
  size_t for_int = 0;
  for (const auto& c : inv.at("certificates")) {
    if (c.at("id") == "int-2026") {
      ++for_int;
      if (c.at("sha256") == cross_sha256) {
        CHECK(c.at("kind") == "cross-certificate");
        CHECK(c.at("parent") == "code-rsa-2026");
        CHECK(c.at("status") == "revoked");
        CHECK(c.at("revoked_at") == "2026-11-24T02:00:00Z");
      }
    }
  }
  CHECK(for_int == 3);
  const std::string index = read_text_file(out / "certificates.html");
  CHECK_THAT(index, Catch::Contains("cross-certificate for <a href=\"#ca-int-2026\">"));
  const std::string feed = read_text_file(out / "feed.xml");
  CHECK_THAT(feed, Catch::Contains("<title>CA certificate revoked: CN=Example Intermediate CA"));
  CHECK_THAT(feed, Catch::Contains("<updated>2026-11-24T02:00:00Z</updated>"));
  // Rebuilt from the same store: the same bytes (no build time anywhere).
  RunResult again =
      publish(dir.path() / "pkirepo.toml", {"build", "--out", (dir.path() / "o2").string()});
  REQUIRE(again.exit_code == 0);
  CHECK(read_tree(out) == read_tree(dir.path() / "o2"));
}
