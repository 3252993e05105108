#include "config/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include "config/config_reader.h"
#include "config/https_url.h"
#include "config/status_services.h"
#include "config/tls_hierarchy.h"
#include "config/toml_bounds.h"
#include "config/toml_reader.h"
#include "x509/cert_info.h"
#include "x509/key.h"

namespace pkirepo {
namespace {

constexpr std::int64_t kDay = 86400;

const std::set<std::string>& known_ekus() {
  static const std::set<std::string> s{"serverAuth",      "clientAuth",   "codeSigning",
                                       "emailProtection", "timeStamping", "OCSPSigning"};
  return s;
}

const std::set<std::string>& known_key_usages() {
  static const std::set<std::string> s{"digitalSignature", "nonRepudiation", "keyEncipherment",
                                       "dataEncipherment", "keyAgreement"};
  return s;
}

// A test website URL (BR 2.2) is https://HOST[:PORT][/PATH] and serves the certificate whose
// serial sits beside it: a URL without it could not be checked against its certificate.
void check_test_website(TableReader& r, std::string_view key, const std::string& url,
                        std::string_view serial_key, const std::string& serial) {
  if (url.empty()) {
    return;
  }
  std::string why;
  if (!https_url_host(url, why)) {
    r.fail(r.node(key), key, "\"" + url + "\" " + why);
  }
  if (serial.empty()) {
    r.fail(r.node(key), key,
           "needs " + std::string(serial_key) + " (the serial of the certificate it serves)");
  }
}

void check_eku(TableReader& r, std::string_view key, const std::vector<std::string>& ekus) {
  for (const auto& e : ekus) {
    if (!known_ekus().count(e)) {
      r.fail(r.node(key), key, "unknown extended key usage \"" + e + "\"");
    }
  }
}

void check_oids(TableReader& r, std::string_view key, const std::vector<std::string>& oids) {
  for (const auto& o : oids) {
    Asn1ObjectPtr obj(OBJ_txt2obj(o.c_str(), 1));
    if (!obj) {
      r.fail(r.node(key), key, "\"" + o + "\" is not a dotted OID");
    }
  }
}

bool has(const std::vector<std::string>& items, std::string_view item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

}  // namespace

bool ProfileConfig::tls_server() const {
  return has(eku, "serverAuth");
}

const CaConfig* Config::root_of(const CaConfig& ca) const {
  const CaConfig* cur = &ca;
  for (size_t depth = 0; cur != nullptr && !cur->parent.empty() && depth <= cas.size(); ++depth) {
    cur = find_ca(cur->parent);
  }
  return cur != nullptr && cur->parent.empty() ? cur : nullptr;
}

Config parse_config(std::string_view text, const std::filesystem::path& path) {
  const std::string file = path.string();
  if (const TomlBoundsViolation v = check_toml_bounds(text, kMaxConfigBytes, kMaxTomlDepth);
      v.found) {
    throw ConfigError(file + ":" + std::to_string(v.line) + ":" + std::to_string(v.column) + ": " +
                      v.reason);
  }
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    throw ConfigError(
        file + ":" +
        toml_error_text(e.source().begin.line, e.source().begin.column, e.description()));
  }
  Config cfg;
  cfg.file = path;
  // Absolute, so that no path depends on the working directory of a later command.
  cfg.dir = std::filesystem::absolute(path).parent_path().lexically_normal();
  TableReader top(root, file, "");

  // [repository]
  const toml::table* repo = top.subtable("repository");
  if (repo == nullptr) {
    top.fail(nullptr, "repository", "required table is missing");
  }
  {
    TableReader r(*repo, file, "repository.");
    cfg.repository.name = *r.string("name", true);
    cfg.repository.store = cfg.dir / *r.string("store", true);
    cfg.repository.base_url = *r.string("base_url", true);
    auto& url = cfg.repository.base_url;
    // The OCSP, CRL and caIssuers URLs in every certificate are built from it, and relying
    // parties fetch them without TLS (a TLS check would need status itself): BR 7.1.2.7.7 and
    // 7.1.2.11.2 want http. The site may still send browsers on to https.
    if (!url.starts_with("http://")) {
      r.fail(r.node("base_url"), "base_url",
             "must start with http:// (status URLs in certificates are plain HTTP: BR 7.1.2.7.7, "
             "7.1.2.11.2)");
    }
    while (url.ends_with("/")) {
      url.pop_back();
    }
    cfg.repository.passphrase_env = r.string("passphrase_env").value_or("PKIREPO_KEY_PASSPHRASE");
    if (auto pf = r.string("passphrase_file")) {
      cfg.repository.passphrase_file = cfg.dir / *pf;
    }
    if (auto ck = r.string("checkpoint_key")) {
      cfg.repository.checkpoint_key = cfg.dir / *ck;
      cfg.repository.checkpoint_key_set = true;
    }
    r.finish();
  }

