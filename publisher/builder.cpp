#include "publisher/builder.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "publisher/fragments.h"
#include "publisher/html.h"
#include "publisher/markdown.h"
#include "publisher/word_diff.h"
#include "store/store.h"

namespace pkirepo::publisher {
namespace {

using kainjow::mustache::data;

data list() {
  return data(data::type::list);
}
data object() {
  return data(data::type::object);
}

// Mustache sections treat "" as true; optional values are left out instead.
void set_opt(data& d, const std::string& key, const std::string& value) {
  if (!value.empty()) {
    d.set(key, value);
  }
}

std::string datetime_text(UnixTime t) {
  std::string s = rfc3339(t);  // "2026-11-22T02:15:29Z"
  return s.substr(0, 10) + " " + s.substr(11, 8) + " UTC";
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& i : items) {
    out += (out.empty() ? "" : sep) + i;
  }
  return out;
}

// "http://pki.example.test/sub" -> "/sub/": the root of absolute links on 404.html, which a
// server may serve at any path.
std::string base_path(const std::string& base_url) {
  size_t scheme = base_url.find("://");
  size_t slash = scheme == std::string::npos ? std::string::npos : base_url.find('/', scheme + 3);
  return (slash == std::string::npos ? "" : base_url.substr(slash)) + "/";
}

class SiteRenderer {
 public:
  SiteRenderer(const Config& config, const SiteSource& source, const StoreSnapshot& snapshot,
               const Templates& templates, UnixTime now)
      : config_(config),
        source_(source),
        snap_(snapshot),
        templates_(templates),
        now_(now),
        fragments_(make_fragment_resolver(config, snapshot)) {}

  RenderedSite run() {
    documents();
    certificates();
    crls();
    test_certificates();
    audits();
    incidents();
    home();
    not_found();
    feed();
    sitemap();
    out_.files.add("style.css", templates_.stylesheet());
    out_.files.add("print.css", templates_.print_stylesheet());
    out_.findings = compute_findings(source_, snap_, now_);
    return std::move(out_);
  }

 private:
  // --- pages ---
  void page(const std::string& path, const std::string& title, const std::string& tmpl,
            data content, const std::string& root_override = "") {
    const std::string root = root_override.empty() ? root_prefix(path) : root_override;
    content.set("root", root);
    content.set("site_name", config_.repository.name);
    content.set("title", title);
    data layout = object();
    layout.set("root", root);
    layout.set("site_name", config_.repository.name);
    layout.set("title", title);
    layout.set("lang", "en");
    layout.set("content", templates_.render(tmpl, content));
    out_.files.add(path, templates_.render("layout", layout));
    if (root_override.empty()) {
      html_pages_.push_back(path);
    }
  }

  RenderedMarkdown markdown(const std::string& text, const std::string& where, int first_line) {
    MarkdownOptions o;
    o.safe = config_.site.safe;
    o.where = where;
    o.first_line = first_line;
    o.fragments = &fragments_;
    return render_markdown(text, o);
  }

  static data toc_data(const std::vector<TocEntry>& toc) {
    data items = list();
    for (const TocEntry& t : toc) {
      if (t.level > 3) {
        continue;
      }
      data e = object();
      e.set("anchor", t.anchor);
      e.set("text", t.text);
      e.set("level", std::to_string(t.level));
      items.push_back(e);
    }
    return items;
  }

  static std::string version_page(const DocumentVersion& v) { return v.meta.version + ".html"; }
  static std::string redline_page(const DocumentVersion& older, const DocumentVersion& newer) {
    return "redline-" + older.meta.version + "-" + newer.meta.version + ".html";
  }

