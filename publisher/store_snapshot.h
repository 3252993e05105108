// Everything the publisher takes from the store, read in one read transaction and copied out
// (the transaction ends before any page is rendered). Tests may also fill a StoreSnapshot by
// hand and hand it to build_site().
#pragma once

#include <map>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "audit/checkpoint.h"
#include "config/config.h"
#include "store/schema.h"
#include "store/store.h"
#include "x509/bytes.h"
#include "x509/time.h"

namespace pkirepo::publisher {

// A CA's lifecycle as the compliance checks see it (active CAs need audits and CRLs).
enum class CaStatus { active, retired, revoked };
[[nodiscard]] const char* ca_status_name(CaStatus s);

// What the CA pages and ca.json say of a CA: its status, refined by what only the config
// knows (ca.backup, ca.in_root_programs). Revoked and retired win over the config's word.
enum class CaState { active, backup, not_in_root_programs, retired, revoked };
[[nodiscard]] const char* ca_state_name(CaState s);   // "not-in-root-programs"
[[nodiscard]] const char* ca_state_label(CaState s);  // "Not in root programs"

// Display facts about one certificate, from its DER.
struct CertFacts {
  std::string subject;
  std::string issuer;
  std::string serial_hex;
  UnixTime not_before = 0;
  UnixTime not_after = 0;
  std::string key;           // "EC P-384", "RSA 4096"
  std::string sha256_colon;  // "AB:CD:..."
  std::string sha256_ccadb;  // "ABCD..."
  std::string sha1_colon;
  std::string spki_sha256;  // lowercase hex
  std::string pem;
  // Key, and what the certificate says of its use and status services, from its extensions.
  std::string key_algorithm;                    // "EC", "RSA", "Ed25519", ...
  int key_bits = 0;                             // modulus or field size
  std::string key_curve;                        // "P-384"; "" unless EC
  std::vector<std::string> key_usage;           // "keyCertSign", "cRLSign", ...
  std::vector<std::string> eku;                 // short names ("serverAuth") or dotted OIDs
  std::vector<std::string> policy_oids;         // certificatePolicies, dotted
  bool name_constraints = false;                // the extension is present
  std::vector<std::string> permitted_subtrees;  // "DNS:example.com", "IP:10.0.0.0/255.0.0.0"
  std::vector<std::string> excluded_subtrees;
  int path_len = -1;                         // basicConstraints pathLenConstraint; -1: none
  std::vector<std::string> ocsp_urls;        // AIA id-ad-ocsp
  std::vector<std::string> ca_issuers_urls;  // AIA id-ad-caIssuers
  std::vector<std::string> crl_urls;         // cRLDistributionPoints fullName URIs
  // OpenSSL's own text form (X509_print_ex, as `openssl x509 -text -noout` prints it).
  std::string text;
};
// Throws SiteError when `der` is not one certificate.
[[nodiscard]] CertFacts cert_facts(ByteView der, const std::string& where);

// One certificate for a CA's key: the CA's own (the store's `cas` record) or another the store
// holds for the same SubjectPublicKeyInfo (a re-issued or cross-signed CA certificate, kept in
// `certs` under the CA that signed it).
struct CaCertificate {
  std::string issuer_ca;  // id of the CA that signed it; the CA's own id when self-signed
  bool current = false;   // the certificate the CA's store record holds
  std::string held_by;    // id of the CA whose store record holds it ("" if none does)
  Bytes der;
  CertFacts facts;
  std::string status;       // "good", "revoked", "expired"
  UnixTime issued_at = 0;   // the store's record of issuance (0: unknown, e.g. a root's own)
  UnixTime revoked_at = 0;  // 0: not revoked
  std::string revocation_reason;
};

struct CaEntry {
  std::string id;
  CaRole role = CaRole::root;
  std::string parent;
  Bytes der;
  CertFacts facts;
  CaStatus status = CaStatus::active;
  std::string status_reason;  // "expired 2026-01-01", "revoked 2026-..: keyCompromise", ...
  CaState state = CaState::active;
  std::string state_reason;        // status_reason, or why the config's state applies
  UnixTime created = 0;            // the store record's creation time
  UnixTime revoked_at = 0;         // when the parent revoked this certificate; 0: not revoked
  std::vector<std::string> chain;  // CA ids from the parent up to the root ([] for a root)
  // Every certificate the store holds for this CA's key, the current one included, oldest
  // notBefore first (then by fingerprint).
  std::vector<CaCertificate> same_key;
};

struct CrlEntry {
  std::string ca_id;
  int shard = 0;     // as keyed in the store; -1 or 0 for a full CRL
  std::string url;   // the CDP URL certificates carry
  std::string path;  // site-relative path of that URL ("crl/tls-2026.crl")
  store::CrlRecord record;
};

struct TestCertEntry {
  std::string ca_id;
  std::string kind;  // "valid", "revoked", "expired"
  Bytes der;
  CertFacts facts;
  std::string status;  // what the store says now: "good", "revoked", "expired"
  std::string url;     // the test website that serves it (site.test_certificates.<kind>_url)
};

struct StoreSnapshot {
  std::vector<CaEntry> cas;    // parents before children, then by id
  std::vector<CrlEntry> crls;  // by CA id, then shard
  // CA id -> the CCADB JSON list the signer stored ("<ca>/list.json"), copied byte for byte.
  std::map<std::string, std::string> crl_lists;
  std::vector<TestCertEntry> test_certificates;
  audit::Checkpoint checkpoint;
  // What the site publishes as the checkpoint: the newest signed one the signer stored (checked
  // against the store's key and log), else the unsigned current one (a store without a key).
  audit::SignedCheckpoint published_checkpoint;
  std::string checkpoint_key_pem;  // the store's checkpoint public key; empty: none
  std::string checkpoint_key_id;
  // audit-log-checkpoints.jsonl as it is to be published (checkpoint_history.h); empty when
  // the snapshot was filled by hand.
  std::string checkpoint_history;
  std::vector<std::string> problems;  // e.g. a configured test certificate not found
};

// The site-relative path for a URL under base_url ("http://x/crl/a.crl" -> "crl/a.crl").
// Throws SiteError when `url` is not under base_url or would leave the site.
[[nodiscard]] std::string site_path_for_url(const Config& config, const std::string& url);

// Reads CAs, CRLs, configured test certificates and the audit-log checkpoint. `now` decides
// which CAs count as retired (expired). Throws StoreError/SiteError.
[[nodiscard]] StoreSnapshot read_store(const Config& config, store::ReadStore& st, UnixTime now);

// Fills each CA's chain and state from the CAs' parents, same_key lists and the config
// (ca.backup, ca.in_root_programs). read_store() calls it; tests that fill a snapshot by hand
// call it after filling `cas`.
void derive_ca_states(const Config& config, StoreSnapshot& snap);

}  // namespace pkirepo::publisher
