#include "publisher/fragments.h"

#include "policy/profiles.h"
#include "policy/rules.h"
#include "publisher/front_matter.h"
#include "publisher/html.h"

namespace pkirepo::publisher {
namespace {

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& i : items) {
    out += (out.empty() ? "" : sep) + i;
  }
  return out;
}

std::string row(std::string_view head, const std::string& value_html) {
  return "<tr><th scope=\"row\">" + escape_html(head) + "</th><td>" + value_html + "</td></tr>\n";
}

// An empty EVP_PKEY of the given type: subscriber_extensions() only looks at the key type.
EvpPkeyPtr key_of_type(int type) {
  EvpPkeyPtr k(EVP_PKEY_new());
  if (!k || EVP_PKEY_set_type(k.get(), type) != 1) {
    (void)openssl_error();
    throw SiteError("cannot create a key of type " + std::to_string(type));
  }
  return k;
}

std::string extension_value(const policy::ExtensionList& ext, int nid) {
  for (const auto& [n, v] : ext) {
    if (n == nid) {
      return v;
    }
  }
  return "";
}

std::string code(const std::string& text) {
  return text.empty() ? "<em>absent</em>" : "<code>" + escape_html(text) + "</code>";
}

}  // namespace

std::string profile_table_html(const Config& config, std::string_view profile_id) {
  const ProfileConfig* p = config.find_profile(profile_id);
  if (p == nullptr) {
    throw SiteError("profile-table: no profile \"" + std::string(profile_id) + "\" in the config");
  }
  std::vector<const CaConfig*> issuers;
  for (const CaConfig& ca : config.cas) {
    for (const auto& id : ca.profiles) {
      if (id == p->id) {
        issuers.push_back(&ca);
      }
    }
  }
  std::string html = "<table class=\"fragment profile\">\n<caption>Certificate profile " +
                     escape_html(p->id) + "</caption>\n<tbody>\n";
  std::vector<std::string> issuer_ids;
  for (const CaConfig* ca : issuers) {
    issuer_ids.push_back(ca->id);
  }
  html += row("Issued by", issuer_ids.empty() ? "<em>no CA issues this profile</em>"
                                              : escape_html(join(issuer_ids, ", ")));
  html += row("Maximum validity", escape_html(p->validity.text) + " (" +
                                      std::to_string(p->validity.seconds / 86400) + " days)");
  html += row("Subject alternative name", p->require_san ? "required" : "optional");
  if (issuers.empty()) {
    html += row("Extended key usage", code(join(p->eku, ", ")));
  } else {
    // The extensions exactly as the signer builds them, for an ECDSA and an RSA subject key.
    EvpPkeyPtr ec = key_of_type(EVP_PKEY_EC);
    EvpPkeyPtr rsa = key_of_type(EVP_PKEY_RSA);
    policy::ExtensionList ec_ext =
        policy::subscriber_extensions(config, *issuers.front(), *p, ec.get(), 0);
    policy::ExtensionList rsa_ext =
        policy::subscriber_extensions(config, *issuers.front(), *p, rsa.get(), 0);
    html += row("Basic constraints", code(extension_value(ec_ext, NID_basic_constraints)));
    html += row("Key usage (ECDSA key)", code(extension_value(ec_ext, NID_key_usage)));
    html += row("Key usage (RSA key)", code(extension_value(rsa_ext, NID_key_usage)));
    html += row("Extended key usage", code(extension_value(ec_ext, NID_ext_key_usage)));
    html += row("Certificate policies", code(extension_value(ec_ext, NID_certificate_policies)));
    html += row("Authority key identifier",
                code(extension_value(ec_ext, NID_authority_key_identifier)));
    for (const CaConfig* ca : issuers) {
      policy::ExtensionList e = policy::subscriber_extensions(config, *ca, *p, ec.get(), 0);
      html += row("Authority information access (" + ca->id + ")",
                  code(extension_value(e, NID_info_access)));
      std::string cdp = config.crl.shards <= 1
                            ? extension_value(e, NID_crl_distribution_points)
                            : "URI:" + config.crl_url(ca->id, 0) + " … " +
                                  config.crl_url(ca->id, config.crl.shards - 1) + " (one of " +
                                  std::to_string(config.crl.shards) + " shards)";
      html += row("CRL distribution point (" + ca->id + ")",
                  p->short_lived ? "none: short-lived (Baseline Requirements 1.6.1)" : code(cdp));
    }
  }
  std::vector<std::string> keys;
  for (const policy::KeySizeRule& r : policy::key_size_table()) {
    if (!r.ca) {
      keys.push_back(r.condition + std::string(": RSA ≥ ") + std::to_string(r.min_rsa_bits) +
                     ", ECDSA " + join(r.curves, "/"));
    }
  }
  html += row("Subscriber keys (CPS 6.1.5)", escape_html(join(keys, "; ")));
  html += "</tbody>\n</table>\n";
  return html;
}

