// pkirepo.toml, parsed and validated once at start-up. Every error is a ConfigError whose
// message names the file, the line and the key: "pkirepo.toml:23: ocsp.validity: 12d exceeds
// the BR maximum of 10d". Unknown keys are errors too: a typo must not
// silently fall back to a default.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/duration.h"
#include "x509/ca_role.h"

namespace pkirepo {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct KeyConfig {
  std::string algorithm;       // "ec-p384", "rsa-4096", ...
  std::filesystem::path file;  // encrypted PKCS#8 PEM, resolved against the config's folder
  // A token key instead: "pkcs11:token=NAME;object=LABEL" (RFC 7512), its user PIN in the first
  // line of pin_file or in the environment variable pin_env.
  std::string pkcs11;
  std::filesystem::path pin_file;
  std::string pin_env;

  [[nodiscard]] bool in_token() const;
};

struct CaConfig {
  std::string id;
  CaRole role = CaRole::root;
  std::string parent;  // empty for a root
  std::string subject;
  KeyConfig key;
  Duration validity;
  std::optional<int> path_len;
  std::vector<std::string> profiles;     // profile ids this CA may issue under
  std::vector<std::string> policy_oids;  // certificatePolicies of the CA certificate
  std::vector<std::string> eku;          // e.g. ["serverAuth","clientAuth"] for a TLS CA
  // Roots only: a hierarchy dedicated to TLS server authentication (Chrome Root Program policy
  // 1.4 §4). Defaults to true when any profile below the root asserts serverAuth; then every
  // CA and profile below it asserts serverAuth (+ clientAuth) only. Resolved at load.
  bool tls_dedicated = false;
  // false: a CRL-only CA (BR 4.9.7 and 4.9.9 after ballot SC-063 make OCSP optional). The
  // certificates it issues carry no OCSP URL, `run` signs no OCSP responses for them and keeps
  // no responder certificate, and its CRLs are re-signed at least every 4 days.
  bool ocsp = true;
  // true: the CA's key lives on an offline machine. The online signer never opens it: its CRL,
  // its responses for the CA certificates it issued and new subordinate CA certificates are
  // signed by `pkirepo-signer ceremony` and brought in by `import` (docs/operations.md).
  bool offline = false;
  // What the repository site says of the CA (publisher CA pages and ca.json); the signer
  // ignores both. `backup`: kept ready to replace another CA, issuing nothing until then (the
  // store cannot tell a backup from a CA that is merely idle). `in_root_programs`: false for a
  // root not (yet) included in the browsers' root programs; the CAs below such a root are
  // shown as "not in root programs" unless a cross-certificate from an included root exists.
  bool backup = false;
  bool in_root_programs = true;
  int line = 0;
};

struct ProfileConfig {
  std::string id;
  Duration validity;
  std::vector<std::string> eku;        // serverAuth, clientAuth, codeSigning, emailProtection
  std::vector<std::string> key_usage;  // empty: derived from the key type
  std::vector<std::string> policy_oids;
  bool require_san = false;
  // `revoke --revocation-date` may set a revocationDate before the moment of revocation (the
  // Code Signing BRs allow it back to before a key compromise or signed malware). Code
  // signing profiles only; refused at load elsewhere.
  bool backdated_revocation = false;
  // How long a revoked certificate's entry stays on the CRL after the certificate expires
  // (BR 4.10.1 requires until expiry; code signing programs ask for years).
  Duration crl_retention{86400, "1d"};
  // Short-lived certificates (BR 1.6.1, ballot SC-063: at most 7 days from 2026-03-15, 10 days
  // before): no CRL distribution point, no OCSP URL, no status records. The limit is checked
  // against the date at every load (policy::profile_date_findings) and at issuance.
  bool short_lived = false;
  int line = 0;
  int validity_line = 0;  // the line of `validity`, for the dated BR checks made after load

