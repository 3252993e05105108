// ca.json: the machine-readable inventory of every CA certificate the store holds, one entry per
// certificate and CA id (docs/publisher.md, "ca.json"). Everything in it comes from the store
// and the config, nothing from the clock, so a rebuild writes the same bytes.
#include <nlohmann/json.hpp>

#include "publisher/ca_files.h"
#include "publisher/pages.h"
#include "publisher/test_websites.h"

namespace pkirepo::publisher {
namespace {

using json = nlohmann::ordered_json;

std::string url(const Config& config, const std::string& path) {
  return config.repository.base_url + "/" + path;
}

}  // namespace

void render_ca_inventory(PageWriter& w) {
  const Config& config = w.config();
  json certs = json::array();
  for (const CaEntry& ca : w.snap().cas) {
    // CCADB "Test Website URL - Valid/Revoked/Expired": the CA's, on each of its certificates.
    json sites = json::object();
    for (const TestWebsite& site : test_websites_for(w.snap(), ca)) {
      sites[site.kind] = site.url.empty() ? json(nullptr) : json(site.url);
    }
    for (const CaCertificate& c : ca.same_key) {
      const CertFacts& f = c.facts;
      const CaCertFiles files = ca_cert_files(config, ca, c);
      json key = {{"algorithm", f.key_algorithm}, {"size", f.key_bits}};
      if (!f.key_curve.empty()) {
        key["curve"] = f.key_curve;
      }
      json e = {
          {"id", ca.id},
          {"role", ca_role_name(ca.role)},
          {"state", ca_state_name(ca.state)},
          {"kind", ca_cert_kind(ca, c)},
          {"parent", c.issuer_ca == ca.id ? json(nullptr) : json(c.issuer_ca)},
          {"subject", f.subject},
          {"issuer", f.issuer},
          {"serial", f.serial_hex},
          {"sha256", f.sha256_ccadb},
          {"spki_sha256", f.spki_sha256},
          {"not_before", rfc3339(f.not_before)},
          {"not_after", rfc3339(f.not_after)},
          {"status", c.status},
          {"key", key},
          {"eku", f.eku},
          {"policy_oids", f.policy_oids},
          {"name_constraints", f.name_constraints},
          {"ocsp_urls", f.ocsp_urls},
          {"crl_urls", f.crl_urls},
          {"ca_issuers_urls", f.ca_issuers_urls},
          {"files",
           {{"der", url(config, files.der)},
            {"pem", url(config, files.pem)},
            {"text", url(config, files.text)},
            {"page", url(config, ca_page_path(ca.id))}}},
          {"crtsh", crtsh_url(f)},
      };
      if (c.revoked_at != 0) {
        e["revoked_at"] = rfc3339(c.revoked_at);
      }
      e["test_websites"] = sites;
      certs.push_back(std::move(e));
    }
  }
  json doc = {{"format", "pkirepo-ca-inventory/1"},
              {"repository", config.repository.base_url},
              {"certificates", certs}};
  w.add_file("ca.json", doc.dump(2) + "\n");
}

}  // namespace pkirepo::publisher
