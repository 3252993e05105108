// The home page (documents, root fingerprints, audits, incidents, the audit log checkpoint),
// the checkpoint file, and 404.html.
#include "publisher/checkpoint_history.h"
#include "publisher/pages.h"

namespace pkirepo::publisher {
namespace {

// "http://pki.example.test/sub" -> "/sub/": the root of absolute links on 404.html, which a
// server may serve at any path.
std::string base_path(const std::string& base_url) {
  size_t scheme = base_url.find("://");
  size_t slash = scheme == std::string::npos ? std::string::npos : base_url.find('/', scheme + 3);
  return (slash == std::string::npos ? "" : base_url.substr(slash)) + "/";
}

}  // namespace

void render_home(PageWriter& w) {
  data docs = list();
  for (const Document& d : w.source().documents) {
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
  for (const CaEntry& ca : w.snap().cas) {
    if (ca.role != CaRole::root) {
      continue;
    }
    data e = object();
    e.set("subject", ca.facts.subject);
    e.set("anchor", "ca-" + ca.id);
    e.set("sha256_colon", ca.facts.sha256_colon);
    e.set("sha256_ccadb", ca.facts.sha256_ccadb);
    e.set("crt_href", site_path_for_url(w.config(), w.config().ca_cert_url(ca.id)));
    e.set("status", ca_status_name(ca.status));
    roots.push_back(e);
  }
  data audits = list();
  for (const Audit& a : w.source().audits) {
    audits.push_back(audit_facts(a.meta));
  }
  data c = object();
  if (!w.source().intro_markdown.empty()) {
    c.set("intro",
          w.markdown(w.source().intro_markdown, w.config().site.source.string() + "/index.md", 1)
              .html);
  }
  c.set("documents", docs);
  c.set("roots", roots);
  c.set("ca_count", std::to_string(w.snap().cas.size()));
  c.set("crl_count", std::to_string(w.snap().crls.size()));
  c.set("test_count", std::to_string(w.snap().test_certificates.size()));
  c.set("audits", audits);
  c.set("incidents", w.incident_rows ? *w.incident_rows : list());
  // The published checkpoint: the newest signed one (it may trail the log by the records
  // written since the signer's last run), else the current unsigned one.
  const audit::SignedCheckpoint& cp = w.snap().published_checkpoint;
  c.set("checkpoint_count", std::to_string(cp.count));
  c.set("checkpoint_head", cp.head_hex);
  c.set("has_checkpoint", cp.count > 0);
  c.set("checkpoint_signed", cp.is_signed());
  c.set("checkpoint_time", cp.is_signed() ? rfc3339(cp.time) : "");
  c.set("has_checkpoint_key", !w.snap().checkpoint_key_pem.empty());
  c.set("checkpoint_key_id", w.snap().checkpoint_key_id);
  w.page("index.html", w.config().repository.name, "home", c);
  w.add_file("audit-log-checkpoint.json", cp.to_json() + "\n");
  w.add_file(kCheckpointHistoryFile, w.snap().checkpoint_history.empty()
                                         ? cp.to_json() + "\n"
                                         : w.snap().checkpoint_history);
  if (!w.snap().checkpoint_key_pem.empty()) {
    w.add_file("audit-checkpoint-key.pem", w.snap().checkpoint_key_pem);
  }
}

void render_not_found(PageWriter& w) {
  data c = object();
  w.page("404.html", "Page not found", "not-found", c, base_path(w.config().repository.base_url));
}

}  // namespace pkirepo::publisher