  // [[profile]]
  if (const toml::node* n = top.node("profile")) {
    const toml::array* arr = n->as_array();
    if (arr == nullptr) {
      top.fail(n, "profile", "must be an array of tables ([[profile]])");
    }
    for (size_t i = 0; i < arr->size(); ++i) {
      const toml::table* t = arr->get(i)->as_table();
      if (t == nullptr) {
        top.fail(arr->get(i), "profile", "must be a table");
      }
      TableReader r(*t, file, "profile[" + std::to_string(i) + "].");
      ProfileConfig p;
      p.line = static_cast<int>(t->source().begin.line);
      p.id = *r.string("id", true);
      p.validity = *r.duration("validity", true);
      p.eku = r.strings("eku");
      check_eku(r, "eku", p.eku);
      p.key_usage = r.strings("key_usage");
      for (const auto& ku : p.key_usage) {
        if (!known_key_usages().count(ku)) {
          r.fail(r.node("key_usage"), "key_usage", "unknown key usage \"" + ku + "\"");
        }
      }
      p.policy_oids = r.strings("policy_oids");
      check_oids(r, "policy_oids", p.policy_oids);
      p.require_san = r.boolean("require_san").value_or(false);
      p.backdated_revocation = r.boolean("backdated_revocation").value_or(false);
      if (p.backdated_revocation && !has(p.eku, "codeSigning")) {
        r.fail(r.node("backdated_revocation"), "backdated_revocation",
               "only code signing profiles may set a revocation date before the revocation "
               "(Code Signing BRs 4.9.1; BR 7.2.2: a TLS CRL's revocationDate is when it was "
               "revoked)");
      }
      if (auto v = r.duration("crl_retention")) {
        p.crl_retention = *v;
      }
      p.short_lived = r.boolean("short_lived").value_or(false);
      p.validity_line = static_cast<int>(r.node("validity")->source().begin.line);
      // BR 6.3.2: no TLS server certificate has been allowed more than 398 days since 2020;
      // the dated steps below that are checked against the clock (policy/profiles.h).
      if (p.tls_server() && p.validity.seconds > 398 * kDay) {
        r.fail(r.node("validity"), "validity",
               p.validity.text +
                   " exceeds the BR 6.3.2 maximum of 398 days for any TLS server "
                   "certificate (200 days from 2026-03-15)");
      }
      // CPS 6.3.2: subscriber certificates at most 15 months.
      if (p.validity.seconds > 457 * kDay) {
        r.fail(r.node("validity"), "validity",
               p.validity.text + " exceeds the CPS 6.3.2 subscriber maximum of 15 months");
      }
      for (const auto& other : cfg.profiles) {
        if (other.id == p.id) {
          r.fail(r.node("id"), "id", "duplicate profile id \"" + p.id + "\"");
        }
      }
      r.finish();
      cfg.profiles.push_back(std::move(p));
    }
  }

