// Incident response (docs/incidents.md): the certificates an incident affects, chosen by
// filters that combine (AND), for `incident select` (a listing), `incident revoke` (revoke
// them all in one transaction) and `incident report` (the report skeleton's affected list).
//
// The filters that name a key, a domain or serials are answered from the indexes
// (store/cert_index.h) or by direct lookups; the rest by a walk of `certs` (one CA's range
// with --ca). Every filter is then checked on each candidate, so an index only narrows the
// walk and a store without the indexes gives the same answer, slower.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "store/lmdb.h"
#include "store/schema.h"
#include "x509/bytes.h"
#include "x509/time.h"

namespace pkirepo::signer {

// The options as given (strings), kept for the audit record of what was selected.
struct IncidentFilter {
  std::string ca;
  std::string profile;
  std::string issued_after;   // RFC 3339 or YYYY-MM-DD (midnight UTC); inclusive
  std::string issued_before;  // exclusive
  std::string serials_file;   // one hex serial a line; '#' comments and blank lines skipped
  std::string subject_contains;
  std::string san_domain;  // the name and every name below it, wildcards included
  std::string spki_sha256;
  std::string status;  // good, revoked, expired

  [[nodiscard]] bool empty() const;
  // {"ca": "tls", "san_domain": "example.com", ...}: the filters given, for audit records.
  [[nodiscard]] nlohmann::json to_json() const;
};

// Registers the filter options on `cmd` (shared by select and revoke).
void add_filter_options(CLI::App* cmd, IncidentFilter& filter);

struct IncidentMatch {
  Bytes certs_key;
  std::string ca_id;
  std::string serial_hex;
  store::CertRecord record;  // as a run reads it: the revocation index applied
  std::string subject;
  std::vector<std::string> sans;  // "DNS:www.example.com", ...
  std::string spki_sha256;        // lowercase hex
  std::string status;             // good, revoked, expired (at `now`)
};

struct Selection {
  std::vector<IncidentMatch> matches;  // in `certs` key order (CA key id, then serial)
  bool indexed = false;                // an index or lookup narrowed the walk
  size_t examined = 0;                 // records looked at
};

// Checks the filters (one-line std::runtime_error naming the option: an unknown CA, a bad
// time, an unreadable serials file, a malformed hash) and returns every match at `now`.
[[nodiscard]] Selection select_certificates(const store::Txn& txn, const IncidentFilter& filter,
                                            UnixTime now);

// One certificate by CA and serial, described as a match (no filter); nullopt when the store
// has no such CA or certificate.
[[nodiscard]] std::optional<IncidentMatch> find_certificate(const store::Txn& txn,
                                                            const std::string& ca_id,
                                                            ByteView serial, UnixTime now);

// One match as a JSON object: serial, ca, subject, sans, not_before, not_after, status,
// spki_sha256, profile, issued_at, and for a revoked one reason and revocation_time.
[[nodiscard]] nlohmann::json match_json(const IncidentMatch& m);
// The CSV header and one row (RFC 4180 quoting), the same fields as match_json.
[[nodiscard]] std::string csv_header();
[[nodiscard]] std::string csv_row(const IncidentMatch& m);

}  // namespace pkirepo::signer
