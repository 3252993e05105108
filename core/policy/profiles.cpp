#include "policy/profiles.h"

#include <xxhash.h>

namespace pkirepo::policy {
namespace {

constexpr XXH64_hash_t kShardSeed = 0x706b697265706f31ULL;  // "pkirepo1": never change

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& i : items) {
    out += (out.empty() ? "" : sep) + i;
  }
  return out;
}

std::string policies(const std::vector<std::string>& oids) {
  return join(oids, ",");
}

// authorityInfoAccess: the issuer's certificate, and the OCSP URL when status is served there.
std::string aia(const Config& config, std::string_view issuer_id, bool with_ocsp) {
  std::string value = "caIssuers;URI:" + config.ca_cert_url(issuer_id);
  if (with_ocsp) {
    value += ",OCSP;URI:" + config.ocsp_url();
  }
  return value;
}

}  // namespace

CertType cert_type_of(CaRole role) {
  switch (role) {
    case CaRole::root:
      return CertType::root;
    case CaRole::intermediate:
      return CertType::subordinate_ca;
    case CaRole::issuing:
      return CertType::issuing_ca;
  }
  return CertType::root;
}

std::vector<Finding> profile_date_findings(const Config& config, UnixTime now) {
  std::vector<Finding> out;
  const TlsValidityStep& today = tls_validity_at(now);
  const TlsValidityStep* next = next_tls_validity_step(now);
  for (const ProfileConfig& p : config.profiles) {
    if (p.short_lived && p.validity.seconds > today.short_lived_days * 86400) {
      out.push_back({Severity::error, "BR 1.6.1",
                     config.file.string() + ":" + std::to_string(p.validity_line) + ": profile[" +
                         p.id + "].validity: " + p.validity.text + " exceeds the maximum of " +
                         std::to_string(today.short_lived_days) +
                         " days for a short-lived profile (ballot SC-063)"});
    }
    if (!p.tls_server()) {
      continue;
    }
    const std::string where = config.file.string() + ":" + std::to_string(p.validity_line) +
                              ": profile[" + p.id + "].validity: " + p.validity.text;
    if (p.validity.seconds > today.max_days * 86400) {
      out.push_back({Severity::error, "BR 6.3.2",
                     where + " exceeds the maximum of " + std::to_string(today.max_days) +
                         " days for TLS server certificates issued " +
                         (today.from == 0 ? std::string(today.from_text)
                                          : "from " + std::string(today.from_text)) +
                         " (ballot SC-081)"});
    } else if (next != nullptr && p.validity.seconds > next->max_days * 86400 &&
               next->from - now <= kValidityStepWarningDays * 86400) {
      const int64_t days = (next->from - now + 86399) / 86400;
      out.push_back({Severity::warning, "BR 6.3.2",
                     where + " exceeds the maximum of " + std::to_string(next->max_days) +
                         " days that applies from " + next->from_text + " (in " +
                         std::to_string(days) + " days); shorten it before then (ballot SC-081)"});
    }
  }
  return out;
}

int shard_of(ByteView serial, int shards) {
  if (shards <= 1) {
    return 0;
  }
  return static_cast<int>(XXH3_64bits_withSeed(serial.data(), serial.size(), kShardSeed) %
                          static_cast<uint64_t>(shards));
}

std::string crl_url_for(const Config& config, std::string_view ca_id, int shard) {
  return config.crl_url(ca_id, config.crl.shards <= 1 ? -1 : shard);
}

ExtensionList ca_extensions(const Config& config, const CaConfig& ca) {
  ExtensionList ext;
  std::string bc = "critical,CA:TRUE";
  if (ca.path_len) {
    bc += ",pathlen:" + std::to_string(*ca.path_len);
  }
  ext.emplace_back(NID_basic_constraints, bc);
  std::string ku = "critical,keyCertSign,cRLSign";
  if (config.ocsp.signer == OcspSigner::ca) {
    ku += ",digitalSignature";  // the CA signs OCSP responses itself
  }
  ext.emplace_back(NID_key_usage, ku);
  ext.emplace_back(NID_subject_key_identifier, "hash");
  if (ca.role != CaRole::root) {
    ext.emplace_back(NID_authority_key_identifier, "keyid:always");
    const CaConfig* parent = config.find_ca(ca.parent);
    ext.emplace_back(NID_info_access, aia(config, ca.parent, parent == nullptr || parent->ocsp));
    // A parent's CRL of its CA certificates is never sharded: few entries.
    ext.emplace_back(NID_crl_distribution_points, "URI:" + config.crl_url(ca.parent, -1));
    if (!ca.policy_oids.empty()) {
      ext.emplace_back(NID_certificate_policies, policies(ca.policy_oids));
    }
    if (!ca.eku.empty()) {
      ext.emplace_back(NID_ext_key_usage, join(ca.eku, ","));
    }
  }
  return ext;
}

ExtensionList responder_extensions() {
  return {
      {NID_basic_constraints, "critical,CA:FALSE"}, {NID_key_usage, "critical,digitalSignature"},
      {NID_ext_key_usage, "OCSPSigning"},           {NID_id_pkix_OCSP_noCheck, "ignored"},
      {NID_subject_key_identifier, "hash"},         {NID_authority_key_identifier, "keyid:always"}};
}

ExtensionList subscriber_extensions(const Config& config, const CaConfig& issuer,
                                    const ProfileConfig& profile, const EVP_PKEY* subject_key,
                                    int shard) {
  ExtensionList ext;
  ext.emplace_back(NID_basic_constraints, "critical,CA:FALSE");
  std::string ku;
  if (!profile.key_usage.empty()) {
    ku = join(profile.key_usage, ",");
  } else if (EVP_PKEY_get_base_id(subject_key) == EVP_PKEY_RSA) {
    ku = "digitalSignature,keyEncipherment";
  } else {
    ku = "digitalSignature";
  }
  ext.emplace_back(NID_key_usage, "critical," + ku);
  if (!profile.eku.empty()) {
    ext.emplace_back(NID_ext_key_usage, join(profile.eku, ","));
  }
  ext.emplace_back(NID_authority_key_identifier, "keyid:always");
  // Short-lived certificates carry neither an OCSP URL nor a CDP (BR 7.1.2.7.7); a CRL-only
  // CA's carry no OCSP URL.
  ext.emplace_back(NID_info_access, aia(config, issuer.id, issuer.ocsp && !profile.short_lived));
  if (!profile.short_lived) {
    ext.emplace_back(NID_crl_distribution_points, "URI:" + crl_url_for(config, issuer.id, shard));
  }
  if (!profile.policy_oids.empty()) {
    ext.emplace_back(NID_certificate_policies, policies(profile.policy_oids));
  }
  return ext;
}

}  // namespace pkirepo::policy
