// The CA certificates page (tree, inventory by state, facts and downloads; the .crt files at
// the AIA caIssuers URLs) and the test certificates page.
#include <algorithm>
#include <map>

#include "publisher/html.h"
#include "publisher/pages.h"

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
    if (ca.status != CaStatus::active) {
      html += " <span class=\"status " + std::string(ca_status_name(ca.status)) + "\">" +
              ca_status_name(ca.status) + "</span>";
    }
    std::string children = tree_html(snap, ca.id, depth + 1);
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

}  // namespace

void render_certificates(PageWriter& w) {
  data cas = list();
  std::map<CaStatus, data> groups{
      {CaStatus::active, list()}, {CaStatus::retired, list()}, {CaStatus::revoked, list()}};
  for (const CaEntry& ca : w.snap().cas) {
    const std::string crt = ca_crt_path(w.config(), ca.id);
    w.add_file(crt, std::string(ca.der.begin(), ca.der.end()));
    w.add_file(pem_path(crt), ca.facts.pem);
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
    e.set("ca_url", w.config().ca_cert_url(ca.id));
    e.set("status", ca_status_name(ca.status));
    set_opt(e, "status_reason", ca.status_reason);
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
