#include "publisher/front_matter.h"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <set>

#include "config/config.h"
#include "config/toml_bounds.h"
#include "config/toml_reader.h"
#include "publisher/ccadb_meta.h"

namespace pkirepo::publisher {
namespace {

using Fields = TomlTableReader<SiteError>;

// Bounded first (config/toml_bounds.h: deep nesting crashes toml++), then parsed; errors are
// one line, "FILE:LINE:COLUMN: reason", with lines counted in the whole file.
toml::table parse_toml(std::string_view text, const std::string& where, int line_offset,
                       std::string_view what) {
  if (const TomlBoundsViolation v = check_toml_bounds(text, kMaxFrontMatterBytes, kMaxTomlDepth);
      v.found) {
    throw SiteError(where + ":" + std::to_string(v.line + line_offset) + ":" +
                    std::to_string(v.column) + ": " + std::string(what) + ": " + v.reason);
  }
  try {
    return toml::parse(text, where);
  } catch (const toml::parse_error& e) {
    throw SiteError(where + ":" +
                    toml_error_text(static_cast<long>(e.source().begin.line) + line_offset,
                                    static_cast<long>(e.source().begin.column), e.description()));
  }
}

bool is_fence(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
    line.remove_suffix(1);
  }
  return line == "+++";
}

}  // namespace

SplitSource split_front_matter(std::string_view text, const std::string& where) {
  SplitSource out;
  // A UTF-8 byte order mark is not content.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    text.remove_prefix(3);
  }
  size_t eol = text.find('\n');
  if (!is_fence(text.substr(0, eol))) {
    out.body = std::string(text);
    return out;
  }
  size_t pos = eol == std::string_view::npos ? text.size() : eol + 1;
  int line = 2;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    std::string_view l = text.substr(pos, end == std::string_view::npos ? end : end - pos);
    if (is_fence(l)) {
      size_t body_start = end == std::string_view::npos ? text.size() : end + 1;
      out.front = std::string(text.substr(eol + 1, pos - (eol + 1)));
      out.body = std::string(text.substr(body_start));
      out.body_line = line + 1;
      return out;
    }
    if (end == std::string_view::npos) {
      break;
    }
    pos = end + 1;
    ++line;
  }
  throw SiteError(where + ":1: front matter: no closing +++ line");
}

namespace {

struct DocumentKindText {
  DocumentKind kind;
  const char* name;   // in front matter: kind = "cps"
  const char* label;  // on the site
};

// One row a kind, in the enum's order: names, labels, parsing and the error message agree.
constexpr std::array<DocumentKindText, 7> kDocumentKinds = {{
    {DocumentKind::cps, "cps", "Certification Practice Statement"},
    {DocumentKind::cp, "cp", "Certificate Policy"},
    {DocumentKind::subscriber_agreement, "subscriber-agreement", "Subscriber Agreement"},
    {DocumentKind::relying_party_agreement, "relying-party-agreement", "Relying Party Agreement"},
    {DocumentKind::privacy, "privacy", "Privacy Statement"},
    {DocumentKind::terms, "terms", "Terms of Use"},
    {DocumentKind::other, "other", "Document"},
}};

constexpr bool rows_in_enum_order() {
  for (size_t i = 0; i < kDocumentKinds.size(); ++i) {
    if (static_cast<size_t>(kDocumentKinds[i].kind) != i) {
      return false;
    }
  }
  return kDocumentKinds.back().kind == DocumentKind::other;
}
static_assert(rows_in_enum_order(), "kDocumentKinds: one row a DocumentKind, in enum order");

const DocumentKindText& text_of(DocumentKind k) {
  const auto i = static_cast<size_t>(k);
  return i < kDocumentKinds.size() ? kDocumentKinds[i] : kDocumentKinds.back();
}

}  // namespace

const char* document_kind_name(DocumentKind k) {
  return text_of(k).name;
}

const char* document_kind_label(DocumentKind k) {
  return text_of(k).label;
}

std::optional<DocumentKind> parse_document_kind(std::string_view name) {
  for (const DocumentKindText& t : kDocumentKinds) {
    if (name == t.name) {
      return t.kind;
    }
  }
  return std::nullopt;
}

