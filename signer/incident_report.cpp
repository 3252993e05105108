// `incident report --ticket ID`: the skeleton of the incident's public report (CCADB incident
// format: summary, impact, affected certificates, timeline, root cause, remediation, CP/CPS
// changes), written into the site source's incidents/ folder for the operator to complete and
// the publisher to render. What the store knows is filled in from the audit records that name
// the ticket: the timeline, the affected certificates (a CSV beside the report), the CAs, and
// the deadlines (docs/incidents.md).
#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "audit/audit_log.h"
#include "signer/commands.h"
#include "signer/incident.h"
#include "store/store.h"
#include "x509/cert_info.h"

namespace pkirepo::signer {
namespace {

constexpr UnixTime kHour = 3600;
constexpr UnixTime kDay = 24 * kHour;
constexpr size_t kTimelineRevocations = 20;  // single revocations listed before a summary row

struct ReportOptions {
  std::string ticket;
  std::string title;
  std::string detected;
  std::string reported;
  std::string out_dir;
  bool force = false;
};

struct Event {
  UnixTime time = 0;
  std::string operator_name;
  std::string event;
  nlohmann::json details;
};

std::vector<Event> ticket_events(const store::Txn& txn, const std::string& ticket) {
  std::vector<Event> out;
  store::Cursor c(txn, store::Db::audit);
  for (bool ok = c.first(); ok; ok = c.next()) {
    const ByteView v = c.value();
    nlohmann::json j = nlohmann::json::parse(v.begin(), v.end(), nullptr, false);
    if (j.is_discarded() || !j.contains("details") || !j["details"].is_object()) {
      continue;
    }
    const auto t = j["details"].find("ticket");
    if (t == j["details"].end() || !t->is_string() || t->get<std::string>() != ticket) {
      continue;
    }
    Event e;
    e.time = parse_rfc3339(j.value("time", "")).value_or(0);
    e.operator_name = j.value("operator", "");
    e.event = j.value("event", "");
    e.details = j["details"];
    out.push_back(std::move(e));
  }
  return out;
}

std::string slug_of(const std::string& ticket) {
  std::string s;
  for (char ch : ticket) {
    const char l = ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch;
    const bool keep = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9');
    if (keep) {
      s += l;
    } else if (!s.empty() && s.back() != '-') {
      s += '-';
    }
  }
  while (!s.empty() && s.back() == '-') {
    s.pop_back();
  }
  return s.empty() ? "incident" : s;
}

// A TOML basic string.
std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (static_cast<unsigned char>(ch) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", ch);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

// Markdown table cell: no pipes or line breaks.
std::string cell(std::string s) {
  for (char& ch : s) {
    if (ch == '|' || ch == '\n' || ch == '\r') {
      ch = ' ';
    }
  }
  return s;
}

std::string time_of_day(UnixTime t) {
  return rfc3339(t).substr(0, 10) + " " + rfc3339(t).substr(11, 5);
}

std::string describe(const Event& e) {
  const nlohmann::json& d = e.details;
  auto str = [&](const char* k) { return d.contains(k) ? d[k].dump() : std::string("?"); };
  auto text = [&](const char* k) {
    return d.contains(k) && d[k].is_string() ? d[k].get<std::string>() : std::string("?");
  };
  if (e.event == "incident_revocation") {
    return "`incident revoke` by " + e.operator_name + ": " + str("revoked") + " of " +
           str("matched") + " matching certificates revoked (" + text("reason") + "), " +
           str("keys_blocked") + " keys blocked; filters " +
           d.value("filters", nlohmann::json{}).dump() +
           (d.value("published", false) ? "; OCSP responses and CRLs re-signed at once" : "");
  }
  if (e.event == "certificate_revoked" || e.event == "revocation_reason_changed") {
    return "Certificate " + text("serial") + " of CA " + text("ca") + " revoked (" +
           text("reason") + ") by " + e.operator_name;
  }
  if (e.event == "key_blocked") {
    return "Key " + text("spki_sha256").substr(0, 16) + "… blocked from issuance (" +
           text("source") + ")";
  }
  return e.event + " by " + e.operator_name;
}

int run_report(CommandRunner& runner, const ReportOptions& opt) {
  if (opt.ticket.empty()) {
    throw std::runtime_error("incident report: --ticket is required");
  }
  Config cfg = load_config(runner.globals.config_path);
  std::filesystem::path dir = opt.out_dir;
  if (dir.empty()) {
    if (cfg.site.source.empty()) {
      throw std::runtime_error(
          "incident report: no [site] source in the config; give --out-dir DIR");
    }
    dir = cfg.site.source / "incidents";
  }
  std::optional<UnixTime> detected;
  if (!opt.detected.empty()) {
    detected = parse_rfc3339(opt.detected);
    if (!detected) {
      throw std::runtime_error("--detected " + opt.detected + ": not an RFC 3339 time");
    }
  }
  std::optional<UnixTime> reported;
  if (!opt.reported.empty()) {
    reported = parse_rfc3339(opt.reported);
    if (!reported) {
      throw std::runtime_error("--reported " + opt.reported + ": not an RFC 3339 time");
    }
  }

  store::ReadStore st(cfg.repository.store);
  store::ReadTxn txn = st.begin_read();
  const std::vector<Event> events = ticket_events(txn, opt.ticket);
  if (events.empty() && !detected) {
    throw std::runtime_error("--ticket " + opt.ticket +
                             ": no audit record names this ticket (revoke with --ticket, "
                             "incident revoke, keys block --ticket) and no --detected time given");
  }
  if (!detected) {
    detected = events.front().time;
  }

  // The certificates the incident revoked, as the store describes them now.
  std::vector<IncidentMatch> affected;
  std::set<std::pair<std::string, std::string>> seen;
  std::set<std::string> cas;
  std::set<std::string> domains;
  bool key_compromise = false;
  bool ca_certificate = false;
  UnixTime last_revocation = 0;
  size_t keys_blocked = 0;
  for (const Event& e : events) {
    if (e.event == "key_blocked") {
      ++keys_blocked;
    }
    if (e.event != "certificate_revoked" && e.event != "revocation_reason_changed") {
      continue;
    }
    last_revocation = std::max(last_revocation, e.time);
    const std::string ca = e.details.value("ca", "");
    const std::string serial_hex = e.details.value("serial", "");
    key_compromise |= e.details.value("reason", "") == "keyCompromise";
    ca_certificate |= e.details.value("ca_certificate", false);
    Bytes serial;
    if (!seen.insert({ca, serial_hex}).second || !parse_serial_hex(serial_hex, serial)) {
      continue;
    }
    if (auto m = find_certificate(txn, ca, serial, runner.now)) {
      cas.insert(m->ca_id);
      for (const std::string& san : m->sans) {
        if (san.rfind("DNS:", 0) == 0) {
          domains.insert(san.substr(4));
        }
      }
      affected.push_back(std::move(*m));
    }
  }
  // BR 4.9.1.1: 24 hours for key compromise, 5 days for the other reasons; BR 4.9.1.2: 7 days
  // for a subordinate CA certificate. Notification: 24 hours (docs/incidents.md).
  const UnixTime notification_deadline = *detected + kDay;
  const UnixTime revocation_deadline = *detected + (key_compromise   ? kDay
                                                    : ca_certificate ? 7 * kDay
                                                                     : 5 * kDay);

  const std::string slug = rfc3339(*detected).substr(0, 10) + "-" + slug_of(opt.ticket);
  const std::filesystem::path md = dir / (slug + ".md");
  const std::filesystem::path csv = dir / (slug + "-affected.csv");
  if (!opt.force && std::filesystem::exists(md)) {
    throw std::runtime_error(md.string() +
                             ": exists already (edit it, or --force to write it anew)");
  }

  std::ostringstream c;
  c << csv_header() << "\n";
  for (const IncidentMatch& m : affected) {
    c << csv_row(m) << "\n";
  }

  std::ostringstream r;
  r << "+++\n"
    << "title = " << toml_string(opt.title.empty() ? "Incident " + opt.ticket : opt.title) << "\n"
    << "date = " << rfc3339(*detected).substr(0, 10) << "\n"
    << "status = \"open\"\n"
    << "cas = [";
  for (auto it = cas.begin(); it != cas.end(); ++it) {
    r << (it == cas.begin() ? "" : ", ") << toml_string(*it);
  }
  r << "]\n"
    << "summary = \"\"\n"
    << "ticket = " << toml_string(opt.ticket) << "\n";
  // CCADB incident reporting: the Bugzilla bug once filed, and which report this is
  // (preliminary within 72 hours, full within 14 days, closure when the bug closes).
  r << "bugzilla = \"\"\n"
    << "report_status = \"preliminary\"\n"
    << "detected = \"" << rfc3339(*detected) << "\"\n";
  if (reported) {
    r << "reported = \"" << rfc3339(*reported) << "\"\n";
  }
  r << "notification_deadline = \"" << rfc3339(notification_deadline) << "\"\n"
    << "revocation_deadline = \"" << rfc3339(revocation_deadline) << "\"\n";
  if (last_revocation != 0) {
    r << "revocation_completed = \"" << rfc3339(last_revocation) << "\"\n";
  }
  r << "affected = " << toml_string(csv.filename().string()) << "\n"
    << "certificates = " << affected.size() << "\n"
    << "+++\n\n";
  r << "## Summary\n\n_To be written: what happened, in two or three sentences._\n\n";
  r << "## Impact\n\n"
    << affected.size() << " certificates of " << cas.size() << " CA" << (cas.size() == 1 ? "" : "s")
    << " (" << domains.size() << " distinct domain names) were revoked under ticket " << opt.ticket
    << "; " << keys_blocked << " keys were blocked from further issuance.\n\n"
    << "_To be completed: who was affected and how._\n\n";
  r << "## Affected certificates\n\n"
    << "The full list: [" << csv.filename().string() << "](" << csv.filename().string()
    << ") (CSV: serial, CA, subject, names, validity, status, key hash).\n\n";
  if (!affected.empty()) {
    r << "| CA | Serial | Subject | Status |\n|---|---|---|---|\n";
    for (size_t i = 0; i < affected.size() && i < kTimelineRevocations; ++i) {
      const IncidentMatch& m = affected[i];
      r << "| " << cell(m.ca_id) << " | `" << m.serial_hex << "` | " << cell(m.subject) << " | "
        << m.status << " |\n";
    }
    if (affected.size() > kTimelineRevocations) {
      r << "| … | " << affected.size() - kTimelineRevocations << " more in the CSV | | |\n";
    }
    r << "\n";
  }
  // Timeline rows in time order (detection and the report to the root programs among them).
  std::vector<std::pair<UnixTime, std::string>> rows;
  rows.emplace_back(*detected, "Detected. _Describe how._");
  size_t single = 0;
  size_t folded = 0;
  const bool bulk = std::any_of(events.begin(), events.end(),
                                [](const Event& e) { return e.event == "incident_revocation"; });
  for (const Event& e : events) {
    const bool revocation =
        e.event == "certificate_revoked" || e.event == "revocation_reason_changed";
    if (revocation && (bulk || ++single > kTimelineRevocations)) {
      ++folded;  // told by the incident_revocation row, or too many to list
      continue;
    }
    if (e.event == "key_blocked" && bulk) {
      continue;
    }
    rows.emplace_back(e.time, describe(e) + " (audit)");
  }
  if (!bulk && folded > 0) {
    rows.emplace_back(last_revocation, std::to_string(folded) + " more revocations (audit)");
  }
  if (reported) {
    rows.emplace_back(*reported, "Reported to the root programs.");
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  r << "## Timeline\n\nAll times UTC. Rows from the CA's audit log are marked (audit).\n\n"
    << "| Time | Event |\n|---|---|\n";
  for (const auto& [t, text] : rows) {
    r << "| " << time_of_day(t) << " | " << cell(text) << " |\n";
  }
  // The rest of the CCADB incident report template (ccadb.org, "Incident Reporting
  // Guidelines"), in its order.
  r << "\n## Related incidents\n\n"
    << "_To be written: earlier incidents of this CA or others with the same cause (Bugzilla "
       "links), or \"none found\" and how the search was made._\n\n"
    << "## Root cause analysis\n\n_To be written: why it happened and why it was not "
       "caught earlier._\n\n"
    << "## Lessons learned\n\n_To be written: what went well, what did not, where we got "
       "lucky._\n\n"
    << "## Action items\n\n| Action item | Kind | Due date |\n|---|---|---|\n"
    << "| _To be written_ | Prevent / Detect / Mitigate | YYYY-MM-DD |\n\n"
    << "### Changes to the CP/CPS\n\n_None, or which sections change and when._\n\n"
    << "## Appendix\n\nThe affected certificates: [" << csv.filename().string() << "]("
    << csv.filename().string() << ").\n";

  std::filesystem::create_directories(dir);
  const std::string csv_text = c.str();
  const std::string md_text = r.str();
  write_file_atomic(csv, as_bytes(csv_text));
  write_file_atomic(md, as_bytes(md_text));
  std::cout << "wrote " << md.string() << " and " << csv.filename().string() << ": "
            << affected.size() << " certificates, " << events.size()
            << " audit records; notification due " << rfc3339(notification_deadline)
            << ", revocation due " << rfc3339(revocation_deadline) << "\n";
  return 0;
}

}  // namespace

void add_incident_report_command(CLI::App* incident, CommandRunner& runner) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* report =
      incident->add_subcommand("report", "Write the incident report skeleton into the site");
  report->add_option("--ticket", o->ticket, "The incident's reference")->required();
  report->add_option("--title", o->title, "The report's title");
  report->add_option("--detected", o->detected,
                     "RFC 3339 time of detection (default: the ticket's first audit record)");
  report->add_option("--reported", o->reported, "RFC 3339 time the root programs were told");
  report->add_option("--out-dir", o->out_dir, "Folder (default: the site source's incidents/)");
  report->add_flag("--force", o->force, "Replace an existing report");
  report->callback([&runner, o] { runner.exit_code = run_report(runner, *o); });
}

}  // namespace pkirepo::signer