  // [[ca]]
  std::set<std::string> explicit_dedication;  // roots whose tls_dedicated the file sets
  const toml::node* cas = top.node("ca");
  if (cas == nullptr || cas->as_array() == nullptr || cas->as_array()->empty()) {
    top.fail(cas, "ca", "at least one [[ca]] is required");
  }
  for (size_t i = 0; i < cas->as_array()->size(); ++i) {
    const toml::table* t = cas->as_array()->get(i)->as_table();
    if (t == nullptr) {
      top.fail(cas->as_array()->get(i), "ca", "must be a table");
    }
    TableReader r(*t, file, "ca[" + std::to_string(i) + "].");
    CaConfig c;
    c.line = static_cast<int>(t->source().begin.line);
    c.id = *r.string("id", true);
    if (c.id.empty() ||
        c.id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_.") != std::string::npos) {
      r.fail(r.node("id"), "id", "\"" + c.id + "\" must use only a-z, 0-9, '-', '_' and '.'");
    }
    std::string role = *r.string("role", true);
    if (!parse_ca_role(role, c.role)) {
      r.fail(r.node("role"), "role", "\"" + role + "\" is not root, intermediate or issuing");
    }
    c.parent = r.string("parent").value_or("");
    if (c.role == CaRole::root && !c.parent.empty()) {
      r.fail(r.node("parent"), "parent", "a root has no parent");
    }
    if (c.role != CaRole::root && c.parent.empty()) {
      r.fail(nullptr, "parent", "required for a " + role + " CA");
    }
    c.subject = *r.string("subject", true);
    try {
      X509NamePtr name = parse_name(c.subject);
      if (X509_NAME_get_index_by_NID(name.get(), NID_commonName, -1) < 0) {
        r.fail(r.node("subject"), "subject", "a CA subject needs a CN (CPS 7.1.4)");
      }
    } catch (const std::invalid_argument& e) {
      r.fail(r.node("subject"), "subject", e.what());
    }
    c.key = read_key(r, file, cfg.dir);
    c.validity = *r.duration("validity", true);
    // CPS 6.3.2 maximum validity by CA type.
    std::int64_t max_years = c.role == CaRole::root ? 25 : c.role == CaRole::intermediate ? 20 : 6;
    if (c.validity.seconds > max_years * 365 * kDay + (max_years / 4 + 1) * kDay) {
      r.fail(r.node("validity"), "validity",
             c.validity.text + " exceeds the CPS 6.3.2 maximum of " + std::to_string(max_years) +
                 " years for a " + role + " CA");
    }
    if (auto pl = r.integer("path_len", 0, 10)) {
      c.path_len = static_cast<int>(*pl);
    }
    c.profiles = r.strings("profiles");
    for (const auto& pid : c.profiles) {
      if (cfg.find_profile(pid) == nullptr) {
        r.fail(r.node("profiles"), "profiles", "unknown profile \"" + pid + "\"");
      }
    }
    if (!c.profiles.empty() && c.role == CaRole::root) {
      r.fail(r.node("profiles"), "profiles", "a root signs no subscriber certificates (CPS 6.1.7)");
    }
    c.policy_oids = r.strings("policy_oids");
    check_oids(r, "policy_oids", c.policy_oids);
    c.eku = r.strings("eku");
    check_eku(r, "eku", c.eku);
    c.ocsp = r.boolean("ocsp").value_or(true);
    c.offline = r.boolean("offline").value_or(false);
    c.backup = r.boolean("backup").value_or(false);
    c.in_root_programs = r.boolean("in_root_programs").value_or(true);
    if (!c.in_root_programs && c.role != CaRole::root) {
      r.fail(r.node("in_root_programs"), "in_root_programs",
             "only a root is included in root programs (the CAs below it follow it)");
    }
    // An offline CA signs only at ceremonies, so only status that may run 12 months fits it
    // (BR 4.9.7, 4.9.10: CA CRLs and responses for CA certificates); a subscriber CRL is due
    // every few days.
    if (c.offline && (c.role == CaRole::issuing || !c.profiles.empty())) {
      r.fail(r.node("offline"), "offline",
             "only a root or intermediate CA that issues no subscriber certificates can be "
             "offline (its subscribers' CRLs and responses are due every few days)");
    }
    if (auto dedicated = r.boolean("tls_dedicated")) {
      if (c.role != CaRole::root) {
        r.fail(r.node("tls_dedicated"), "tls_dedicated",
               "only a root declares its hierarchy TLS-dedicated");
      }
      c.tls_dedicated = *dedicated;
      explicit_dedication.insert(c.id);
    }
    for (const auto& other : cfg.cas) {
      if (other.id == c.id) {
        r.fail(r.node("id"), "id", "duplicate CA id \"" + c.id + "\"");
      }
    }
    r.finish();
    cfg.cas.push_back(std::move(c));
  }
  // Parents exist and form no cycle.
  for (size_t i = 0; i < cfg.cas.size(); ++i) {
    const CaConfig& c = cfg.cas[i];
    std::set<std::string> visited{c.id};
    const CaConfig* cur = &c;
    while (!cur->parent.empty()) {
      const CaConfig* p = cfg.find_ca(cur->parent);
      if (p == nullptr) {
        throw ConfigError(file + ":" + std::to_string(cur->line) + ": ca[" + cur->id +
                          "].parent: unknown CA \"" + cur->parent + "\"");
      }
      if (!visited.insert(p->id).second) {
        throw ConfigError(file + ":" + std::to_string(c.line) + ": ca[" + c.id +
                          "].parent: the CA hierarchy has a cycle through \"" + p->id + "\"");
      }
      if (p->role == CaRole::issuing) {
        throw ConfigError(file + ":" + std::to_string(cur->line) + ": ca[" + cur->id +
                          "].parent: \"" + p->id + "\" is an issuing CA and signs no CAs");
      }
      cur = p;
    }
  }

