// The audits page (with Markdown reports rendered, PDF reports copied; the CCADB fields and the
// fingerprints in scope from the store) and the incident reports (with their CCADB status).
#include <algorithm>

#include "publisher/ca_files.h"
#include "publisher/ccadb_meta.h"
#include "publisher/front_matter.h"
#include "publisher/pages.h"

namespace pkirepo::publisher {
namespace {

std::string audit_title(const AuditMeta& m) {
  return m.title.empty() ? m.scheme + " audit" : m.title;
}

// CCADB 5: the SHA-256 fingerprint of every certificate of each CA in scope, from the store by
// CA id (never typed into the audit record). `root` is the page's link prefix.
data scope_rows(const StoreSnapshot& snap, const AuditMeta& m, const std::string& root) {
  data rows = list();
  for (const std::string& id : m.cas) {
    auto it = std::find_if(snap.cas.begin(), snap.cas.end(),
                           [&](const CaEntry& ca) { return ca.id == id; });
    if (it == snap.cas.end()) {
      data r = object();
      r.set("id", id);
      r.set("missing", true);
      rows.push_back(r);
      continue;
    }
    for (const CaCertificate& c : it->same_key) {
      data r = object();
      r.set("id", id);
      r.set("href", root + ca_page_path(id));
      r.set("subject", c.facts.subject);
      r.set("kind", ca_cert_kind(*it, c));
      r.set("sha256", c.facts.sha256_ccadb);
      rows.push_back(r);
    }
  }
  return rows;
}

}  // namespace

void render_audits(PageWriter& w) {
  data rows = list();
  for (const Audit& a : w.source().audits) {
    const AuditMeta& m = a.meta;
    data e = audit_facts(m);
    e.set("id", a.id);
    e.set("anchor", "audit-" + a.id);
    e.set("title", audit_title(m));
    e.set("scope", scope_rows(w.snap(), m, ""));
    std::string feed_path = "audits.html#audit-" + a.id;
    if (a.report_ext == "pdf") {
      w.add_file("audits/" + a.id + ".pdf", std::string(a.report.begin(), a.report.end()));
      e.set("report_href", "audits/" + a.id + ".pdf");
      e.set("report_label", "PDF");
    } else if (a.report_ext == "md") {
      std::string text(a.report.begin(), a.report.end());
      SplitSource s = split_front_matter(text, a.report_where);
      RenderedMarkdown md = w.markdown(s.body, a.report_where, s.body_line);
      data p = audit_facts(m);
      p.set("audit_title", audit_title(m));  // "title" is the page's (PageWriter::page)
      p.set("scope", scope_rows(w.snap(), m, "../"));
      p.set("body", md.html);
      w.page("audits/" + a.id + ".html", audit_title(m), "audit", p);
      feed_path = "audits/" + a.id + ".html";
      e.set("report_href", "audits/" + a.id + ".html");
      e.set("report_label", "Report");
    }
    // Dated by the report, never the build.
    w.add_feed_entry({m.report_date, feed_path, "Audit report: " + audit_title(m),
                      m.scheme +
                          (m.type == "period-of-time"
                               ? ", period " + m.period_start_text + " to " + m.period_end_text
                               : ", " + m.type + " report of " + m.period_end_text) +
                          ", by " + m.auditor + "; CAs " + join(m.cas, ", ") + "."});
    rows.push_back(e);
  }
  data c = object();
  c.set("audits", rows);
  w.page("audits.html", "Audits", "audits", c);
}

void render_incidents(PageWriter& w) {
  data rows = list();
  for (const Incident& inc : w.source().incidents) {
    RenderedMarkdown md = w.markdown(inc.body, inc.where, inc.body_line);
    data p = object();
    p.set("incident_title", inc.meta.title);
    p.set("date", inc.meta.date_text);
    p.set("status", inc.meta.status);
    set_opt(p, "cas", join(inc.meta.cas, ", "));
    set_opt(p, "summary", inc.meta.summary);
    p.set("sample", inc.meta.sample);
    set_opt(p, "ticket", inc.meta.ticket);
    set_opt(p, "bugzilla", inc.meta.bugzilla);
    p.set("report_status", incident_report_status(inc.meta, inc.body));
    if (inc.meta.closed_date != 0) {
      p.set("closed", date_text(inc.meta.closed_date));
    }
    auto set_time = [&p](const char* key, UnixTime t) {
      if (t != 0) {
        p.set(key, rfc3339(t));
      }
    };
    set_time("detected", inc.meta.detected);
    set_time("reported", inc.meta.reported);
    set_time("notification_deadline", inc.meta.notification_deadline);
    set_time("revocation_deadline", inc.meta.revocation_deadline);
    set_time("revocation_completed", inc.meta.revocation_completed);
    if (!inc.meta.affected.empty()) {
      // Beside the report, under the name the report's own Markdown links to.
      w.add_file("incidents/" + inc.meta.affected, inc.affected_csv);
      p.set("affected_href", inc.meta.affected);
      p.set("certificates", inc.meta.certificates >= 0 ? std::to_string(inc.meta.certificates)
                                                       : std::string("list"));
    }
    p.set("toc", toc_data(md.toc));
    p.set("has_toc", !md.toc.empty());
    p.set("body", md.html);
    const std::string path = "incidents/" + inc.slug + ".html";
    w.page(path, inc.meta.title, "incident", p);
    w.add_feed_entry({inc.meta.date, path, "Incident: " + inc.meta.title,
                      inc.meta.summary.empty() ? "Status: " + inc.meta.status : inc.meta.summary});
    data e = object();
    e.set("title", inc.meta.title);
    e.set("date", inc.meta.date_text);
    e.set("status", inc.meta.status);
    e.set("report_status", incident_report_status(inc.meta, inc.body));
    set_opt(e, "bugzilla", inc.meta.bugzilla);
    set_opt(e, "cas", join(inc.meta.cas, ", "));
    e.set("href", path);
    set_opt(e, "summary", inc.meta.summary);
    e.set("sample", inc.meta.sample);
    rows.push_back(e);
  }
  data c = object();
  c.set("incidents", rows);
  w.page("incidents.html", "Incident reports", "incidents", c);
  w.incident_rows.emplace(std::move(rows));
}

}  // namespace pkirepo::publisher
