// The CA certificates page (the mixed hierarchy as a tree with cross-certificates, inventory by
// state, facts and downloads; the .crt files at the AIA caIssuers URLs), one page per CA
// (ca/<id>.html: purpose, EKU, policies, name constraints, status URLs, every certificate for
// its key, chain, state, OpenSSL's text dump, crt.sh) and the test certificates page.
#include <algorithm>
#include <map>
#include <set>

#include "publisher/ca_files.h"
#include "publisher/html.h"
#include "publisher/pages.h"
#include "publisher/test_websites.h"

namespace pkirepo::publisher {
namespace {

std::string ca_crt_path(const Config& config, const std::string& id) {
  return site_path_for_url(config, config.ca_cert_url(id));
}
std::string pem_path(const std::string& crt_path) {
  return crt_path.substr(0, crt_path.rfind('.')) + ".pem";
}

std::string tree_html(const StoreSnapshot& snap, const std::string& parent, int depth) {
  std::string html;
  for (const CaEntry& ca : snap.cas) {
    bool is_child = parent.empty()
                        ? (ca.parent.empty() ||
                           std::none_of(snap.cas.begin(), snap.cas.end(),
                                        [&](const CaEntry& o) { return o.id == ca.parent; }))
                        : ca.parent == parent;
    if (!is_child || depth > 16) {
      continue;
    }
    html += "<li><a href=\"#ca-" + escape_html(ca.id) + "\">" + escape_html(ca.facts.subject) +
            "</a> <span class=\"role\">" + escape_html(ca_role_name(ca.role)) + "</span>";
    if (ca.state != CaState::active) {
      html += " <span class=\"status " + std::string(ca_state_name(ca.state)) + "\">" +
              ca_state_label(ca.state) + "</span>";
    }
    std::string children = tree_html(snap, ca.id, depth + 1);
    // The certificates this CA signed for the keys of CAs that sit elsewhere in the tree
    // (cross-certificates): the second path of the mixed hierarchy.
    for (const CaEntry& other : snap.cas) {
      for (const CaCertificate& c : other.same_key) {
        if (c.issuer_ca == ca.id && other.id != ca.id && other.parent != ca.id &&
            ca_cert_kind(other, c) == "cross-certificate") {
          children += "<li class=\"cross\">cross-certificate for <a href=\"#ca-" +
                      escape_html(other.id) + "\">" + escape_html(other.facts.subject) +
                      "</a> <span class=\"role\">" + escape_html(c.status) + "</span></li>\n";
        }
      }
    }
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
std::string status_services_text(const Config& config, const std::string& id) {
  const CaConfig* ca = config.find_ca(id);
  if (ca == nullptr) {
    return {};
  }
  std::string text = ca->ocsp ? "OCSP at " + config.ocsp_url() +
                                    " and the CRL at each certificate's distribution point"
                              : "CRLs only: the certificates it issues carry no OCSP URL; the "
                                "CRL at each certificate's distribution point gives their "
                                "status";
  std::string short_lived;
  for (const std::string& pid : ca->profiles) {
    const ProfileConfig* p = config.find_profile(pid);
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

data string_list(const std::vector<std::string>& items) {
  data l = list();
  for (const std::string& i : items) {
    l.push_back(data(i));
  }
  return l;
}

// The facts every certificate of a CA shows, on its page and (for the current one) the index.
data cert_data(const Config& config, const CaEntry& ca, const CaCertificate& cert,
               const std::string& page_dir) {
  const CaCertFiles files = ca_cert_files(config, ca, cert);
  auto rel = [&](const std::string& path) {
    return path.rfind(page_dir, 0) == 0 ? path.substr(page_dir.size()) : path;
  };
  data e = object();
  e.set("kind", ca_cert_kind(ca, cert));
  e.set("anchor", "cert-" + cert.facts.sha256_ccadb.substr(0, 16));
  e.set("subject", cert.facts.subject);
  e.set("issuer", cert.facts.issuer);
  e.set("issuer_ca", cert.issuer_ca);
  e.set("issuer_href", rel(ca_page_path(cert.issuer_ca)));
  e.set("serial", cert.facts.serial_hex);
  e.set("not_before", datetime_text(cert.facts.not_before));
  e.set("not_after", datetime_text(cert.facts.not_after));
  e.set("sha256_colon", cert.facts.sha256_colon);
  e.set("sha256_ccadb", cert.facts.sha256_ccadb);
  e.set("status", cert.status);
  if (cert.revoked_at != 0) {
    e.set("revoked",
          datetime_text(cert.revoked_at) +
              (cert.revocation_reason.empty() ? "" : " (" + cert.revocation_reason + ")"));
  }
  e.set("crt_href", rel(files.der));
  e.set("pem_href", rel(files.pem));
  e.set("txt_href", rel(files.text));
  e.set("crtsh", crtsh_url(cert.facts));
  return e;
}

void add_cert_files(PageWriter& w, std::set<std::string>& written, const CaEntry& ca,
                    const CaCertificate& cert) {
  const CaCertFiles files = ca_cert_files(w.config(), ca, cert);
  if (!written.insert(files.der).second) {
    return;
  }
  w.add_file(files.der, std::string(cert.der.begin(), cert.der.end()));
  w.add_file(files.pem, cert.facts.pem);
  w.add_file(files.text, cert.facts.text);
}

// The CA page's test websites: each kind's URL beside the certificate it serves (a root's may
// be a CA's below it), and whether BR 2.2 asks this CA for them.
void set_test_websites(data& p, const Config& config, const StoreSnapshot& snap,
                       const CaEntry& ca) {
  data sites = list();
  bool any = false;
  for (const TestWebsite& site : test_websites_for(snap, ca)) {
    data e = object();
    e.set("kind", site.kind);
    if (site.cert != nullptr) {
      any = true;
      const std::string base = "../test/" + site.ca_id + "-" + site.kind;
      e.set("url", site.url);
      e.set("serial", site.cert->facts.serial_hex);
      e.set("crt_href", base + ".crt");
      e.set("pem_href", base + ".pem");
      e.set("cert_href", "../test-certificates.html#test-" + site.ca_id + "-" + site.kind);
      set_opt(e, "via", site.ca_id == ca.id ? "" : site.ca_id);
    }
    sites.push_back(e);
  }
  const bool needed = needs_test_websites(config, snap, ca);
  p.set("has_test_websites", any || needed);
  p.set("test_websites", sites);
  p.set("test_websites_needed", needed);
}

// One CA's page, ca/<id>.html.
void render_ca_page(PageWriter& w, const CaEntry& ca) {
  const Config& config = w.config();
  data p = object();
  p.set("id", ca.id);
  p.set("subject", ca.facts.subject);
  p.set("role", ca_role_name(ca.role));
  p.set("state", ca_state_name(ca.state));
  p.set("state_label", ca_state_label(ca.state));
  set_opt(p, "state_reason", ca.state_reason);
  p.set("purpose", ca_purpose(ca));
  set_opt(p, "eku", join(ca.facts.eku, ", "));
  set_opt(p, "key_usage", join(ca.facts.key_usage, ", "));
  p.set("policy_oids", string_list(ca.facts.policy_oids));
  p.set("has_policy_oids", !ca.facts.policy_oids.empty());
  p.set("name_constraints", ca.facts.name_constraints);
  p.set("permitted", string_list(ca.facts.permitted_subtrees));
  p.set("excluded", string_list(ca.facts.excluded_subtrees));
  if (ca.facts.path_len >= 0) {
    p.set("path_len", std::to_string(ca.facts.path_len));
  }
  p.set("key", ca.facts.key);
  p.set("ocsp_urls", string_list(ca.facts.ocsp_urls));
  p.set("crl_urls", string_list(ca.facts.crl_urls));
  p.set("ca_issuers_urls", string_list(ca.facts.ca_issuers_urls));
  p.set("has_status_urls", !ca.facts.ocsp_urls.empty() || !ca.facts.crl_urls.empty() ||
                               !ca.facts.ca_issuers_urls.empty());
  set_opt(p, "status_services", status_services_text(config, ca.id));
  data crls = list();
  for (const CrlEntry& crl : w.snap().crls) {
    if (crl.ca_id == ca.id) {
      data ce = object();
      ce.set("url", crl.url);
      ce.set("href", "../" + crl.path);
      crls.push_back(ce);
    }
  }
  p.set("crls", crls);
  // Chain: this CA, then each CA above it, to the root.
  data chain = list();
  {
    data self = object();
    self.set("id", ca.id);
    self.set("href", ca.id + ".html");
    self.set("subject", ca.facts.subject);
    chain.push_back(self);
  }
  for (const std::string& id : ca.chain) {
    data link = object();
    link.set("id", id);
    link.set("href", id + ".html");
    auto it = std::find_if(w.snap().cas.begin(), w.snap().cas.end(),
                           [&](const CaEntry& o) { return o.id == id; });
    link.set("subject", it == w.snap().cas.end() ? id : it->facts.subject);
    chain.push_back(link);
  }
  p.set("chain", chain);
  data certs = list();
  for (const CaCertificate& c : ca.same_key) {
    certs.push_back(cert_data(config, ca, c, "ca/"));
  }
  p.set("certificates", certs);
  p.set("certificate_count", std::to_string(ca.same_key.size()));
  const CaCertificate* current = nullptr;
  for (const CaCertificate& c : ca.same_key) {
    if (c.current) {
      current = &c;
    }
  }
  if (current != nullptr) {
    p.set("current", cert_data(config, ca, *current, "ca/"));
  }
  set_test_websites(p, config, w.snap(), ca);
  p.set("spki_sha256", ca.facts.spki_sha256);
  p.set("text_dump", ca.facts.text);
  w.page(ca_page_path(ca.id), ca.facts.subject, "ca", p);
}

// Feed entries for CA certificate changes, dated by the store's records (never the build):
// a CA certificate appears at its issuance record (a root's at its `cas` record's creation),
// and is revoked at its revocation time. Each certificate once, under the first CA listing it.
void announce_ca_changes(PageWriter& w) {
  std::set<std::string> seen;
  for (const CaEntry& ca : w.snap().cas) {
    for (const CaCertificate& c : ca.same_key) {
      if (!seen.insert(c.facts.sha256_ccadb).second) {
        continue;
      }
      const std::string anchor = "#cert-" + c.facts.sha256_ccadb.substr(0, 16);
      const UnixTime appeared = c.issued_at != 0 ? c.issued_at : c.facts.not_before;
      const std::string kind = ca_cert_kind(ca, c);
      w.add_feed_entry(
          {appeared, ca_page_path(ca.id) + anchor,
           "CA certificate: " + c.facts.subject +
               (kind == "cross-certificate" ? " (cross-certificate from " + c.issuer_ca + ")" : ""),
           "New " + (kind == "current" ? std::string("CA") : kind) + " certificate for " + ca.id +
               ", issued by " + c.issuer_ca + ", serial " + c.facts.serial_hex + ", SHA-256 " +
               c.facts.sha256_ccadb + "."});
      if (c.revoked_at != 0) {
        w.add_feed_entry(
            {c.revoked_at,
             ca_page_path(ca.id) + "#revoked-cert-" + c.facts.sha256_ccadb.substr(0, 16),
             "CA certificate revoked: " + c.facts.subject,
             "The certificate for " + ca.id + " issued by " + c.issuer_ca + " (serial " +
                 c.facts.serial_hex + ") was revoked" +
                 (c.revocation_reason.empty() ? "" : ": " + c.revocation_reason) + "."});
      }
    }
  }
}

}  // namespace

void render_certificates(PageWriter& w) {
  data cas = list();
  std::map<CaState, data> groups{{CaState::active, list()},
                                 {CaState::backup, list()},
                                 {CaState::not_in_root_programs, list()},
                                 {CaState::retired, list()},
                                 {CaState::revoked, list()}};
  std::set<std::string> written;
  for (const CaEntry& ca : w.snap().cas) {
    const std::string crt = ca_crt_path(w.config(), ca.id);
    if (written.insert(crt).second) {
      w.add_file(crt, std::string(ca.der.begin(), ca.der.end()));
      w.add_file(pem_path(crt), ca.facts.pem);
      w.add_file(crt.substr(0, crt.rfind('.')) + ".txt", ca.facts.text);
    }
    for (const CaCertificate& c : ca.same_key) {
      add_cert_files(w, written, ca, c);
    }
    render_ca_page(w, ca);
    data e = object();
    e.set("id", ca.id);
    e.set("anchor", "ca-" + ca.id);
    e.set("page_href", ca_page_path(ca.id));
    e.set("role", ca_role_name(ca.role));
    e.set("subject", ca.facts.subject);
    e.set("issuer", ca.facts.issuer);
    e.set("serial", ca.facts.serial_hex);
    e.set("not_before", datetime_text(ca.facts.not_before));
    e.set("not_after", datetime_text(ca.facts.not_after));
    e.set("key", ca.facts.key);
    e.set("purpose", ca_purpose(ca));
    e.set("sha256_colon", ca.facts.sha256_colon);
    e.set("sha256_ccadb", ca.facts.sha256_ccadb);
    e.set("sha1_colon", ca.facts.sha1_colon);
    e.set("spki_sha256", ca.facts.spki_sha256);
    e.set("crt_href", crt);
    e.set("pem_href", pem_path(crt));
    e.set("txt_href", crt.substr(0, crt.rfind('.')) + ".txt");
    e.set("crtsh", crtsh_url(ca.facts));
    e.set("ca_url", w.config().ca_cert_url(ca.id));
    e.set("status", ca_state_name(ca.state));
    e.set("status_label", ca_state_label(ca.state));
    set_opt(e, "status_reason", ca.state_reason);
    e.set("certificate_count", std::to_string(ca.same_key.size()));
    e.set("more_certificates", ca.same_key.size() > 1);
    e.set("has_parent", !ca.parent.empty());
    e.set("parent_anchor", "ca-" + ca.parent);
    e.set("parent", ca.parent);
    if (!ca.parent.empty()) {
      e.set("parent_crl_url", w.config().crl_url(ca.parent, -1));
    }
    data crls = list();
    for (const CrlEntry& crl : w.snap().crls) {
      if (crl.ca_id == ca.id) {
        data ce = object();
        ce.set("url", crl.url);
        ce.set("href", crl.path);
        crls.push_back(ce);
      }
    }
    e.set("crls", crls);
    e.set("crl_list_url", w.config().crl_list_url(ca.id));
    set_opt(e, "status_services", status_services_text(w.config(), ca.id));
    cas.push_back(e);
    data g = object();
    g.set("anchor", "ca-" + ca.id);
    g.set("page_href", ca_page_path(ca.id));
    g.set("subject", ca.facts.subject);
    g.set("role", ca_role_name(ca.role));
    set_opt(g, "status_reason", ca.state_reason);
    g.set("not_after", date_text(ca.facts.not_after));
    groups[ca.state].push_back(g);
  }
  announce_ca_changes(w);
  data group_list = list();
  for (auto& [state, members] : groups) {
    data g = object();
    g.set("name", ca_state_name(state));
    g.set("label", ca_state_label(state));
    g.set("empty_text", state == CaState::active    ? "No CA is active."
                        : state == CaState::backup  ? "No CA is kept as a backup."
                        : state == CaState::retired ? "No CA has been retired."
                        : state == CaState::revoked ? "No CA certificate has been revoked."
                                                    : "Every root is in the root programs.");
    g.set("cas", members);
    group_list.push_back(g);
  }
  data c = object();
  std::string tree = tree_html(w.snap(), "", 0);
  c.set("tree", tree.empty() ? "" : "<ul class=\"tree\">\n" + tree + "</ul>\n");
  c.set("has_cas", !w.snap().cas.empty());
  c.set("cas", cas);
  c.set("groups", group_list);
  w.page("certificates.html", "CA certificates", "certificates", c);
}

void render_test_certificates(PageWriter& w) {
  std::vector<std::string> order;
  std::map<std::string, data> by_ca;
  for (const TestCertEntry& t : w.snap().test_certificates) {
    const std::string base = "test/" + t.ca_id + "-" + t.kind;
    w.add_file(base + ".crt", std::string(t.der.begin(), t.der.end()));
    w.add_file(base + ".pem", t.facts.pem);
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
    e.set("anchor", "test-" + t.ca_id + "-" + t.kind);
    set_opt(e, "url", t.url);
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
  w.page("test-certificates.html", "Test certificates", "test-certificates", c);
}

}  // namespace pkirepo::publisher