  check_tls_hierarchies(cfg, file, explicit_dedication);
  if (cfg.repository.checkpoint_key.empty()) {
    cfg.repository.checkpoint_key = cfg.dir / "audit-checkpoint.pem";
    for (const CaConfig& c : cfg.cas) {
      if (!c.key.in_token()) {
        cfg.repository.checkpoint_key = c.key.file.parent_path() / "audit-checkpoint.pem";
        break;
      }
    }
  }

  // [ocsp]
  if (const toml::table* t = top.subtable("ocsp")) {
    TableReader r(*t, file, "ocsp.");
    read_ocsp_table(r, cfg);
    r.finish();
  }
  // Responder key files live beside the CA's key file by default; a CA whose key is in a token
  // has no such folder.
  if (cfg.ocsp.responder_key_dir.empty() && !cfg.responder_keys_in_token()) {
    for (const CaConfig& ca : cfg.cas) {
      if (ca.key.in_token() && ca.ocsp && !ca.offline) {
        throw ConfigError(file + ":" + std::to_string(ca.line) + ": ca[" + ca.id +
                          "].key.pkcs11: its responder keys are files with no CA key folder to "
                          "live in: set ocsp.responder_key_dir (or ocsp.responder_pkcs11)");
      }
    }
  }

  // [pkcs11]
  if (const toml::table* t = top.subtable("pkcs11")) {
    TableReader r(*t, file, "pkcs11.");
    read_pkcs11_table(r, cfg);
    r.finish();
  }

  // [crl]
  if (const toml::table* t = top.subtable("crl")) {
    TableReader r(*t, file, "crl.");
    CrlConfig& c = cfg.crl;
    if (auto v = r.duration("validity")) {
      c.validity = *v;
    }
    if (c.validity.seconds > 10 * kDay) {
      r.fail(r.node("validity"), "validity",
             c.validity.text + " exceeds the BR 4.9.7 maximum of 10d");
    }
    if (auto v = r.duration("refresh_before")) {
      c.refresh_before = *v;
    }
    if (c.refresh_before.seconds >= c.validity.seconds) {
      r.fail(r.node("refresh_before"), "refresh_before", "must be shorter than crl.validity");
    }
    // BR 4.9.7: re-issued at least every 7 days.
    if (c.validity.seconds - c.refresh_before.seconds > 7 * kDay) {
      r.fail(r.node("refresh_before"), "refresh_before",
             "re-signing later than 7 days after thisUpdate breaks BR 4.9.7");
    }
    if (auto v = r.duration("root_validity")) {
      c.root_validity = *v;
    }
    if (c.root_validity.seconds > 366 * kDay) {
      r.fail(r.node("root_validity"), "root_validity",
             c.root_validity.text + " exceeds the BR 4.9.7 maximum of 12 months");
    }
    if (auto n = r.integer("shards", 1, 4096)) {
      c.shards = static_cast<int>(*n);
    }
    c.next_crl_publish = r.boolean("next_crl_publish").value_or(false);
    r.finish();
  }
  check_status_services(cfg);

