// Front matter of site source files: TOML between two lines of "+++" at the very start of a
// Markdown file, and the small TOML files that describe audit reports. Every error is a
// SiteError whose message names the file, the line and the key ("site/cps/3.2.md:4: version:
// missing"), like config errors. Unknown keys are errors too.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "x509/time.h"

namespace pkirepo::publisher {

class SiteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A Markdown file split at its front matter. `front` is empty when the file has none; then
// `body` is the whole text. `body_line` is the 1-based line where the body starts.
struct SplitSource {
  std::string front;
  std::string body;
  int body_line = 1;
};
// Throws SiteError when a "+++" opening line has no closing one.
[[nodiscard]] SplitSource split_front_matter(std::string_view text, const std::string& where);

// What a policy document declares about itself.
enum class DocumentKind {
  cps,
  cp,
  subscriber_agreement,
  relying_party_agreement,
  privacy,
  terms,
  other
};
[[nodiscard]] const char* document_kind_name(DocumentKind k);  // "cps", "cp", ...
[[nodiscard]] const char* document_kind_label(
    DocumentKind k);  // "Certification Practice Statement"
[[nodiscard]] std::optional<DocumentKind> parse_document_kind(std::string_view name);

struct DocumentMeta {
  std::string title;
  DocumentKind kind = DocumentKind::other;
  std::string version;         // dotted numbers: "3.2", "1.0.1"
  UnixTime effective = 0;      // midnight UTC of the effective date
  std::string effective_text;  // "2026-03-01"
  std::string oid;             // the document's policy OID, optional
  std::string changes;         // change summary of this version
  std::string license;         // SPDX id; empty: [site.policy] license
  std::string lang;            // BCP 47 tag; empty: [site] lang
  // The slug of the document this one translates (its authoritative version); empty for an
  // original. A translation carries the version number of the text it translates.
  std::string translation_of;
};

struct IncidentMeta {
  std::string title;
  UnixTime date = 0;
  std::string date_text;
  std::string status;  // "open", "closed", ... (free text, shown as is)
  std::vector<std::string> cas;
  std::string summary;
  bool sample = false;
  // Written by `pkirepo-signer incident report` (docs/incidents.md); all optional. Times are
  // 0 when absent.
  std::string ticket;
  UnixTime detected = 0;
  UnixTime reported = 0;  // told the root programs
  UnixTime notification_deadline = 0;
  UnixTime revocation_deadline = 0;
  UnixTime revocation_completed = 0;
  std::string affected;       // CSV of the affected certificates, a file beside the report
  int64_t certificates = -1;  // how many; -1: not stated
  // CCADB incident reporting (ccadb_meta.h): the Bugzilla bug, which report this is
  // ("preliminary", "full", "closure"; "" when not stated: derived) and the closing date.
  std::string bugzilla;
  std::string report_status;
  UnixTime closed_date = 0;
  // Whether the status says the incident is over ("closed", "resolved"; any case).
  [[nodiscard]] bool closed() const;
};

struct AuditMeta {
  std::string title;  // optional; default "<scheme> audit, <period>"
  std::string auditor;
  std::string scheme;  // "WebTrust for CAs", "WebTrust SSL Baseline", "ETSI EN 319 411-1"
  UnixTime period_start = 0;
  UnixTime period_end = 0;
  UnixTime report_date = 0;
  std::string period_start_text;
  std::string period_end_text;
  std::string report_date_text;
  std::vector<std::string> cas;
  std::string report;  // report file beside the TOML (".pdf" or ".md"); optional
  // CCADB 5 (ccadb_meta.h): "period-of-time", "point-in-time" or "key-generation"; the
  // criteria with their versions ("WebTrust for CAs 2.2.2"); where the auditor is; the report
  // at the auditor's (or the audit body's) site.
  std::string type = "period-of-time";
  std::vector<std::string> criteria;
  std::string auditor_address;
  std::string report_url;
  bool sample = false;  // shown with a "sample" marker
};

// Parse the TOML text of front matter / an audit file. `first_line` is the file line of the
// text's first line, so messages point into the original file.
[[nodiscard]] DocumentMeta parse_document_meta(std::string_view toml_text, const std::string& where,
                                               int first_line = 2);
[[nodiscard]] IncidentMeta parse_incident_meta(std::string_view toml_text, const std::string& where,
                                               int first_line = 2);
[[nodiscard]] AuditMeta parse_audit_meta(std::string_view toml_text, const std::string& where);

// Compares dotted version numbers numerically ("3.10" > "3.9"); <0, 0, >0. Non-numeric parts
// compare as text.
[[nodiscard]] int compare_versions(std::string_view a, std::string_view b);
// "2026-03-01"
[[nodiscard]] std::string date_text(UnixTime t);

}  // namespace pkirepo::publisher