  void documents() {
    for (const Document& d : source_.documents) {
      const std::string dir = d.slug + "/";
      const DocumentVersion& current = d.current();
      for (size_t i = 0; i < d.versions.size(); ++i) {
        const DocumentVersion& v = d.versions[i];
        const bool is_current = i + 1 == d.versions.size();
        RenderedMarkdown md = markdown(v.body, v.where, v.body_line);
        data c = object();
        c.set("doc_title", v.meta.title);
        c.set("kind_label", document_kind_label(v.meta.kind));
        c.set("version", v.meta.version);
        c.set("effective", v.meta.effective_text);
        c.set("oid", v.meta.oid);
        c.set("has_oid", !v.meta.oid.empty());
        set_opt(c, "changes", v.meta.changes);
        c.set("has_changes", !v.meta.changes.empty());
        c.set("is_current", is_current);
        c.set("current_version", current.meta.version);
        c.set("current_href", "index.html");
        c.set("archive_href", "archive.html");
        c.set("md_href", v.meta.version + ".md");
        c.set("version_count", std::to_string(d.versions.size()));
        if (i > 0) {
          c.set("redline_href", redline_page(d.versions[i - 1], v));
          c.set("previous_version", d.versions[i - 1].meta.version);
        }
        c.set("toc", toc_data(md.toc));
        c.set("has_toc", !md.toc.empty());
        c.set("body", md.html);
        const std::string title = v.meta.title + " " + v.meta.version;
        page(dir + version_page(v), title, "document", c);
        if (is_current) {
          page(dir + "index.html", v.meta.title, "document", c);
        }
        out_.files.add(dir + v.meta.version + ".md", v.raw);
        feed_entries_.push_back(
            {v.meta.effective, dir + version_page(v), v.meta.title + " version " + v.meta.version,
             v.meta.changes.empty()
                 ? "Version " + v.meta.version + " takes effect on " + v.meta.effective_text + "."
                 : v.meta.changes});
        if (i > 0) {
          redline(d, d.versions[i - 1], v);
        }
      }
      archive(d);
    }
  }

  void redline(const Document& d, const DocumentVersion& older, const DocumentVersion& newer) {
    std::vector<DiffChunk> chunks = diff_words(older.body, newer.body);
    DiffStats st = diff_stats(chunks);
    data c = object();
    c.set("doc_title", newer.meta.title);
    c.set("old_version", older.meta.version);
    c.set("new_version", newer.meta.version);
    c.set("old_effective", older.meta.effective_text);
    c.set("new_effective", newer.meta.effective_text);
    c.set("old_href", version_page(older));
    c.set("new_href", version_page(newer));
    c.set("archive_href", "archive.html");
    c.set("inserted_words", std::to_string(st.inserted_words));
    c.set("removed_words", std::to_string(st.removed_words));
    c.set("unchanged", st.inserted_words == 0 && st.removed_words == 0);
    set_opt(c, "changes", newer.meta.changes);
    c.set("redline", redline_html(chunks));
    page(d.slug + "/" + redline_page(older, newer),
         "Changes in " + newer.meta.title + " " + newer.meta.version, "redline", c);
  }

  void archive(const Document& d) {
    data versions = list();
    for (size_t n = d.versions.size(); n-- > 0;) {
      const DocumentVersion& v = d.versions[n];
      data e = object();
      e.set("version", v.meta.version);
      e.set("href", version_page(v));
      e.set("md_href", v.meta.version + ".md");
      e.set("effective", v.meta.effective_text);
      set_opt(e, "changes", v.meta.changes);
      e.set("is_current", n + 1 == d.versions.size());
      if (n > 0) {
        e.set("redline_href", redline_page(d.versions[n - 1], v));
        e.set("previous_version", d.versions[n - 1].meta.version);
      }
      versions.push_back(e);
    }
    data c = object();
    c.set("doc_title", d.current().meta.title);
    c.set("kind_label", document_kind_label(d.current().meta.kind));
    c.set("current_href", "index.html");
    c.set("versions", versions);
    page(d.slug + "/archive.html", d.current().meta.title + ": all versions", "archive", c);
  }

  // --- certificates ---
  std::string ca_crt_path(const std::string& id) {
    return site_path_for_url(config_, config_.ca_cert_url(id));
  }
  static std::string pem_path(const std::string& crt_path) {
    return crt_path.substr(0, crt_path.rfind('.')) + ".pem";
  }