  // [site]
  cfg.site.source = cfg.dir / "site";
  cfg.site.templates = cfg.dir / "site-templates";
  cfg.site.output = cfg.dir / "public";
  if (const toml::table* t = top.subtable("site")) {
    TableReader r(*t, file, "site.");
    if (auto s = r.string("source")) {
      cfg.site.source = cfg.dir / *s;
    }
    if (auto s = r.string("templates")) {
      cfg.site.templates = cfg.dir / *s;
    }
    if (auto s = r.string("output")) {
      cfg.site.output = cfg.dir / *s;
    }
    cfg.site.safe = r.boolean("safe").value_or(false);
    cfg.site.lang = r.string("lang").value_or(cfg.site.lang);
    if (!is_language_tag(cfg.site.lang)) {
      r.fail(r.node("lang"), "lang",
             "\"" + cfg.site.lang + "\" is not a language tag like en or de-CH");
    }
    if (const toml::node* n = r.node("test_certificates")) {
      const toml::array* arr = n->as_array();
      if (arr == nullptr) {
        r.fail(n, "test_certificates", "must be an array of tables");
      }
      for (size_t i = 0; i < arr->size(); ++i) {
        const toml::table* tt = arr->get(i)->as_table();
        if (tt == nullptr) {
          r.fail(arr->get(i), "test_certificates", "must be a table");
        }
        TableReader tr(*tt, file, "site.test_certificates[" + std::to_string(i) + "].");
        SiteConfig::TestCerts tc;
        tc.ca = *tr.string("ca", true);
        tc.valid = tr.string("valid").value_or("");
        tc.revoked = tr.string("revoked").value_or("");
        tc.expired = tr.string("expired").value_or("");
        tc.valid_url = tr.string("valid_url").value_or("");
        tc.revoked_url = tr.string("revoked_url").value_or("");
        tc.expired_url = tr.string("expired_url").value_or("");
        check_test_website(tr, "valid_url", tc.valid_url, "valid", tc.valid);
        check_test_website(tr, "revoked_url", tc.revoked_url, "revoked", tc.revoked);
        check_test_website(tr, "expired_url", tc.expired_url, "expired", tc.expired);
        tr.finish();
        cfg.site.test_certificates.push_back(tc);
      }
    }
    if (const toml::table* pt = r.subtable("policy")) {
      TableReader tr(*pt, file, "site.policy.");
      SiteConfig::Policy& c = cfg.site.policy;
      c.legal_entity = tr.string("legal_entity").value_or("");
      c.legal_address = tr.string("legal_address").value_or("");
      c.license = tr.string("license").value_or("");
      tr.finish();
    }
    if (const toml::table* pt = r.subtable("problem_reporting")) {
      TableReader tr(*pt, file, "site.problem_reporting.");
      SiteConfig::ProblemReporting& c = cfg.site.problem_reporting;
      c.email = tr.string("email").value_or("");
      c.url = tr.string("url").value_or("");
      c.response_time = tr.string("response_time").value_or(c.response_time);
      c.postal_address = tr.string("postal_address").value_or("");
      if (tr.node("caa_domains") != nullptr) {
        c.caa_domains = tr.strings("caa_domains");
        for (const std::string& d : c.caa_domains) {
          const bool ok = !d.empty() && d.size() <= 253 && d.front() != '.' && d.back() != '.' &&
                          std::all_of(d.begin(), d.end(), [](char ch) {
                            return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                                   ch == '.' || ch == '-';
                          });
          if (!ok) {
            tr.fail(tr.node("caa_domains"), "caa_domains",
                    "\"" + d + "\" is not a lowercase domain name (no trailing dot)");
          }
        }
      }
      if (tr.node("key_compromise_proofs") != nullptr) {
        c.key_compromise_proofs = tr.strings("key_compromise_proofs");
        for (const std::string& p : c.key_compromise_proofs) {
          if (p != "csr" && p != "private-key") {
            tr.fail(tr.node("key_compromise_proofs"), "key_compromise_proofs",
                    "\"" + p + "\": not csr or private-key");
          }
        }
        if (c.key_compromise_proofs.empty()) {
          tr.fail(tr.node("key_compromise_proofs"), "key_compromise_proofs",
                  "must name at least one proof (csr, private-key)");
        }
      }
      tr.finish();
    }
    r.finish();
  }

