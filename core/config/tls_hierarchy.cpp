#include "config/tls_hierarchy.h"

#include <algorithm>

namespace pkirepo {
namespace {

bool has(const std::vector<std::string>& items, std::string_view item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

// Chrome Root Program policy 1.4 §4: only serverAuth, or serverAuth + clientAuth.
bool tls_only_eku(const std::vector<std::string>& eku) {
  return has(eku, "serverAuth") && std::all_of(eku.begin(), eku.end(), [](const std::string& e) {
           return e == "serverAuth" || e == "clientAuth";
         });
}

std::string where(const std::string& file, int line, const std::string& key) {
  return file + ":" + std::to_string(line) + ": " + key + ": ";
}

}  // namespace

// A root above any serverAuth profile is TLS-dedicated unless the file says otherwise; below a
// dedicated root every CA and profile asserts serverAuth (+ clientAuth) only; and a CA key
// appears in no certificate with other EKUs (a key shared by two CA entries needs the same EKUs).
void check_tls_hierarchies(Config& cfg, const std::string& file,
                           const std::set<std::string>& explicit_dedication) {
  for (CaConfig& root : cfg.cas) {
    if (root.role != CaRole::root || explicit_dedication.count(root.id)) {
      continue;
    }
    for (const CaConfig& c : cfg.cas) {
      if (cfg.root_of(c) != &root) {
        continue;
      }
      for (const std::string& pid : c.profiles) {
        if (const ProfileConfig* p = cfg.find_profile(pid); p != nullptr && p->tls_server()) {
          root.tls_dedicated = true;
        }
      }
    }
  }
  for (const CaConfig& c : cfg.cas) {
    const CaConfig* root = cfg.root_of(c);
    if (root == nullptr || !root->tls_dedicated) {
      continue;
    }
    const std::string prefix = "ca[" + c.id + "].";
    if (c.role != CaRole::root && !tls_only_eku(c.eku)) {
      throw ConfigError(where(file, c.line, prefix + "eku") + "CA " + c.id +
                        " is below the TLS-dedicated root " + root->id +
                        " and must assert serverAuth (+ clientAuth) only (Chrome Root Program "
                        "policy 1.4 §4); set tls_dedicated = false on the root for a non-TLS "
                        "hierarchy");
    }
    for (const std::string& pid : c.profiles) {
      const ProfileConfig* p = cfg.find_profile(pid);
      if (p != nullptr && !tls_only_eku(p->eku)) {
        throw ConfigError(where(file, p->line, "profile[" + p->id + "].eku") + "profile " + p->id +
                          " is issued by " + c.id + " below the TLS-dedicated root " + root->id +
                          " and must assert serverAuth (+ clientAuth) only (Chrome Root "
                          "Program policy 1.4 §4)");
      }
    }
  }
  for (size_t i = 0; i < cfg.cas.size(); ++i) {
    for (size_t k = i + 1; k < cfg.cas.size(); ++k) {
      const CaConfig& a = cfg.cas[i];
      const CaConfig& b = cfg.cas[k];
      const bool same_key =
          a.key.pkcs11.empty() ? a.key.file == b.key.file : a.key.pkcs11 == b.key.pkcs11;
      const bool a_tls = cfg.root_of(a) != nullptr && cfg.root_of(a)->tls_dedicated;
      const bool b_tls = cfg.root_of(b) != nullptr && cfg.root_of(b)->tls_dedicated;
      if (same_key && (a_tls || b_tls) && (a.eku != b.eku || a_tls != b_tls)) {
        throw ConfigError(where(file, b.line, "ca[" + b.id + "].key") + "the key of " + b.id +
                          " is also the key of " + a.id +
                          " with other extended key usages; a TLS CA key appears in no "
                          "certificate with other EKUs (Chrome Root Program policy 1.4 §4)");
      }
    }
  }
}

}  // namespace pkirepo