  std::string tree_html(const std::string& parent, int depth) {
    std::string html;
    for (const CaEntry& ca : snap_.cas) {
      bool is_child = parent.empty()
                          ? (ca.parent.empty() ||
                             std::none_of(snap_.cas.begin(), snap_.cas.end(),
                                          [&](const CaEntry& o) { return o.id == ca.parent; }))
                          : ca.parent == parent;
      if (!is_child || depth > 16) {
        continue;
      }
      html += "<li><a href=\"#ca-" + escape_html(ca.id) + "\">" + escape_html(ca.facts.subject) +
              "</a> <span class=\"role\">" + escape_html(ca_role_name(ca.role)) + "</span>";
      if (ca.status != CaStatus::active) {
        html += " <span class=\"status " + std::string(ca_status_name(ca.status)) + "\">" +
                ca_status_name(ca.status) + "</span>";
      }
      std::string children = tree_html(ca.id, depth + 1);
      if (!children.empty()) {
        html += "\n<ul>\n" + children + "</ul>\n";
      }
      html += "</li>\n";
    }
    return html;
  }

  // How relying parties learn the status of what CA `id` issues: OCSP and CRLs, or CRLs only
  // (ca.ocsp = false), and which profiles are short-lived and carry neither. Empty for a CA
  // no longer in the config.
  [[nodiscard]] std::string status_services_text(const std::string& id) const {
    const CaConfig* ca = config_.find_ca(id);
    if (ca == nullptr) {
      return {};
    }
    std::string text = ca->ocsp ? "OCSP at " + config_.ocsp_url() +
                                      " and the CRL at each certificate's distribution point"
                                : "CRLs only: the certificates it issues carry no OCSP URL; the "
                                  "CRL at each certificate's distribution point gives their "
                                  "status";
    std::string short_lived;
    for (const std::string& pid : ca->profiles) {
      const ProfileConfig* p = config_.find_profile(pid);
      if (p != nullptr && p->short_lived) {
        short_lived += (short_lived.empty() ? "" : ", ") + p->id + " (" + p->validity.text + ")";
      }
    }
    if (!short_lived.empty()) {
      text += ". Short-lived certificates (" + short_lived +
              ") carry no CRL distribution point and no OCSP URL: no status is published for "
              "them, and they expire within days (BR 1.6.1)";
    }
    return text + ".";
  }

  void certificates() {
    data cas = list();
    std::map<CaStatus, data> groups{
        {CaStatus::active, list()}, {CaStatus::retired, list()}, {CaStatus::revoked, list()}};
    for (const CaEntry& ca : snap_.cas) {
      const std::string crt = ca_crt_path(ca.id);
      out_.files.add(crt, std::string(ca.der.begin(), ca.der.end()));
      out_.files.add(pem_path(crt), ca.facts.pem);
      data e = object();
      e.set("id", ca.id);
      e.set("anchor", "ca-" + ca.id);
      e.set("role", ca_role_name(ca.role));
      e.set("subject", ca.facts.subject);
      e.set("issuer", ca.facts.issuer);
      e.set("serial", ca.facts.serial_hex);
      e.set("not_before", datetime_text(ca.facts.not_before));
      e.set("not_after", datetime_text(ca.facts.not_after));
      e.set("key", ca.facts.key);
      e.set("sha256_colon", ca.facts.sha256_colon);
      e.set("sha256_ccadb", ca.facts.sha256_ccadb);
      e.set("sha1_colon", ca.facts.sha1_colon);
      e.set("spki_sha256", ca.facts.spki_sha256);
      e.set("crt_href", crt);
      e.set("pem_href", pem_path(crt));
      e.set("ca_url", config_.ca_cert_url(ca.id));
      e.set("status", ca_status_name(ca.status));
      set_opt(e, "status_reason", ca.status_reason);
      e.set("has_parent", !ca.parent.empty());
      e.set("parent_anchor", "ca-" + ca.parent);
      e.set("parent", ca.parent);
      if (!ca.parent.empty()) {
        e.set("parent_crl_url", config_.crl_url(ca.parent, -1));
      }
      data crls = list();
      for (const CrlEntry& crl : snap_.crls) {
        if (crl.ca_id == ca.id) {
          data ce = object();
          ce.set("url", crl.url);
          ce.set("href", crl.path);
          crls.push_back(ce);
        }
      }
      e.set("crls", crls);
      e.set("crl_list_url", config_.crl_list_url(ca.id));
      set_opt(e, "status_services", status_services_text(ca.id));
      cas.push_back(e);
      data g = object();
      g.set("anchor", "ca-" + ca.id);
      g.set("subject", ca.facts.subject);
      g.set("role", ca_role_name(ca.role));
      set_opt(g, "status_reason", ca.status_reason);
      g.set("not_after", date_text(ca.facts.not_after));
      groups[ca.status].push_back(g);
    }
    data group_list = list();
    for (auto& [status, members] : groups) {
      data g = object();
      g.set("name", ca_status_name(status));
      g.set("label", status == CaStatus::active    ? "Active"
                     : status == CaStatus::retired ? "Retired"
                                                   : "Revoked");
      g.set("empty_text", status == CaStatus::active    ? "No CA is active."
                          : status == CaStatus::retired ? "No CA has been retired."
                                                        : "No CA certificate has been revoked.");
      g.set("cas", members);
      group_list.push_back(g);
    }
    data c = object();
    std::string tree = tree_html("", 0);
    c.set("tree", tree.empty() ? "" : "<ul class=\"tree\">\n" + tree + "</ul>\n");
    c.set("has_cas", !snap_.cas.empty());
    c.set("cas", cas);
    c.set("groups", group_list);
    page("certificates.html", "CA certificates", "certificates", c);
  }

