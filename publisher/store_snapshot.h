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

enum class CaStatus { active, retired, revoked };
[[nodiscard]] const char* ca_status_name(CaStatus s);

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
};
// Throws SiteError when `der` is not one certificate.
[[nodiscard]] CertFacts cert_facts(ByteView der, const std::string& where);

struct CaEntry {
  std::string id;
  CaRole role = CaRole::root;
  std::string parent;
  Bytes der;
  CertFacts facts;
  CaStatus status = CaStatus::active;
  std::string status_reason;  // "expired 2026-01-01", "revoked 2026-..: keyCompromise", ...
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

}  // namespace pkirepo::publisher
