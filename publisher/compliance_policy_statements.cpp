// What the CP/CPS must say about themselves, each rule from the date it took effect: the BR 2.2
// conformance statement (a CA that issues serverAuth), an open licence (Mozilla Root Store
// Policy 3.3 item 3), the legal entity and its address (Mozilla Root Store Policy 3.3.4, from
// 2027-07-01), and an English version of a CP/CPS written in another language with the same
// version number (CCADB Policy 5). The wording checks look for the statement's key phrases
// in the current version's full text (generated fragments expanded), case-insensitively.
#include <algorithm>
#include <cctype>

#include "publisher/compliance.h"
#include "publisher/html.h"
#include "publisher/markdown.h"
#include "publisher/site_source.h"

namespace pkirepo::publisher {
namespace {

// Letters and digits only, lowercase: an address matches however its lines are joined.
std::string letters_digits(std::string_view s) {
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0) {
      out += static_cast<char>(std::tolower(c));
    }
  }
  return out;
}

bool has_any(const std::string& text, std::initializer_list<std::string_view> phrases) {
  return std::any_of(phrases.begin(), phrases.end(),
                     [&](std::string_view p) { return text.find(p) != std::string::npos; });
}

bool english(std::string_view lang) {
  return lang == "en" || lang.substr(0, 3) == "en-" || lang.substr(0, 3) == "EN-" || lang == "EN";
}

const std::string& text_of(const DocumentVersion& v) {
  return v.published.empty() ? v.body : v.published_body;
}

bool policy_kind(DocumentKind k) {
  return k == DocumentKind::cp || k == DocumentKind::cps;
}

UnixTime day_start(const char* date) {
  return *parse_rfc3339(std::string(date) + "T00:00:00Z");
}

}  // namespace

const std::vector<PolicyStatementRule>& policy_statement_rules() {
  static const std::vector<PolicyStatementRule> rules{
      {"BR 2.2", "2012-07-01", day_start("2012-07-01"),
       "the CP or CPS states that the CA conforms to the current Baseline Requirements and that "
       "they take precedence over it"},
      {"Mozilla Root Store Policy 3.3 (3)", "2017-03-01", day_start("2017-03-01"),
       "each CP/CPS names its licence: CC-BY-4.0, CC-BY-SA-4.0, CC-BY-ND-4.0 or CC0-1.0"},
      {"Mozilla Root Store Policy 3.3.4", "2027-07-01", day_start("2027-07-01"),
       "the CPS names the legal entity responsible and its address (section 1.5.1)"},
      {"CCADB Policy 5", "2017-05-23", day_start("2017-05-23"),
       "a CP/CPS in another language has an English version with the same version number"},
  };
  return rules;
}