  void crls() {
    data rows = list();
    std::map<std::string, std::vector<const CrlEntry*>> by_ca;
    for (const CrlEntry& crl : snap_.crls) {
      out_.files.add(crl.path, std::string(crl.record.der.begin(), crl.record.der.end()));
      by_ca[crl.ca_id].push_back(&crl);
      data e = object();
      e.set("ca_id", crl.ca_id);
      e.set("shard", crl.shard < 0 ? "full" : std::to_string(crl.shard));
      e.set("url", crl.url);
      e.set("href", crl.path);
      e.set("crl_number", std::to_string(crl.record.crl_number));
      e.set("this_update", datetime_text(crl.record.this_update));
      e.set("next_update", datetime_text(crl.record.next_update));
      e.set("entries", std::to_string(crl.record.entries));
      e.set("sha256", to_hex(sha256(crl.record.der)));
      e.set("overdue", crl.record.next_update < now_);
      rows.push_back(e);
    }
    // CCADB 6.2: the JSON array of every CRL URL of a CA, at crl_list_url.
    data lists = list();
    for (const auto& [ca, entries] : by_ca) {
      std::string json;
      auto stored = snap_.crl_lists.find(ca);
      if (stored != snap_.crl_lists.end()) {
        json = stored->second;
      } else {
        json = "[";
        for (size_t i = 0; i < entries.size(); ++i) {
          json += (i ? ",\"" : "\"") + entries[i]->url + "\"";
        }
        json += "]\n";
      }
      const std::string path = site_path_for_url(config_, config_.crl_list_url(ca));
      out_.files.add(path, json);
      data e = object();
      e.set("ca_id", ca);
      e.set("url", config_.crl_list_url(ca));
      e.set("href", path);
      lists.push_back(e);
    }
    data c = object();
    c.set("crls", rows);
    c.set("lists", lists);
    page("crls.html", "Certificate revocation lists", "crls", c);
  }

  void test_certificates() {
    std::vector<std::string> order;
    std::map<std::string, data> by_ca;
    for (const TestCertEntry& t : snap_.test_certificates) {
      const std::string base = "test/" + t.ca_id + "-" + t.kind;
      out_.files.add(base + ".crt", std::string(t.der.begin(), t.der.end()));
      out_.files.add(base + ".pem", t.facts.pem);
      if (!by_ca.count(t.ca_id)) {
        order.push_back(t.ca_id);
        by_ca.emplace(t.ca_id, list());
      }
      data e = object();
      e.set("kind", t.kind);
      e.set("subject", t.facts.subject);
      e.set("serial", t.facts.serial_hex);
      e.set("not_after", date_text(t.facts.not_after));
      e.set("status", t.status);
      e.set("crt_href", base + ".crt");
      e.set("pem_href", base + ".pem");
      by_ca[t.ca_id].push_back(e);
    }
    data groups = list();
    for (const std::string& ca : order) {
      data g = object();
      g.set("ca_id", ca);
      g.set("certs", by_ca[ca]);
      groups.push_back(g);
    }
    data c = object();
    c.set("groups", groups);
    page("test-certificates.html", "Test certificates", "test-certificates", c);
  }

