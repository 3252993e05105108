#include "publisher/ccadb_meta.h"

#include <algorithm>
#include <cctype>

#include "publisher/html.h"

namespace pkirepo::publisher {
namespace {

bool is_http_url(std::string_view s, bool https_only) {
  return s.rfind("https://", 0) == 0 || (!https_only && s.rfind("http://", 0) == 0);
}

}  // namespace

void read_audit_ccadb(TomlTableReader<SiteError>& f, const toml::table& t, AuditMeta& m) {
  m.type = f.string("type").value_or("period-of-time");
  if (m.type != "period-of-time" && m.type != "point-in-time" && m.type != "key-generation") {
    f.fail(t.get("type"), "type",
           "\"" + m.type + "\" is not period-of-time, point-in-time or key-generation");
  }
  if (m.type != "period-of-time" && m.period_start != m.period_end) {
    f.fail(t.get("period_end"), "period_end",
           "a " + m.type + " report covers one day: period_end must equal period_start");
  }
  m.criteria = f.strings("criteria");
  for (const std::string& c : m.criteria) {
    if (c.empty()) {
      f.fail(t.get("criteria"), "criteria", "an empty entry");
    }
  }
  m.auditor_address = f.string("auditor_address").value_or("");
  m.report_url = f.string("report_url").value_or("");
  if (!m.report_url.empty() && !is_http_url(m.report_url, false)) {
    f.fail(t.get("report_url"), "report_url", "must be an http:// or https:// URL");
  }
}

void read_incident_ccadb(TomlTableReader<SiteError>& f, const toml::table& t, IncidentMeta& m) {
  m.bugzilla = f.string("bugzilla").value_or("");
  if (!m.bugzilla.empty() && !is_http_url(m.bugzilla, true)) {
    f.fail(t.get("bugzilla"), "bugzilla", "must be an https:// URL (the Bugzilla bug)");
  }
  m.report_status = f.string("report_status").value_or("");
  if (!m.report_status.empty() && m.report_status != "preliminary" && m.report_status != "full" &&
      m.report_status != "closure") {
    f.fail(t.get("report_status"), "report_status",
           "\"" + m.report_status + "\" is not preliminary, full or closure");
  }
  m.closed_date = f.date("closed").value_or(0);
}

const std::vector<std::string>& ccadb_incident_sections() {
  static const std::vector<std::string> kSections = {
      "Summary",         "Impact",       "Timeline", "Related incidents", "Root cause analysis",
      "Lessons learned", "Action items", "Appendix"};
  return kSections;
}

std::vector<std::string> missing_incident_sections(std::string_view markdown) {
  std::vector<std::string> headings;
  size_t pos = 0;
  while (pos <= markdown.size()) {
    size_t end = markdown.find('\n', pos);
    std::string_view line =
        markdown.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    if (line.rfind("## ", 0) == 0) {
      headings.push_back(ascii_lower(line.substr(3)));
    }
    if (end == std::string_view::npos) {
      break;
    }
    pos = end + 1;
  }
  std::vector<std::string> missing;
  for (const std::string& s : ccadb_incident_sections()) {
    const std::string want = ascii_lower(s);
    if (std::none_of(headings.begin(), headings.end(),
                     [&](const std::string& h) { return h.rfind(want, 0) == 0; })) {
      missing.push_back(s);
    }
  }
  return missing;
}

std::string incident_report_status(const IncidentMeta& m, std::string_view markdown) {
  if (!m.report_status.empty()) {
    return m.report_status;
  }
  if (m.closed()) {
    return "closure";
  }
  return missing_incident_sections(markdown).empty() ? "full" : "preliminary";
}

bool audit_is_point_in_time(const AuditMeta& m) {
  return m.type == "point-in-time" || m.type == "key-generation";
}

}  // namespace pkirepo::publisher