std::string key_size_table_html() {
  std::string html =
      "<table class=\"fragment keys\">\n<caption>Minimum key sizes (CPS 6.1.5)</caption>\n"
      "<thead><tr><th scope=\"col\">Certificate</th><th scope=\"col\">Condition</th>"
      "<th scope=\"col\">RSA</th><th scope=\"col\">ECDSA</th><th scope=\"col\">ML-DSA</th>"
      "</tr></thead>\n<tbody>\n";
  for (const policy::KeySizeRule& r : policy::key_size_table()) {
    html += "<tr><td>" + escape_html(r.certificate) + "</td><td>" + escape_html(r.condition) +
            "</td><td>≥ " + std::to_string(r.min_rsa_bits) + " bits</td><td>" +
            escape_html(join(r.curves, ", ")) + "</td><td>" + escape_html(r.ml_dsa) +
            "</td></tr>\n";
  }
  html += "</tbody>\n</table>\n";
  return html;
}

std::string root_fingerprints_html(const StoreSnapshot& snapshot) {
  std::string html =
      "<table class=\"fragment roots\">\n<caption>Root CA certificates</caption>\n"
      "<thead><tr><th scope=\"col\">Root</th><th scope=\"col\">SHA-256 fingerprint</th>"
      "</tr></thead>\n<tbody>\n";
  bool any = false;
  for (const CaEntry& ca : snapshot.cas) {
    if (ca.role != CaRole::root) {
      continue;
    }
    any = true;
    html += "<tr><td>" + escape_html(ca.facts.subject) + "<br><small>" + escape_html(ca.id) +
            "</small></td><td><code class=\"fp\">" + escape_html(ca.facts.sha256_colon) +
            "</code></td></tr>\n";
  }
  if (!any) {
    html += "<tr><td colspan=\"2\">No root certificate has been created yet.</td></tr>\n";
  }
  html += "</tbody>\n</table>\n";
  return html;
}

std::string ca_table_html(const StoreSnapshot& snapshot) {
  std::string html =
      "<table class=\"fragment cas\">\n<caption>Certification authorities</caption>\n"
      "<thead><tr><th scope=\"col\">CA</th><th scope=\"col\">Role</th>"
      "<th scope=\"col\">Issuer</th><th scope=\"col\">Valid until</th>"
      "<th scope=\"col\">Status</th></tr></thead>\n<tbody>\n";
  for (const CaEntry& ca : snapshot.cas) {
    html += "<tr><td>" + escape_html(ca.facts.subject) + "</td><td>" +
            escape_html(ca_role_name(ca.role)) + "</td><td>" +
            escape_html(ca.parent.empty() ? "self-signed" : ca.parent) + "</td><td>" +
            escape_html(date_text(ca.facts.not_after)) + "</td><td>" +
            escape_html(ca_status_name(ca.status)) + "</td></tr>\n";
  }
  if (snapshot.cas.empty()) {
    html += "<tr><td colspan=\"5\">No CA has been created yet.</td></tr>\n";
  }
  html += "</tbody>\n</table>\n";
  return html;
}

FragmentResolver make_fragment_resolver(const Config& config, const StoreSnapshot& snapshot) {
  return [&config, &snapshot](std::string_view name,
                              std::string_view arg) -> std::optional<std::string> {
    if (name == "profile-table") {
      return profile_table_html(config, arg);
    }
    if (name == "key-size-table") {
      return key_size_table_html();
    }
    if (name == "root-fingerprints") {
      return root_fingerprints_html(snapshot);
    }
    if (name == "ca-table") {
      return ca_table_html(snapshot);
    }
    return std::nullopt;
  };
}

}  // namespace pkirepo::publisher