  void audits() {
    data rows = list();
    for (const Audit& a : source_.audits) {
      data e = object();
      const AuditMeta& m = a.meta;
      e.set("id", a.id);
      e.set("title", m.title.empty() ? m.scheme + " audit" : m.title);
      e.set("scheme", m.scheme);
      e.set("auditor", m.auditor);
      e.set("period_start", m.period_start_text);
      e.set("period_end", m.period_end_text);
      e.set("report_date", m.report_date_text);
      e.set("cas", join(m.cas, ", "));
      e.set("sample", m.sample);
      if (a.report_ext == "pdf") {
        out_.files.add("audits/" + a.id + ".pdf", std::string(a.report.begin(), a.report.end()));
        e.set("report_href", "audits/" + a.id + ".pdf");
        e.set("report_label", "PDF");
      } else if (a.report_ext == "md") {
        std::string text(a.report.begin(), a.report.end());
        SplitSource s = split_front_matter(text, a.report_where);
        RenderedMarkdown md = markdown(s.body, a.report_where, s.body_line);
        data p = object();
        p.set("audit_title", m.title.empty() ? m.scheme + " audit" : m.title);
        p.set("scheme", m.scheme);
        p.set("auditor", m.auditor);
        p.set("period_start", m.period_start_text);
        p.set("period_end", m.period_end_text);
        p.set("report_date", m.report_date_text);
        p.set("cas", join(m.cas, ", "));
        p.set("sample", m.sample);
        p.set("body", md.html);
        page("audits/" + a.id + ".html", m.title.empty() ? m.scheme + " audit" : m.title, "audit",
             p);
        e.set("report_href", "audits/" + a.id + ".html");
        e.set("report_label", "Report");
      }
      rows.push_back(e);
    }
    data c = object();
    c.set("audits", rows);
    page("audits.html", "Audits", "audits", c);
  }

  void incidents() {
    data rows = list();
    for (const Incident& inc : source_.incidents) {
      RenderedMarkdown md = markdown(inc.body, inc.where, inc.body_line);
      data p = object();
      p.set("incident_title", inc.meta.title);
      p.set("date", inc.meta.date_text);
      p.set("status", inc.meta.status);
      set_opt(p, "cas", join(inc.meta.cas, ", "));
      set_opt(p, "summary", inc.meta.summary);
      p.set("sample", inc.meta.sample);
      p.set("toc", toc_data(md.toc));
      p.set("has_toc", !md.toc.empty());
      p.set("body", md.html);
      const std::string path = "incidents/" + inc.slug + ".html";
      page(path, inc.meta.title, "incident", p);
      feed_entries_.push_back(
          {inc.meta.date, path, "Incident: " + inc.meta.title,
           inc.meta.summary.empty() ? "Status: " + inc.meta.status : inc.meta.summary});
      data e = object();
      e.set("title", inc.meta.title);
      e.set("date", inc.meta.date_text);
      e.set("status", inc.meta.status);
      set_opt(e, "cas", join(inc.meta.cas, ", "));
      e.set("href", path);
      set_opt(e, "summary", inc.meta.summary);
      e.set("sample", inc.meta.sample);
      rows.push_back(e);
    }
    data c = object();
    c.set("incidents", rows);
    page("incidents.html", "Incident reports", "incidents", c);
    incident_rows_.emplace(std::move(rows));
  }