  // [responder]
  if (const toml::table* t = top.subtable("responder")) {
    TableReader r(*t, file, "responder.");
    ResponderConfig& c = cfg.responder;
    c.listen = r.string("listen").value_or(c.listen);
    if (auto n = r.integer("threads", 0, 256)) {
      c.threads = static_cast<int>(*n);
    }
    if (auto n = r.integer("max_connections", 1, 1000000)) {
      c.max_connections = static_cast<int>(*n);
    }
    if (auto n = r.integer("per_ip_connections", 0, 1000000)) {
      c.per_ip_connections = static_cast<int>(*n);
    }
    if (auto v = r.duration("connection_timeout")) {
      c.connection_timeout = *v;
    }
    if (auto v = r.duration("max_age_cap")) {
      c.max_age_cap = *v;
    }
    if (auto v = r.duration("stale_margin")) {
      c.stale_margin = *v;
    }
    if (auto v = r.duration("request_head_timeout")) {
      c.request_head_timeout = *v;
    }
    if (auto v = r.duration("request_body_timeout")) {
      c.request_body_timeout = *v;
    }
    for (auto [key, d] : {std::pair{"request_head_timeout", &c.request_head_timeout},
                          std::pair{"request_body_timeout", &c.request_body_timeout}}) {
      if (d->seconds < 1 || d->seconds > 3600) {
        r.fail(r.node(key), key, d->text + " is outside 1s to 1h");
      }
    }
    c.access_log = r.boolean("access_log").value_or(false);
    if (auto n = r.integer("nonce_rate", 1, 1000000)) {
      c.nonce_rate = static_cast<int>(*n);
    }
    if (auto n = r.integer("nonce_burst", 1, 1000000)) {
      c.nonce_burst = static_cast<int>(*n);
    }
    c.metrics_listen = r.string("metrics_listen").value_or("");
    if (!c.metrics_listen.empty() && c.metrics_listen == c.listen && !c.listen.ends_with(":0")) {
      r.fail(r.node("metrics_listen"), "metrics_listen",
             "must differ from responder.listen (or be left out to serve /metrics there)");
    }
    r.finish();
  }
  top.finish();
  return cfg;
}

Config load_config(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(path.string() + ": cannot read config file");
  }
  // One byte past the limit is enough for parse_config to refuse it: a config that is a
  // device or a runaway file is never read whole.
  std::string text(kMaxConfigBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) {
    throw ConfigError(path.string() + ": cannot read config file");
  }
  text.resize(static_cast<size_t>(in.gcount()));
  return parse_config(text, path);
}

bool is_language_tag(std::string_view tag) {
  size_t pos = 0;
  bool first = true;
  while (pos <= tag.size()) {
    size_t end = tag.find('-', pos);
    end = end == std::string_view::npos ? tag.size() : end;
    std::string_view sub = tag.substr(pos, end - pos);
    const bool letters = std::all_of(sub.begin(), sub.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    });
    const bool alnum = std::all_of(sub.begin(), sub.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    });
    if (first ? !(letters && sub.size() >= 2 && sub.size() <= 3)
              : !(alnum && !sub.empty() && sub.size() <= 8)) {
      return false;
    }
    first = false;
    pos = end + 1;
  }
  return true;
}

const CaConfig* Config::find_ca(std::string_view id) const {
  for (const auto& c : cas) {
    if (c.id == id) {
      return &c;
    }
  }
  return nullptr;
}

const ProfileConfig* Config::find_profile(std::string_view id) const {
  for (const auto& p : profiles) {
    if (p.id == id) {
      return &p;
    }
  }
  return nullptr;
}

std::vector<const CaConfig*> Config::cas_parent_first() const {
  std::vector<const CaConfig*> out;
  std::set<std::string> placed;
  while (out.size() < cas.size()) {
    for (const auto& c : cas) {
      if (!placed.count(c.id) && (c.parent.empty() || placed.count(c.parent))) {
        out.push_back(&c);
        placed.insert(c.id);
      }
    }
  }
  return out;
}

std::string Config::ocsp_url() const {
  return repository.base_url + ocsp.path;
}

std::string Config::ca_cert_url(std::string_view ca_id) const {
  return repository.base_url + "/ca/" + std::string(ca_id) + ".crt";
}

std::string Config::crl_url(std::string_view ca_id, int shard) const {
  if (shard < 0) {
    return repository.base_url + "/crl/" + std::string(ca_id) + ".crl";
  }
  return repository.base_url + "/crl/" + std::string(ca_id) + "/" + std::to_string(shard) + ".crl";
}

std::string Config::crl_list_url(std::string_view ca_id) const {
  return repository.base_url + "/crl/" + std::string(ca_id) + ".json";
}

}  // namespace pkirepo