std::vector<ComplianceFinding> check_policy_statements(const std::vector<Document>& documents,
                                                       const Config& cfg, UnixTime now) {
  std::vector<ComplianceFinding> f;
  const auto& rules = policy_statement_rules();
  auto in_force = [&](size_t i) { return now >= rules[i].effective; };
  std::vector<const Document*> originals;  // current CP/CPS that are not translations
  for (const Document& d : documents) {
    if (policy_kind(d.current().meta.kind) && d.current().meta.translation_of.empty()) {
      originals.push_back(&d);
    }
  }
  auto subject = [](const Document& d) { return d.slug + " " + d.current().meta.version; };

  const bool issues_tls = std::any_of(cfg.profiles.begin(), cfg.profiles.end(), [](const auto& p) {
    return std::find(p.eku.begin(), p.eku.end(), "serverAuth") != p.eku.end();
  });
  if (in_force(0) && issues_tls && !originals.empty()) {
    const bool stated = std::any_of(originals.begin(), originals.end(), [](const Document* d) {
      const std::string t = ascii_lower(plain_text(text_of(d->current())));
      return t.find("baseline requirements") != std::string::npos &&
             has_any(t, {"conform", "comply", "complies", "adhere"}) &&
             has_any(t, {"precedence", "prevail"});
    });
    if (!stated) {
      f.push_back({subject(*originals.front()), rules[0].rule,
                   "neither the CP nor the CPS states that the CA conforms to the current "
                   "Baseline Requirements and that they take precedence over it"});
    }
  }

  if (in_force(1)) {
    for (const Document& d : documents) {
      if (!policy_kind(d.current().meta.kind)) {
        continue;
      }
      const std::string& license =
          d.current().meta.license.empty() ? cfg.site.policy.license : d.current().meta.license;
      if (license.empty()) {
        f.push_back({subject(d), rules[1].rule,
                     "names no licence (front matter license or [site.policy] license): "
                     "CC-BY-4.0, CC-BY-SA-4.0, CC-BY-ND-4.0 or CC0-1.0"});
      } else if (!accepted_policy_license(license)) {
        f.push_back({subject(d), rules[1].rule,
                     "licence \"" + license +
                         "\" is not one Mozilla accepts (CC-BY-4.0, CC-BY-SA-4.0, CC-BY-ND-4.0, "
                         "CC0-1.0)"});
      }
    }
  }

  if (in_force(2)) {
    const SiteConfig::Policy& p = cfg.site.policy;
    if (p.legal_entity.empty() || p.legal_address.empty()) {
      f.push_back({"[site.policy]", rules[2].rule,
                   "legal_entity and legal_address must name the CA operator and its address"});
    }
    for (const Document* d : originals) {
      if (d->current().meta.kind != DocumentKind::cps) {
        continue;
      }
      std::optional<std::string> s = section_text(text_of(d->current()), "1.5.1");
      if (!s) {
        f.push_back({subject(*d), rules[2].rule,
                     "no section 1.5.1 (the organization administering the document)"});
        continue;
      }
      const std::string have = letters_digits(*s);
      if (!p.legal_entity.empty() &&
          have.find(letters_digits(p.legal_entity)) == std::string::npos) {
        f.push_back(
            {subject(*d), rules[2].rule,
             "section 1.5.1 does not name " + p.legal_entity + " ([site.policy] legal_entity)"});
      }
      if (!p.legal_address.empty() &&
          have.find(letters_digits(p.legal_address)) == std::string::npos) {
        f.push_back({subject(*d), rules[2].rule,
                     "section 1.5.1 does not state the address in [site.policy] legal_address"});
      }
    }
  }

  if (in_force(3)) {
    for (const Document& d : documents) {
      for (const DocumentVersion& v : d.versions) {
        const std::string& lang = v.meta.lang.empty() ? cfg.site.lang : v.meta.lang;
        if (!policy_kind(v.meta.kind) || english(lang)) {
          continue;
        }
        const std::string who = d.slug + " " + v.meta.version;
        if (v.meta.translation_of.empty()) {
          f.push_back({who, rules[3].rule,
                       "is in \"" + lang +
                           "\" and names no English version (front matter translation_of)"});
          continue;
        }
        auto target = std::find_if(documents.begin(), documents.end(), [&](const Document& o) {
          return o.slug == v.meta.translation_of;
        });
        const bool found =
            target != documents.end() &&
            std::any_of(target->versions.begin(), target->versions.end(), [&](const auto& o) {
              return o.meta.version == v.meta.version &&
                     english(o.meta.lang.empty() ? cfg.site.lang : o.meta.lang);
            });
        if (!found) {
          f.push_back({who, rules[3].rule,
                       "translation_of \"" + v.meta.translation_of + "\" has no English version " +
                           v.meta.version});
        }
      }
    }
  }
  return f;
}

bool accepted_policy_license(std::string_view spdx) {
  for (std::string_view ok : {"CC-BY-4.0", "CC-BY-SA-4.0", "CC-BY-ND-4.0", "CC0-1.0"}) {
    if (spdx == ok) {
      return true;
    }
  }
  return false;
}

}  // namespace pkirepo::publisher