  void home() {
    data docs = list();
    for (const Document& d : source_.documents) {
      const DocumentMeta& m = d.current().meta;
      data e = object();
      e.set("title", m.title);
      e.set("kind_label", document_kind_label(m.kind));
      e.set("version", m.version);
      e.set("effective", m.effective_text);
      e.set("href", d.slug + "/index.html");
      e.set("archive_href", d.slug + "/archive.html");
      e.set("md_href", d.slug + "/" + m.version + ".md");
      e.set("version_count", std::to_string(d.versions.size()));
      docs.push_back(e);
    }
    data roots = list();
    for (const CaEntry& ca : snap_.cas) {
      if (ca.role != CaRole::root) {
        continue;
      }
      data e = object();
      e.set("subject", ca.facts.subject);
      e.set("anchor", "ca-" + ca.id);
      e.set("sha256_colon", ca.facts.sha256_colon);
      e.set("sha256_ccadb", ca.facts.sha256_ccadb);
      e.set("crt_href", ca_crt_path(ca.id));
      e.set("status", ca_status_name(ca.status));
      roots.push_back(e);
    }
    data audits = list();
    for (const Audit& a : source_.audits) {
      data e = object();
      e.set("scheme", a.meta.scheme);
      e.set("auditor", a.meta.auditor);
      e.set("period_start", a.meta.period_start_text);
      e.set("period_end", a.meta.period_end_text);
      e.set("report_date", a.meta.report_date_text);
      e.set("sample", a.meta.sample);
      audits.push_back(e);
    }
    data c = object();
    if (!source_.intro_markdown.empty()) {
      c.set("intro",
            markdown(source_.intro_markdown, config_.site.source.string() + "/index.md", 1).html);
    }
    c.set("documents", docs);
    c.set("roots", roots);
    c.set("ca_count", std::to_string(snap_.cas.size()));
    c.set("crl_count", std::to_string(snap_.crls.size()));
    c.set("test_count", std::to_string(snap_.test_certificates.size()));
    c.set("audits", audits);
    c.set("incidents", incident_rows_ ? *incident_rows_ : list());
    c.set("checkpoint_count", std::to_string(snap_.checkpoint.count));
    c.set("checkpoint_head", snap_.checkpoint.head_hex);
    c.set("has_checkpoint", snap_.checkpoint.count > 0);
    page("index.html", config_.repository.name, "home", c);
    out_.files.add("audit-log-checkpoint.json",
                   "{\"count\":" + std::to_string(snap_.checkpoint.count) + ",\"head_sha256\":\"" +
                       snap_.checkpoint.head_hex + "\"}\n");
  }

  void not_found() {
    data c = object();
    page("404.html", "Page not found", "not-found", c, base_path(config_.repository.base_url));
  }

  // --- feeds ---
  struct FeedEntry {
    UnixTime when;
    std::string path;
    std::string title;
    std::string summary;
  };

  std::string url(const std::string& path) const {
    return config_.repository.base_url + "/" + path;
  }

  void feed() {
    std::sort(feed_entries_.begin(), feed_entries_.end(),
              [](const FeedEntry& a, const FeedEntry& b) {
                return a.when != b.when ? a.when > b.when : a.path < b.path;
              });
    UnixTime updated = feed_entries_.empty() ? 0 : feed_entries_.front().when;
    std::string x =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n";
    x += "  <title>" + escape_xml(config_.repository.name) + "</title>\n";
    x += "  <id>" + escape_xml(url("feed.xml")) + "</id>\n";
    x += "  <link rel=\"self\" href=\"" + escape_xml(url("feed.xml")) + "\"/>\n";
    x += "  <link rel=\"alternate\" type=\"text/html\" href=\"" + escape_xml(url("index.html")) +
         "\"/>\n";
    x += "  <updated>" + rfc3339(updated) + "</updated>\n";
    x += "  <author><name>" + escape_xml(config_.repository.name) + "</name></author>\n";
    for (const FeedEntry& e : feed_entries_) {
      x += "  <entry>\n";
      x += "    <title>" + escape_xml(e.title) + "</title>\n";
      x += "    <id>" + escape_xml(url(e.path)) + "</id>\n";
      x += "    <link rel=\"alternate\" type=\"text/html\" href=\"" + escape_xml(url(e.path)) +
           "\"/>\n";
      x += "    <updated>" + rfc3339(e.when) + "</updated>\n";
      x += "    <summary>" + escape_xml(e.summary) + "</summary>\n";
      x += "  </entry>\n";
    }
    x += "</feed>\n";
    out_.files.add("feed.xml", x);
  }

  void sitemap() {
    std::vector<std::string> pages = html_pages_;
    std::sort(pages.begin(), pages.end());
    std::string x =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
    for (const std::string& p : pages) {
      x += "  <url><loc>" + escape_xml(url(p)) + "</loc></url>\n";
    }
    x += "</urlset>\n";
    out_.files.add("sitemap.xml", x);
  }

