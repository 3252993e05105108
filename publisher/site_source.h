// The site source directory ([site] source), loaded into memory and validated before anything
// is rendered. Layout:
//   <name>.md                 a single-version document (front matter: title, kind, version,
//                             effective, oid?, changes?); the slug is <name>
//   <name>/<version>.md       every version of a document; the highest version is current
//   index.md                  optional: introduction on the home page (no front matter needed)
//   audits/<id>.toml          an audit (auditor, scheme, period_start, period_end, report_date,
//                             cas, report?, title?, sample?); the report file sits beside it
//   incidents/<id>.md         an incident report (front matter: title, date, status, cas,
//                             summary?, sample?)
// Files and folders whose names start with '.' or '_' are ignored. Everything is sorted by
// name so the build does not depend on directory order. Throws SiteError naming the file.
//
// Symlinks: every symlink the loader meets (an entry of a folder it walks, a report or CSV a
// record names) must resolve inside the source folder; one that dangles, loops or leads out of
// it (`privacy.md -> /etc/passwd`, a folder linked elsewhere) is refused, naming the link and
// its target, before anything is rendered. Links that stay inside are followed. The source
// folder itself may be a symlink. Front matter and audit records are bounded before parsing
// (config/toml_bounds.h: 64 KiB, 16 levels of nesting).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "publisher/front_matter.h"
#include "x509/bytes.h"

namespace pkirepo::publisher {

struct DocumentVersion {
  DocumentMeta meta;
  std::string where;  // source path for messages ("site/cps/3.2.md")
  std::string raw;    // the whole source file
  std::string body;   // Markdown after the front matter
  int body_line = 1;
  // Set by settle_document_texts (document_text.h) before rendering: the .md download
  // (front matter and body with the generated fragments expanded) and its body, which the HTML
  // and the redlines are made from. Empty: render from `body`.
  std::string published;
  std::string published_body;
};

struct Document {
  std::string slug;                       // folder or file stem
  std::vector<DocumentVersion> versions;  // ascending version; back() is current
  [[nodiscard]] const DocumentVersion& current() const { return versions.back(); }
};

struct Incident {
  std::string slug;
  IncidentMeta meta;
  std::string where;
  std::string body;
  int body_line = 1;
  std::string affected_csv;  // the file meta.affected names, when it does
};

struct Audit {
  std::string id;  // file stem of the TOML file
  std::string where;
  AuditMeta meta;
  std::string report_ext;  // "pdf", "md" or "" (no report file)
  Bytes report;            // the report's bytes (PDF copied as is; Markdown rendered)
  std::string report_where;
};

struct SiteSource {
  std::string intro_markdown;       // index.md body, may be empty
  std::vector<Document> documents;  // by kind (cps, cp, agreements, ...) then slug
  std::vector<Incident> incidents;  // newest first
  std::vector<Audit> audits;        // by period end, newest first
  // XXH3-128 of the path and bytes of every file the loader read: everything above is derived
  // from those files, so the build fingerprint hashes this instead of each field.
  std::string input_digest;
};

[[nodiscard]] SiteSource load_site_source(const std::filesystem::path& dir);

}  // namespace pkirepo::publisher
