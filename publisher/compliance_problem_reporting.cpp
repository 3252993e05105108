// CPS 1.5.2, 4.2 and 4.9.12 against [site.problem_reporting]: the "Report a problem" page is
// generated from the config, the CPS is written by hand, and a relying party must find the same
// contact, CAA domains and accepted proofs in both (BR 1.5.2, 3.2.2.8, 4.2, 4.9.3; Mozilla Root
// Store Policy §6 for 4.9.12).
#include <algorithm>
#include <cctype>
#include <optional>

#include "publisher/compliance.h"
#include "publisher/html.h"
#include "publisher/markdown.h"
#include "publisher/site_source.h"

namespace pkirepo::publisher {
namespace {

bool mentions_any(const std::string& text, std::initializer_list<std::string_view> phrases) {
  return std::any_of(phrases.begin(), phrases.end(),
                     [&](std::string_view p) { return text.find(p) != std::string::npos; });
}

}  // namespace

std::vector<ComplianceFinding> check_problem_reporting(const std::vector<Document>& documents,
                                                       const Config& cfg) {
  std::vector<ComplianceFinding> f;
  const SiteConfig::ProblemReporting& pr = cfg.site.problem_reporting;
  if (pr.email.empty() && pr.url.empty()) {
    f.push_back({"[site.problem_reporting]", "BR 1.5.2, 4.9.3",
                 "no email or url: the site names no 24x7 contact for problem reports"});
  }
  const bool issues_tls = std::any_of(cfg.profiles.begin(), cfg.profiles.end(), [](const auto& p) {
    return std::find(p.eku.begin(), p.eku.end(), "serverAuth") != p.eku.end();
  });
  if (issues_tls && pr.caa_domains.empty()) {
    f.push_back({"[site.problem_reporting]", "BR 3.2.2.8",
                 "no caa_domains: a CA that issues serverAuth certificates publishes the CAA "
                 "issuer domain names that authorise it"});
  }
  auto cps = std::find_if(documents.begin(), documents.end(), [](const Document& d) {
    return d.current().meta.kind == DocumentKind::cps;
  });
  if (cps == documents.end()) {
    return f;  // check_cps_review reports the missing CPS
  }
  const DocumentVersion& v = cps->current();
  const std::string subject = "cps " + v.meta.version;
  auto section = [&](std::string_view number, const char* rule) -> std::optional<std::string> {
    std::optional<std::string> text = section_text(v.body, number);
    if (!text) {
      f.push_back({subject, rule, "no section " + std::string(number)});
      return std::nullopt;
    }
    return ascii_lower(*text);
  };
  if (auto s = section("1.5.2", "BR 1.5.2")) {
    if (!pr.email.empty() && s->find(ascii_lower(pr.email)) == std::string::npos) {
      f.push_back(
          {subject, "BR 1.5.2",
           "section 1.5.2 does not state " + pr.email + " ([site.problem_reporting] email)"});
    }
    if (!pr.url.empty() && s->find(ascii_lower(pr.url)) == std::string::npos) {
      f.push_back({subject, "BR 1.5.2",
                   "section 1.5.2 does not state " + pr.url + " ([site.problem_reporting] url)"});
    }
  }
  if (auto s = section("4.2", "BR 4.2")) {
    for (const std::string& d : pr.caa_domains) {
      if (s->find(d) == std::string::npos) {
        f.push_back({subject, "BR 4.2, 3.2.2.8",
                     "section 4.2 does not name the CAA issuer domain " + d +
                         " ([site.problem_reporting] caa_domains)"});
      }
    }
  }
  if (auto s = section("4.9.12", "Mozilla Root Store Policy 6")) {
    const bool contact =
        (!pr.email.empty() && s->find(ascii_lower(pr.email)) != std::string::npos) ||
        (!pr.url.empty() && s->find(ascii_lower(pr.url)) != std::string::npos) ||
        s->find("report-a-problem") != std::string::npos;
    if (!contact) {
      f.push_back({subject, "Mozilla Root Store Policy 6",
                   "section 4.9.12 names neither the report contact nor the Report a problem "
                   "page"});
    }
    for (const std::string& p : pr.key_compromise_proofs) {
      const bool stated = p == "csr"
                              ? mentions_any(*s, {"certificate signing request", "csr", "pkcs#10"})
                              : mentions_any(*s, {"private key"});
      if (!stated) {
        f.push_back({subject, "Mozilla Root Store Policy 6",
                     "section 4.9.12 does not describe the accepted proof \"" + p +
                         "\" ([site.problem_reporting] key_compromise_proofs)"});
      }
    }
  }
  return f;
}

}  // namespace pkirepo::publisher
