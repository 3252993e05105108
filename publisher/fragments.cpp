#include "publisher/fragments.h"

#include "policy/profiles.h"
#include "policy/rules.h"
#include "publisher/front_matter.h"

namespace pkirepo::publisher {
namespace {

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& i : items) {
    out += (out.empty() ? "" : sep) + i;
  }
  return out;
}

// One row of a two-column table; `value_md` is Markdown already.
std::string row(std::string_view head, const std::string& value_md) {
  return "| " + md_escape(head) + " | " + value_md + " |\n";
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
  return text.empty() ? "*absent*" : md_code(text);
}

}  // namespace

std::string profile_table_md(const Config& config, std::string_view profile_id) {
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
  std::string md =
      "**Certificate profile " + md_escape(p->id) + "**\n\n| Field | Value |\n|---|---|\n";
  std::vector<std::string> issuer_ids;
  for (const CaConfig* ca : issuers) {
    issuer_ids.push_back(ca->id);
  }
  md += row("Issued by",
            issuer_ids.empty() ? "*no CA issues this profile*" : md_escape(join(issuer_ids, ", ")));
  md += row("Maximum validity", md_escape(p->validity.text) + " (" +
                                    std::to_string(p->validity.seconds / 86400) + " days)");
  md += row("Subject alternative name", p->require_san ? "required" : "optional");
  if (issuers.empty()) {
    md += row("Extended key usage", code(join(p->eku, ", ")));
  } else {
    // The extensions exactly as the signer builds them, for an ECDSA and an RSA subject key.
    EvpPkeyPtr ec = key_of_type(EVP_PKEY_EC);
    EvpPkeyPtr rsa = key_of_type(EVP_PKEY_RSA);
    policy::ExtensionList ec_ext =
        policy::subscriber_extensions(config, *issuers.front(), *p, ec.get(), 0);
    policy::ExtensionList rsa_ext =
        policy::subscriber_extensions(config, *issuers.front(), *p, rsa.get(), 0);
    md += row("Basic constraints", code(extension_value(ec_ext, NID_basic_constraints)));
    md += row("Key usage (ECDSA key)", code(extension_value(ec_ext, NID_key_usage)));
    md += row("Key usage (RSA key)", code(extension_value(rsa_ext, NID_key_usage)));
    md += row("Extended key usage", code(extension_value(ec_ext, NID_ext_key_usage)));
    md += row("Certificate policies", code(extension_value(ec_ext, NID_certificate_policies)));
    md += row("Authority key identifier",
              code(extension_value(ec_ext, NID_authority_key_identifier)));
    for (const CaConfig* ca : issuers) {
      policy::ExtensionList e = policy::subscriber_extensions(config, *ca, *p, ec.get(), 0);
      md += row("Authority information access (" + ca->id + ")",
                code(extension_value(e, NID_info_access)));
      std::string cdp = config.crl.shards <= 1
                            ? extension_value(e, NID_crl_distribution_points)
                            : "URI:" + config.crl_url(ca->id, 0) + " … " +
                                  config.crl_url(ca->id, config.crl.shards - 1) + " (one of " +
                                  std::to_string(config.crl.shards) + " shards)";
      md += row("CRL distribution point (" + ca->id + ")",
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
  md += row("Subscriber keys (CPS 6.1.5)", md_escape(join(keys, "; ")));
  return md;
}

std::string key_size_table_md() {
  std::string md =
      "**Minimum key sizes (CPS 6.1.5)**\n\n"
      "| Certificate | Condition | RSA | ECDSA | ML-DSA |\n|---|---|---|---|---|\n";
  for (const policy::KeySizeRule& r : policy::key_size_table()) {
    md += "| " + md_escape(r.certificate) + " | " + md_escape(r.condition) + " | ≥ " +
          std::to_string(r.min_rsa_bits) + " bits | " + md_escape(join(r.curves, ", ")) + " | " +
          md_escape(r.ml_dsa) + " |\n";
  }
  return md;
}

std::string root_fingerprints_md(const StoreSnapshot& snapshot) {
  std::string md =
      "**Root CA certificates**\n\n| Root | CA | SHA-256 fingerprint |\n|---|---|---|\n";
  bool any = false;
  for (const CaEntry& ca : snapshot.cas) {
    if (ca.role != CaRole::root) {
      continue;
    }
    any = true;
    md += "| " + md_escape(ca.facts.subject) + " | " + md_escape(ca.id) + " | " +
          md_code(ca.facts.sha256_colon) + " |\n";
  }
  if (!any) {
    md += "| No root certificate has been created yet. | | |\n";
  }
  return md;
}

std::string ca_table_md(const StoreSnapshot& snapshot) {
  std::string md =
      "**Certification authorities**\n\n| CA | Role | Issuer | Valid until | Status |\n"
      "|---|---|---|---|---|\n";
  for (const CaEntry& ca : snapshot.cas) {
    md += "| " + md_escape(ca.facts.subject) + " | " + md_escape(ca_role_name(ca.role)) + " | " +
          md_escape(ca.parent.empty() ? "self-signed" : ca.parent) + " | " +
          md_escape(date_text(ca.facts.not_after)) + " | " + md_escape(ca_status_name(ca.status)) +
          " |\n";
  }
  if (snapshot.cas.empty()) {
    md += "| No CA has been created yet. | | | | |\n";
  }
  return md;
}

FragmentResolver make_fragment_resolver(const Config& config, const StoreSnapshot& snapshot) {
  return [&config, &snapshot](std::string_view name,
                              std::string_view arg) -> std::optional<std::string> {
    if (name == "profile-table") {
      return profile_table_md(config, arg);
    }
    if (name == "key-size-table") {
      return key_size_table_md();
    }
    if (name == "root-fingerprints") {
      return root_fingerprints_md(snapshot);
    }
    if (name == "ca-table") {
      return ca_table_md(snapshot);
    }
    return std::nullopt;
  };
}

}  // namespace pkirepo::publisher
