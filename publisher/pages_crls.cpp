// The CRLs page, every CRL file at its distribution point path, and the CCADB JSON list of a
// CA's CRL URLs (CCADB 6.2).
#include <map>

#include "publisher/pages.h"

namespace pkirepo::publisher {

void render_crls(PageWriter& w) {
  data rows = list();
  std::map<std::string, std::vector<const CrlEntry*>> by_ca;
  for (const CrlEntry& crl : w.snap().crls) {
    w.add_file(crl.path, std::string(crl.record.der.begin(), crl.record.der.end()));
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
    e.set("overdue", crl.record.next_update < w.now());
    rows.push_back(e);
  }
  // CCADB 6.2: the JSON array of every CRL URL of a CA, at crl_list_url.
  data lists = list();
  for (const auto& [ca, entries] : by_ca) {
    std::string json;
    auto stored = w.snap().crl_lists.find(ca);
    if (stored != w.snap().crl_lists.end()) {
      json = stored->second;
    } else {
      json = "[";
      for (size_t i = 0; i < entries.size(); ++i) {
        json += (i ? ",\"" : "\"") + entries[i]->url + "\"";
      }
      json += "]\n";
    }
    const std::string path = site_path_for_url(w.config(), w.config().crl_list_url(ca));
    w.add_file(path, json);
    data e = object();
    e.set("ca_id", ca);
    e.set("url", w.config().crl_list_url(ca));
    e.set("href", path);
    lists.push_back(e);
  }
  data c = object();
  c.set("crls", rows);
  c.set("lists", lists);
  w.page("crls.html", "Certificate revocation lists", "crls", c);
}

}  // namespace pkirepo::publisher