DocumentMeta parse_document_meta(std::string_view toml_text, const std::string& where,
                                 int first_line) {
  toml::table t = parse_toml(toml_text, where, first_line - 1, "front matter");
  Fields f(t, where, "", first_line - 1);
  DocumentMeta m;
  m.title = *f.string("title", true);
  if (m.title.empty()) {
    f.fail(t.get("title"), "title", "must not be empty");
  }
  std::string kind = *f.string("kind", true);
  auto k = parse_document_kind(kind);
  if (!k) {
    std::string names;
    for (const DocumentKindText& known : kDocumentKinds) {
      names += (names.empty() ? "" : ", ") + std::string(known.name);
    }
    f.fail(t.get("kind"), "kind", "\"" + kind + "\" is not one of " + names);
  }
  m.kind = *k;
  m.version = *f.string("version", true);
  bool ok = !m.version.empty() && m.version.front() != '.' && m.version.back() != '.';
  for (char c : m.version) {
    ok = ok && ((c >= '0' && c <= '9') || c == '.');
  }
  if (!ok) {
    f.fail(t.get("version"), "version", "\"" + m.version + "\" is not a dotted number like 3.2");
  }
  m.effective = *f.date("effective", true);
  m.effective_text = date_text(m.effective);
  m.oid = f.string("oid").value_or("");
  for (char c : m.oid) {
    if (!((c >= '0' && c <= '9') || c == '.')) {
      f.fail(t.get("oid"), "oid", "\"" + m.oid + "\" is not a dotted OID");
    }
  }
  m.changes = f.string("changes").value_or("");
  m.license = f.string("license").value_or("");
  m.lang = f.string("lang").value_or("");
  if (!m.lang.empty() && !is_language_tag(m.lang)) {
    f.fail(t.get("lang"), "lang", "\"" + m.lang + "\" is not a language tag like en or de-CH");
  }
  m.translation_of = f.string("translation_of").value_or("");
  f.finish();
  return m;
}

IncidentMeta parse_incident_meta(std::string_view toml_text, const std::string& where,
                                 int first_line) {
  toml::table t = parse_toml(toml_text, where, first_line - 1, "front matter");
  Fields f(t, where, "", first_line - 1);
  IncidentMeta m;
  m.title = *f.string("title", true);
  m.date = *f.date("date", true);
  m.date_text = date_text(m.date);
  m.status = *f.string("status", true);
  m.cas = f.strings("cas");
  m.summary = f.string("summary").value_or("");
  m.sample = f.boolean("sample").value_or(false);
  m.ticket = f.string("ticket").value_or("");
  m.detected = f.date("detected").value_or(0);
  m.reported = f.date("reported").value_or(0);
  m.notification_deadline = f.date("notification_deadline").value_or(0);
  m.revocation_deadline = f.date("revocation_deadline").value_or(0);
  m.revocation_completed = f.date("revocation_completed").value_or(0);
  m.affected = f.string("affected").value_or("");
  if (!m.affected.empty() &&
      (m.affected.find('/') != std::string::npos || m.affected.find("..") != std::string::npos ||
       !m.affected.ends_with(".csv"))) {
    f.fail(t.get("affected"), "affected", "must be a .csv file name beside the report");
  }
  m.certificates = f.integer("certificates", 0, INT64_MAX).value_or(-1);
  read_incident_ccadb(f, t, m);
  f.finish();
  return m;
}

bool IncidentMeta::closed() const {
  std::string s = status;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return s == "closed" || s == "resolved";
}

AuditMeta parse_audit_meta(std::string_view toml_text, const std::string& where) {
  toml::table t = parse_toml(toml_text, where, 0, "audit record");
  Fields f(t, where);
  AuditMeta m;
  m.title = f.string("title").value_or("");
  m.auditor = *f.string("auditor", true);
  m.scheme = *f.string("scheme", true);
  m.period_start = *f.date("period_start", true);
  m.period_end = *f.date("period_end", true);
  m.report_date = *f.date("report_date", true);
  if (m.period_end < m.period_start) {
    f.fail(t.get("period_end"), "period_end", "is before period_start");
  }
  m.period_start_text = date_text(m.period_start);
  m.period_end_text = date_text(m.period_end);
  m.report_date_text = date_text(m.report_date);
  m.cas = f.strings("cas");
  if (m.cas.empty()) {
    f.fail(t.get("cas"), "cas", "must name at least one CA id");
  }
  m.report = f.string("report").value_or("");
  if (m.report.find('/') != std::string::npos || m.report.find("..") != std::string::npos) {
    f.fail(t.get("report"), "report", "must be a file name beside the TOML file");
  }
  m.sample = f.boolean("sample").value_or(false);
  read_audit_ccadb(f, t, m);
  f.finish();
  return m;
}

int compare_versions(std::string_view a, std::string_view b) {
  while (!a.empty() || !b.empty()) {
    size_t ea = a.find('.');
    size_t eb = b.find('.');
    std::string_view pa = a.substr(0, ea);
    std::string_view pb = b.substr(0, eb);
    // Numeric compare: strip leading zeros, then longer is larger, then lexical.
    while (pa.size() > 1 && pa.front() == '0') {
      pa.remove_prefix(1);
    }
    while (pb.size() > 1 && pb.front() == '0') {
      pb.remove_prefix(1);
    }
    if (pa.empty() != pb.empty()) {
      return pa.empty() ? -1 : 1;
    }
    if (pa.size() != pb.size()) {
      return pa.size() < pb.size() ? -1 : 1;
    }
    if (int c = pa.compare(pb); c != 0) {
      return c < 0 ? -1 : 1;
    }
    a = ea == std::string_view::npos ? std::string_view{} : a.substr(ea + 1);
    b = eb == std::string_view::npos ? std::string_view{} : b.substr(eb + 1);
  }
  return 0;
}

std::string date_text(UnixTime t) {
  return rfc3339(t).substr(0, 10);
}

}  // namespace pkirepo::publisher
