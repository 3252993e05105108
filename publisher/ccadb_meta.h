// The CCADB fields of audit records and incident reports (CCADB Policy 5 and 6.1, the CCADB
// incident reporting guidelines): read from the same TOML as the rest of their front matter
// (front_matter.cpp calls these before it refuses unknown keys), checked at `build --strict`
// (compliance.h), shown on the audit and incident pages.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/toml_reader.h"
#include "publisher/front_matter.h"

namespace pkirepo::publisher {

// Audit TOML: type ("period-of-time" default, "point-in-time", "key-generation"; the last two
// need period_start == period_end), criteria (list), auditor_address, report_url (http(s)).
void read_audit_ccadb(TomlTableReader<SiteError>& f, const toml::table& t, AuditMeta& m);
// Incident front matter: bugzilla (https URL or ""), report_status ("preliminary", "full",
// "closure" or absent), closed (date).
void read_incident_ccadb(TomlTableReader<SiteError>& f, const toml::table& t, IncidentMeta& m);

// The sections of the CCADB incident report template, in order, as headings are matched
// (case-insensitive, a heading counts when it starts with the name: "Root cause analysis"
// matches "## Root cause analysis and ...").
[[nodiscard]] const std::vector<std::string>& ccadb_incident_sections();
// The template sections `markdown` has no level-2 heading for.
[[nodiscard]] std::vector<std::string> missing_incident_sections(std::string_view markdown);
// The report's status: front matter report_status, else "closure" when the incident is
// closed, "full" when every template section is there, else "preliminary".
[[nodiscard]] std::string incident_report_status(const IncidentMeta& m, std::string_view markdown);

// Whether an audit covers a single day (point-in-time or key-generation report): the continuity
// checks (consecutive periods, 365-day length, current coverage) do not apply to it.
[[nodiscard]] bool audit_is_point_in_time(const AuditMeta& m);

}  // namespace pkirepo::publisher