  const Config& config_;
  const SiteSource& source_;
  const StoreSnapshot& snap_;
  const Templates& templates_;
  UnixTime now_;
  FragmentResolver fragments_;
  RenderedSite out_;
  std::vector<std::string> html_pages_;
  std::vector<FeedEntry> feed_entries_;
  std::optional<data> incident_rows_;
};

}  // namespace

std::vector<ComplianceFinding> compute_findings(const SiteSource& source,
                                                const StoreSnapshot& snapshot, UnixTime now) {
  std::vector<ComplianceFinding> f;
  std::vector<AuditPeriod> periods;
  for (const Audit& a : source.audits) {
    periods.push_back({a.where, a.meta});
  }
  std::vector<std::string> known;
  std::vector<std::string> active;
  for (const CaEntry& ca : snapshot.cas) {
    known.push_back(ca.id);
    if (ca.status == CaStatus::active) {
      active.push_back(ca.id);
    }
  }
  auto a = check_audits(periods, known, active, now);
  f.insert(f.end(), a.begin(), a.end());
  std::vector<DocumentMeta> cps;
  std::set<DocumentKind> kinds;
  for (const Document& d : source.documents) {
    kinds.insert(d.current().meta.kind);
    if (d.current().meta.kind == DocumentKind::cps && cps.empty()) {
      for (const auto& v : d.versions) {
        cps.push_back(v.meta);
      }
    }
  }
  auto r = check_cps_review(cps, now);
  f.insert(f.end(), r.begin(), r.end());
  // CPS 2.2: what the repository holds.
  for (DocumentKind k :
       {DocumentKind::cp, DocumentKind::subscriber_agreement, DocumentKind::relying_party_agreement,
        DocumentKind::privacy, DocumentKind::terms}) {
    if (!kinds.count(k)) {
      f.push_back({"repository", "CPS 2.2",
                   std::string("no ") + document_kind_label(k) + " (kind = \"" +
                       document_kind_name(k) + "\")"});
    }
  }
  for (const CaEntry& ca : snapshot.cas) {
    bool has = std::any_of(snapshot.crls.begin(), snapshot.crls.end(),
                           [&](const CrlEntry& c) { return c.ca_id == ca.id; });
    if (!has && ca.status == CaStatus::active) {
      f.push_back(
          {"CA " + ca.id, "CPS 2.2", "no CRL in the store yet (pkirepo-signer run signs them)"});
    }
  }
  for (const CrlEntry& crl : snapshot.crls) {
    if (crl.record.next_update < now) {
      f.push_back({"CRL " + crl.path, "BR 4.9.7",
                   "nextUpdate " + rfc3339(crl.record.next_update) + " has passed"});
    }
  }
  for (const std::string& p : snapshot.problems) {
    f.push_back({"config", "BR 2.2", p});
  }
  return f;
}

RenderedSite render_site(const Config& config, const SiteSource& source,
                         const StoreSnapshot& snapshot, const Templates& templates, UnixTime now) {
  return SiteRenderer(config, source, snapshot, templates, now).run();
}