  // A TLS server profile: its EKU holds serverAuth, so the BRs' rules apply (validity by date,
  // names, keys), not only the CPS's.
  [[nodiscard]] bool tls_server() const;
};

enum class OcspSigner { responder, ca };
enum class NonceMode { ignore, sign };

struct OcspConfig {
  Duration validity{4 * 86400, "4d"};
  // Re-sign once this much of the validity has passed ("half" = validity / 2).
  Duration refresh_after{2 * 86400, "half"};
  std::vector<std::string> cert_id_hashes{"sha1", "sha256"};
  OcspSigner signer = OcspSigner::responder;
  std::string responder_key_algorithm = "ec-p256";
  Duration responder_validity{90 * 86400, "90d"};
  bool allow_non_br = false;
  NonceMode nonce = NonceMode::ignore;
  // `issue` signs each new certificate's first responses in the issuing transaction, so the
  // responder can answer for it the moment `issue` returns (not only after the next `run`).
  bool sign_at_issuance = true;
  std::string path = "/ocsp";  // URL path prefix of the responder (AIA OCSP URL)
  // Where delegated responder keys are written and read (resolved against the config's
  // folder); empty: the folder of the CA's key. The signer must be able to write it: `run`
  // creates each new responder key there.
  std::filesystem::path responder_key_dir;
  // The passphrase of the delegated responder keys, apart from the CA keys' one: the
  // responder (nonce = "sign") gets this and never the CA passphrase. Both empty: responder
  // keys share the repository passphrase and the responder signs no nonces.
  std::string responder_passphrase_env;
  std::filesystem::path responder_passphrase_file;
  // Responder keys in a token instead of files: "pkcs11:token=NAME" (each key is labelled
  // "<ca>-ocsp-<time>" inside it), with the token's PIN in responder_pin_file or _env.
  std::string responder_pkcs11;
  std::filesystem::path responder_pin_file;
  std::string responder_pin_env;
};

struct CrlConfig {
  Duration validity{7 * 86400, "7d"};
  Duration refresh_before{3 * 86400, "3d"};
  Duration root_validity{365 * 86400, "365d"};  // a root's CRL of its subordinate CAs
  int shards = 1;
  bool next_crl_publish = false;
};

struct SiteConfig {
  std::filesystem::path source;
  std::filesystem::path templates;
  std::filesystem::path output;
  bool safe = false;
  // The language of the site's pages (<html lang>), a BCP 47 tag; a policy document may state
  // its own (front matter `lang`).
  std::string lang = "en";
  // Test certificates shown on the site, by issuing CA: serials of valid, revoked, expired,
  // and the test websites (BR 2.2) that serve each: https URLs (config/https_url.h), each only
  // beside its serial.
  struct TestCerts {
    std::string ca;
    std::string valid;
    std::string revoked;
    std::string expired;
    std::string valid_url;
    std::string revoked_url;
    std::string expired_url;
  };
  std::vector<TestCerts> test_certificates;
  // [site.problem_reporting]: how anyone reports a key compromise, mis-issuance or misuse
  // (CPS 1.5.2, 4.9.3, 4.9.12); the site's "Report a problem" page.
  struct ProblemReporting {
    std::string email;
    std::string url;  // a web form, optional
    std::string response_time = "24 hours";
    std::string postal_address;
    // CAA issuer domain names that authorise us (BR 3.2.2.8, 4.2), lowercase.
    std::vector<std::string> caa_domains;
    // Proofs of key compromise we accept (CPS 4.9.12): "csr" (a CSR signed with the key,
    // naming the proof), "private-key" (the key itself).
    std::vector<std::string> key_compromise_proofs{"csr", "private-key"};
  };
  ProblemReporting problem_reporting;
  // [site.policy]: who runs the CA and on what terms its CP/CPS are published; `build --strict`
  // checks the CP/CPS say the same (publisher/compliance_policy_statements.cpp).
  struct Policy {
    std::string legal_entity;   // the CA operator's registered name
    std::string legal_address;  // its registered address
    std::string license;        // SPDX id of the policy documents' licence ("CC-BY-4.0")
  };
  Policy policy;
};

// A BCP 47 language tag as the site accepts it: a 2-3 letter language, then subtags of 1-8
// letters or digits ("en", "de-CH", "zh-Hant-TW").
[[nodiscard]] bool is_language_tag(std::string_view tag);

struct ResponderConfig {
  std::string listen = "127.0.0.1:8080";
  int threads = 0;  // 0: one per core
  int max_connections = 4096;
  int per_ip_connections = 64;
  Duration connection_timeout{10, "10s"};  // idle: no byte in either direction
  // Hard deadlines, however slowly bytes trickle in: the request line and headers within
  // request_head_timeout of the accept (of the previous response on a kept-alive connection,
  // at least connection_timeout), then the body within request_body_timeout.
  Duration request_head_timeout{10, "10s"};
  Duration request_body_timeout{5, "5s"};
  Duration max_age_cap{86400, "1d"};
  Duration stale_margin{3600, "1h"};  // /healthz fails this long before a nextUpdate passes
  bool access_log = false;
  // [ocsp] nonce = "sign": signatures per second and burst per IPv4 address / IPv6 /64; over
  // it, the pre-signed response (no nonce) is served.
  int nonce_rate = 10;
  int nonce_burst = 20;
  // "host:port" for /metrics alone; empty: /metrics on `listen`. When set, `listen` answers
  // /metrics with 404.
  std::string metrics_listen;
};

struct RepositoryConfig {
  std::string name;
  std::filesystem::path store;
  std::string base_url;        // no trailing slash
  std::string passphrase_env;  // environment variable holding the key passphrase
  std::filesystem::path passphrase_file;
  // The Ed25519 key that signs audit-log checkpoints (audit/checkpoint.h), encrypted under the
  // passphrase like a CA key. Default: audit-checkpoint.pem beside the first CA key file of the
  // config (the config's folder when every CA key is in a token).
  std::filesystem::path checkpoint_key;
  bool checkpoint_key_set = false;  // given in the config (not the default)
};

struct Config {
  std::filesystem::path file;  // the config file as given
  std::filesystem::path dir;   // its folder, absolute: relative paths resolve against it
  RepositoryConfig repository;
  std::vector<CaConfig> cas;  // in file order; parents are checked to exist, no cycles
  std::vector<ProfileConfig> profiles;
  OcspConfig ocsp;
  CrlConfig crl;
  SiteConfig site;
  ResponderConfig responder;
  // [pkcs11] module: the PKCS#11 module that reaches the tokens of token keys. The default,
  // p11-kit's proxy, reaches every module registered with p11-kit (SoftHSM2 and most HSM
  // packages register themselves).
  std::string pkcs11_module = "p11-kit-proxy.so";

