#include "publisher/compliance.h"

#include <algorithm>
#include <map>
#include <set>

#include "publisher/ccadb_meta.h"
#include "publisher/site_source.h"
#include "publisher/store_snapshot.h"

namespace pkirepo::publisher {
namespace {

constexpr UnixTime kDay = 86400;

std::string days(UnixTime seconds) {
  long long d = static_cast<long long>(seconds / kDay);
  return std::to_string(d) + (d == 1 ? " day" : " days");
}

}  // namespace

std::vector<ComplianceFinding> check_audits(const std::vector<AuditPeriod>& audits,
                                            const std::vector<std::string>& known_ca_ids,
                                            const std::vector<std::string>& active_ca_ids,
                                            UnixTime now) {
  std::vector<ComplianceFinding> out;
  const std::set<std::string> known(known_ca_ids.begin(), known_ca_ids.end());
  // (CA, scheme) -> periods
  std::map<std::pair<std::string, std::string>, std::vector<const AuditPeriod*>> groups;
  std::map<std::string, UnixTime> newest_end;
  for (const AuditPeriod& a : audits) {
    const AuditMeta& m = a.meta;
    UnixTime length = m.period_end - m.period_start + kDay;  // both days inclusive
    if (length > 365 * kDay && !audit_is_point_in_time(m)) {
      out.push_back({a.where, "Chrome policy 1.4 §5",
                     "audit period " + m.period_start_text + " to " + m.period_end_text + " is " +
                         days(length) + " long (at most 365 days)"});
    }
    if (m.report_date < m.period_end) {
      out.push_back({a.where, "Chrome policy 1.4 §5",
                     "report dated " + m.report_date_text + ", before its period ends on " +
                         m.period_end_text});
    } else if (m.report_date - m.period_end > 90 * kDay) {
      out.push_back({a.where, "Chrome policy 1.4 §5",
                     "report dated " + m.report_date_text + ", " +
                         days(m.report_date - m.period_end) + " after the period end " +
                         m.period_end_text + " (at most 90 days)"});
    }
    for (const std::string& ca : m.cas) {
      if (!known.count(ca)) {
        out.push_back(
            {a.where, "CCADB 5", "names CA id \"" + ca + "\", which is not in the store"});
        continue;
      }
      // A point-in-time or key-generation report is no period of coverage.
      if (audit_is_point_in_time(m)) {
        continue;
      }
      groups[{ca, m.scheme}].push_back(&a);
      auto [it, inserted] = newest_end.try_emplace(ca, m.period_end);
      if (!inserted) {
        it->second = std::max(it->second, m.period_end);
      }
    }
  }
  for (auto& [key, periods] : groups) {
    std::stable_sort(periods.begin(), periods.end(),
                     [](const AuditPeriod* x, const AuditPeriod* y) {
                       return x->meta.period_start < y->meta.period_start;
                     });
    const std::string subject = "CA " + key.first + " (" + key.second + ")";
    for (size_t i = 1; i < periods.size(); ++i) {
      const AuditMeta& prev = periods[i - 1]->meta;
      const AuditMeta& cur = periods[i]->meta;
      UnixTime expected = prev.period_end + kDay;
      if (cur.period_start > expected) {
        out.push_back({subject, "Chrome policy 1.4 §5",
                       "gap of " + days(cur.period_start - expected) +
                           " in audit coverage between " + prev.period_end_text + " and " +
                           cur.period_start_text});
      } else if (cur.period_start < expected) {
        out.push_back({subject, "CCADB 5",
                       "audit periods overlap by " + days(expected - cur.period_start) + " (" +
                           prev.period_start_text + " to " + prev.period_end_text + " and " +
                           cur.period_start_text + " to " + cur.period_end_text + ")"});
      }
    }
  }
  for (const std::string& ca : active_ca_ids) {
    auto it = newest_end.find(ca);
    if (it == newest_end.end()) {
      out.push_back({"CA " + ca, "Chrome policy 1.4 §5", "no audit report covers this CA"});
    } else if (now - it->second > (365 + 90) * kDay) {
      out.push_back({"CA " + ca, "Chrome policy 1.4 §5",
                     "newest audit period ended " + date_text(it->second) + ", " +
                         days(now - it->second) + " ago: coverage has lapsed"});
    }
  }
  return out;
}

std::vector<ComplianceFinding> check_cps_review(const std::vector<DocumentMeta>& cps,
                                                UnixTime now) {
  std::vector<ComplianceFinding> out;
  if (cps.empty()) {
    out.push_back(
        {"repository", "CPS 2.2", "no Certification Practice Statement (kind = \"cps\")"});
    return out;
  }
  const DocumentMeta& current = cps.back();
  const std::string subject = "CPS " + current.version;
  if (now - current.effective > 365 * kDay) {
    out.push_back({subject, "CPS 2.3",
                   "effective " + current.effective_text + ", " + days(now - current.effective) +
                       " ago: the CPS is reviewed and its version incremented every year"});
  }
  if (cps.size() >= 2) {
    const DocumentMeta& prev = cps[cps.size() - 2];
    if (compare_versions(current.version, prev.version) <= 0) {
      out.push_back({subject, "CPS 2.3",
                     "version " + current.version + " is not higher than " + prev.version});
    }
    if (current.effective <= prev.effective) {
      out.push_back({subject, "CPS 2.3",
                     "effective " + current.effective_text + ", not after version " + prev.version +
                         "'s " + prev.effective_text});
    }
  }
  return out;
}

std::vector<ComplianceFinding> check_incidents(const std::vector<Incident>& incidents,
                                               UnixTime now) {
  std::vector<ComplianceFinding> f;
  for (const Incident& inc : incidents) {
    const IncidentMeta& m = inc.meta;
    if (m.closed() || m.sample) {
      continue;
    }
    const std::string subject = "incident " + (m.ticket.empty() ? inc.slug : m.ticket);
    if (m.notification_deadline != 0 && m.reported == 0 && now > m.notification_deadline) {
      f.push_back({subject, "RULES Incidents (24-hour notification)",
                   "open and not reported to the root programs by its notification deadline " +
                       rfc3339(m.notification_deadline) + " (set `reported` in " + inc.where +
                       ")"});
    }
    if (m.revocation_deadline != 0 && m.revocation_completed == 0 && now > m.revocation_deadline) {
      f.push_back({subject, "BR 4.9.1",
                   "open and its revocations are not complete by the deadline " +
                       rfc3339(m.revocation_deadline) + " (set `revocation_completed` in " +
                       inc.where + ")"});
    }
  }
  return f;
}

std::vector<ComplianceFinding> check_audit_records(const std::vector<Audit>& audits) {
  std::vector<ComplianceFinding> f;
  for (const Audit& a : audits) {
    const AuditMeta& m = a.meta;
    if (m.criteria.empty()) {
      f.push_back({a.where, "CCADB 5.1",
                   "no audit criteria and versions (criteria = [\"WebTrust for CAs 2.2.2\", "
                   "...])"});
    }
    if (m.auditor_address.empty()) {
      f.push_back({a.where, "CCADB 5.1", "no auditor address (auditor_address)"});
    }
    if (m.report_url.empty() && a.report_ext.empty()) {
      f.push_back({a.where, "CCADB 5.1",
                   "neither the auditor's report URL (report_url) nor a report file (report)"});
    }
  }
  return f;
}

std::vector<ComplianceFinding> check_incident_closure(const std::vector<Incident>& incidents) {
  std::vector<ComplianceFinding> f;
  for (const Incident& inc : incidents) {
    const IncidentMeta& m = inc.meta;
    if (incident_report_status(m, inc.body) != "closure" && !m.closed()) {
      continue;
    }
    const std::string subject = "incident " + (m.ticket.empty() ? inc.slug : m.ticket);
    std::vector<std::string> missing;
    if (m.bugzilla.empty()) {
      missing.emplace_back("bugzilla");
    }
    if (m.closed_date == 0) {
      missing.emplace_back("closed");
    }
    if (!m.closed()) {
      missing.emplace_back("status = \"closed\"");
    }
    for (const std::string& s : missing_incident_sections(inc.body)) {
      missing.push_back("section \"" + s + "\"");
    }
    if (inc.body.find("_To be written") != std::string::npos) {
      missing.emplace_back("text for every \"_To be written\" placeholder");
    }
    if (!missing.empty()) {
      std::string list;
      for (const std::string& x : missing) {
        list += (list.empty() ? "" : ", ") + x;
      }
      f.push_back({subject, "CCADB 6.1 (closure)",
                   "closed without the closure fields: " + list + " (" + inc.where + ")"});
    }
  }
  return f;
}

std::vector<ComplianceFinding> compute_findings(const Config& cfg, const SiteSource& source,
                                                const StoreSnapshot& snapshot, UnixTime now) {
  std::vector<ComplianceFinding> f;
  std::vector<AuditPeriod> periods;
  for (const Audit& a : source.audits) {
    periods.push_back({a.where, a.meta});
  }
  std::vector<std::string> known;
  std::vector<std::string> active;
  for (const CaEntry& ca : snapshot.cas) {
    known.push_back(ca.id);
    if (ca.status == CaStatus::active) {
      active.push_back(ca.id);
    }
  }
  auto a = check_audits(periods, known, active, now);
  f.insert(f.end(), a.begin(), a.end());
  std::vector<DocumentMeta> cps;
  std::set<DocumentKind> kinds;
  for (const Document& d : source.documents) {
    kinds.insert(d.current().meta.kind);
    if (d.current().meta.kind == DocumentKind::cps && cps.empty()) {
      for (const auto& v : d.versions) {
        cps.push_back(v.meta);
      }
    }
  }
  auto r = check_cps_review(cps, now);
  f.insert(f.end(), r.begin(), r.end());
  auto i = check_incidents(source.incidents, now);
  f.insert(f.end(), i.begin(), i.end());
  auto statements = check_policy_statements(source.documents, cfg, now);
  f.insert(f.end(), statements.begin(), statements.end());
  auto reporting = check_problem_reporting(source.documents, cfg);
  f.insert(f.end(), reporting.begin(), reporting.end());
  auto ar = check_audit_records(source.audits);
  f.insert(f.end(), ar.begin(), ar.end());
  auto ic = check_incident_closure(source.incidents);
  f.insert(f.end(), ic.begin(), ic.end());
  auto tw = check_test_websites(cfg, snapshot, now);
  f.insert(f.end(), tw.begin(), tw.end());
  // CPS 2.2: what the repository holds.
  for (DocumentKind k :
       {DocumentKind::cp, DocumentKind::subscriber_agreement, DocumentKind::relying_party_agreement,
        DocumentKind::privacy, DocumentKind::terms}) {
    if (!kinds.count(k)) {
      f.push_back({"repository", "CPS 2.2",
                   std::string("no ") + document_kind_label(k) + " (kind = \"" +
                       document_kind_name(k) + "\")"});
    }
  }
  for (const CaEntry& ca : snapshot.cas) {
    bool has = std::any_of(snapshot.crls.begin(), snapshot.crls.end(),
                           [&](const CrlEntry& c) { return c.ca_id == ca.id; });
    if (!has && ca.status == CaStatus::active) {
      f.push_back(
          {"CA " + ca.id, "CPS 2.2", "no CRL in the store yet (pkirepo-signer run signs them)"});
    }
  }
  for (const CrlEntry& crl : snapshot.crls) {
    if (crl.record.next_update < now) {
      f.push_back({"CRL " + crl.path, "BR 4.9.7",
                   "nextUpdate " + rfc3339(crl.record.next_update) + " has passed"});
    }
  }
  for (const std::string& p : snapshot.problems) {
    f.push_back({"config", "BR 2.2", p});
  }
  return f;
}

}  // namespace pkirepo::publisher