namespace {

// Everything render_site() reads, hashed: when it equals the last build's, the output would
// be byte-identical and rendering is skipped. Bump kRenderVersion whenever the publisher
// renders the same inputs differently.
constexpr const char* kRenderVersion = "pkirepo-publisher render 2";

std::string input_fingerprint(const Config& config, const SiteSource& source,
                              const Templates& templates, const StoreSnapshot& snap, UnixTime now) {
  InputHasher h;
  h.add(kRenderVersion);
  h.add(config.repository.name);
  h.add(config.repository.base_url);
  h.add(config.site.source.string());
  h.add(config.site.safe ? 1 : 0);
  h.add(config.crl.shards);
  h.add(config.ocsp_url());
  for (const CaConfig& ca : config.cas) {
    h.add(ca.id);
    h.add(ca.ocsp ? 1 : 0);
    for (const auto& p : ca.profiles) {
      h.add(p);
    }
  }
  for (const ProfileConfig& p : config.profiles) {
    h.add(p.id);
    h.add(p.validity.seconds);
    h.add(p.validity.text);
    h.add(p.require_san ? 1 : 0);
    h.add(p.short_lived ? 1 : 0);
    h.add(p.crl_retention.seconds);
    for (const auto* list : {&p.eku, &p.key_usage, &p.policy_oids}) {
      h.add(static_cast<long long>(list->size()));
      for (const auto& v : *list) {
        h.add(v);
      }
    }
  }
  h.add(source.intro_markdown);
  for (const Document& d : source.documents) {
    h.add(d.slug);
    for (const DocumentVersion& v : d.versions) {
      h.add(v.where);
      h.add(v.raw);
    }
  }
  for (const Incident& i : source.incidents) {
    h.add(i.slug);
    h.add(i.where);
    for (const std::string* f :
         {&i.meta.title, &i.meta.date_text, &i.meta.status, &i.meta.summary, &i.body}) {
      h.add(*f);
    }
    h.add(i.meta.sample ? 1 : 0);
    for (const auto& c : i.meta.cas) {
      h.add(c);
    }
  }
  for (const Audit& a : source.audits) {
    h.add(a.id);
    h.add(a.where);
    for (const std::string* f :
         {&a.meta.title, &a.meta.auditor, &a.meta.scheme, &a.meta.period_start_text,
          &a.meta.period_end_text, &a.meta.report_date_text, &a.report_ext, &a.report_where}) {
      h.add(*f);
    }
    h.add(a.meta.sample ? 1 : 0);
    for (const auto& c : a.meta.cas) {
      h.add(c);
    }
    h.add(std::string_view(reinterpret_cast<const char*>(a.report.data()), a.report.size()));
  }
  for (const auto& [name, text] : templates.sources()) {
    h.add(name);
    h.add(text);
  }
  h.add(templates.stylesheet());
  h.add(templates.print_stylesheet());
  for (const CaEntry& ca : snap.cas) {
    h.add(ca.id);
    h.add(static_cast<long long>(ca.role));
    h.add(ca.parent);
    h.add(std::string_view(reinterpret_cast<const char*>(ca.der.data()), ca.der.size()));
    h.add(static_cast<long long>(ca.status));
    h.add(ca.status_reason);
  }
  for (const CrlEntry& c : snap.crls) {
    h.add(c.ca_id);
    h.add(c.shard);
    h.add(c.url);
    h.add(static_cast<long long>(c.record.crl_number));
    h.add(c.record.this_update);
    h.add(c.record.next_update);
    h.add(c.record.entries);
    h.add(c.record.next_update < now ? 1 : 0);  // the one thing `now` changes on a page
    h.add(
        std::string_view(reinterpret_cast<const char*>(c.record.der.data()), c.record.der.size()));
  }
  for (const auto& [ca, json] : snap.crl_lists) {
    h.add(ca);
    h.add(json);
  }
  for (const TestCertEntry& t : snap.test_certificates) {
    h.add(t.ca_id);
    h.add(t.kind);
    h.add(t.status);
    h.add(std::string_view(reinterpret_cast<const char*>(t.der.data()), t.der.size()));
  }
  h.add(static_cast<long long>(snap.checkpoint.count));
  h.add(snap.checkpoint.head_hex);
  return h.hex();
}

}  // namespace

BuildResult build_site(const Config& config, const BuildOptions& options, UnixTime now) {
  SiteSource source = load_site_source(config.site.source);
  Templates templates(config.site.templates);
  StoreSnapshot snapshot;
  {
    store::ReadStore st(config.repository.store);
    snapshot = read_store(config, st, now);
  }
  BuildResult result;
  result.findings = compute_findings(source, snapshot, now);
  if (options.strict && !result.findings.empty()) {
    result.refused = true;
    return result;
  }
  const std::filesystem::path output = options.output.empty() ? config.site.output : options.output;
  const std::string fingerprint = input_fingerprint(config, source, templates, snapshot, now);
  if (output_is_current(output, fingerprint, result.files)) {
    result.stats.unchanged = result.files;
    return result;  // same inputs, same files on disk: nothing to render, nothing to write
  }
  RenderedSite site = render_site(config, source, snapshot, templates, now);
  result.files = site.files.files().size();
  result.stats = commit_site(site.files, output);
  record_build_state(output, fingerprint, site.files);
  return result;
}

}  // namespace pkirepo::publisher