  [[nodiscard]] const CaConfig* find_ca(std::string_view id) const;
  [[nodiscard]] const ProfileConfig* find_profile(std::string_view id) const;
  // The root above `ca` (itself for a root); nullptr only for a config that failed to load.
  [[nodiscard]] const CaConfig* root_of(const CaConfig& ca) const;
  // CAs ordered so that every parent comes before its children.
  [[nodiscard]] std::vector<const CaConfig*> cas_parent_first() const;
  // The passphrase for key files, from repository.passphrase_env or passphrase_file. Throws
  // ConfigError when neither yields one.
  [[nodiscard]] std::string key_passphrase() const;
  // Whether ocsp.responder_passphrase_env or _file is set.
  [[nodiscard]] bool has_responder_passphrase() const;
  // The responder keys' passphrase: ocsp.responder_passphrase_file or _env when set, else
  // key_passphrase(). Throws ConfigError when the configured source yields none.
  [[nodiscard]] std::string responder_key_passphrase() const;
  // The user PIN of the token holding `key` (of CA `ca_id`, for the message). Throws
  // ConfigError when its pin_file or pin_env yields none.
  [[nodiscard]] std::string key_pin(const KeyConfig& key, std::string_view ca_id) const;
  // Whether ocsp.responder_pkcs11 puts the responder keys in a token.
  [[nodiscard]] bool responder_keys_in_token() const;
  [[nodiscard]] std::string responder_pin() const;

  // Key files are found through the config on every command, never through a path frozen in
  // the store: the store keeps the certificates, which say whose key a file must hold.
  // A CA's key: key.file of the CA (resolved against the config's folder); for a CA no longer
  // in the config, `recorded` (the path given when it was created).
  [[nodiscard]] std::filesystem::path ca_key_path(std::string_view ca_id,
                                                  const std::string& recorded) const;
  // A delegated responder's key: the file name of `recorded` in ocsp.responder_key_dir, or in
  // the folder of the CA's key when that is not set.
  [[nodiscard]] std::filesystem::path responder_key_path(std::string_view ca_id,
                                                         const std::string& recorded) const;
  // The folder new responder keys of `ca` are written to.
  [[nodiscard]] std::filesystem::path responder_key_dir_of(const CaConfig& ca) const;

  // URLs the signer writes into certificates and the responder/publisher serve.
  [[nodiscard]] std::string ocsp_url() const;
  [[nodiscard]] std::string ca_cert_url(std::string_view ca_id) const;
  [[nodiscard]] std::string crl_url(std::string_view ca_id, int shard) const;  // shard<0: full
  [[nodiscard]] std::string crl_list_url(std::string_view ca_id) const;
};

// Throws ConfigError. parse_config() lets tests parse a string as if it were the file `path`.
[[nodiscard]] Config load_config(const std::filesystem::path& path);
[[nodiscard]] Config parse_config(std::string_view text, const std::filesystem::path& path);

}  // namespace pkirepo
