// The "Report a problem" page (CPS 1.5.2, 4.9.3, 4.9.12): where and how anyone reports a key
// compromise, a mis-issued certificate or misuse, what a report must hold, and what happens
// next. Contacts come from [site.problem_reporting]; the page is linked from every footer.
#include <algorithm>
#include <string_view>

#include "publisher/pages.h"

namespace pkirepo::publisher {

void render_problem_report(PageWriter& w) {
  const SiteConfig::ProblemReporting& pr = w.config().site.problem_reporting;
  data c = object();
  set_opt(c, "email", pr.email);
  set_opt(c, "url", pr.url);
  set_opt(c, "postal_address", pr.postal_address);
  c.set("response_time", pr.response_time);
  c.set("has_contact", !pr.email.empty() || !pr.url.empty());
  // BR 3.2.2.8: the CAA issuer domain names, with the records a domain owner would publish.
  data caa = list();
  for (const std::string& d : pr.caa_domains) {
    data e = object();
    e.set("domain", d);
    caa.push_back(e);
  }
  c.set("caa_domains", caa);
  c.set("has_caa", !pr.caa_domains.empty());
  auto accepts = [&](std::string_view proof) {
    return std::find(pr.key_compromise_proofs.begin(), pr.key_compromise_proofs.end(), proof) !=
           pr.key_compromise_proofs.end();
  };
  c.set("proof_csr", accepts("csr"));
  c.set("proof_private_key", accepts("private-key"));
  w.page("report-a-problem.html", "Report a problem", "report-a-problem", c);
}

}  // namespace pkirepo::publisher
