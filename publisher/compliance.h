// The compliance checks every build runs: audit coverage per CA and the annual review
// of the CPS. Findings are warnings; `build --strict` turns any of them into a failed build.
// Pure functions of their inputs and `now`, so tests can set any moment.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "publisher/front_matter.h"
#include "x509/time.h"

namespace pkirepo::publisher {

struct ComplianceFinding {
  std::string subject;  // what it is about: "CA root-2026 (WebTrust for CAs)", "cps 3.2"
  std::string rule;     // "Chrome policy 1.4 §5", "CPS 2.3", ...
  std::string message;  // one line
};

// An audit as the checks see it: `where` names its source file for messages.
struct AuditPeriod {
  std::string where;
  AuditMeta meta;
};

// Per CA id and audit scheme, periods sorted by start (point-in-time and key-generation
// reports are no period: only the report-date and CA-id checks apply to them):
//  - consecutive: the next period starts the day after the previous one ends; a later start is
//    a gap, an earlier one an overlap (CCADB 5: consecutive periods; Chrome 1.4 §5: unbroken);
//  - no period longer than 365 days (Chrome 1.4 §5: full audits at least every 365 days);
//  - each report dated no later than 90 days after its period end, and not before it
//    (Chrome 1.4 §5);
//  - coverage is current: the newest period of each CA ended less than 365 + 90 days ago.
// `known_ca_ids` are every CA in the store (an audit naming another id is a finding);
// `active_ca_ids` the ones that need current coverage (one without any audit is a finding).
[[nodiscard]] std::vector<ComplianceFinding> check_audits(
    const std::vector<AuditPeriod>& audits, const std::vector<std::string>& known_ca_ids,
    const std::vector<std::string>& active_ca_ids, UnixTime now);

// CPS 2.3 annual review: the current CPS (highest version) took effect within the last 365
// days, and its version is higher than the previous one's with a later effective date. `cps`
// holds every version in ascending version order; empty: "no CPS" (CPS 2.2).
[[nodiscard]] std::vector<ComplianceFinding> check_cps_review(const std::vector<DocumentMeta>& cps,
                                                              UnixTime now);

struct SiteSource;
struct StoreSnapshot;
struct Incident;
struct Document;

// compliance_problem_reporting.cpp: [site.problem_reporting] has a contact (and CAA issuer
// domains when a profile issues serverAuth), and the current CPS states the same: the email and
// url in 1.5.2, every CAA domain in 4.2, the contact (or the Report a problem page) and every
// accepted proof of key compromise in 4.9.12.
[[nodiscard]] std::vector<ComplianceFinding> check_problem_reporting(
    const std::vector<Document>& documents, const Config& cfg);

// An open incident (status not closed or resolved; samples aside) whose 24-hour notification
// deadline passed without `reported`, or whose revocation deadline passed without
// `revocation_completed` (front matter from `pkirepo-signer incident report`).
[[nodiscard]] std::vector<ComplianceFinding> check_incidents(const std::vector<Incident>& incidents,
                                                             UnixTime now);

// The statements a CP/CPS must make, each enforced from its effective date
// (compliance_policy_statements.cpp; docs/publisher.md "Policy statements").
struct PolicyStatementRule {
  const char* rule;            // "BR 2.2"
  const char* effective_text;  // "2012-07-01"
  UnixTime effective;
  const char* what;  // the statement, for docs and messages
};
[[nodiscard]] const std::vector<PolicyStatementRule>& policy_statement_rules();
// The licences Mozilla Root Store Policy 3.3 item 3 names, as SPDX ids.
[[nodiscard]] bool accepted_policy_license(std::string_view spdx);
// Every rule of policy_statement_rules() in force at `now`, against the current CP/CPS (the
// published text) and [site.policy].
[[nodiscard]] std::vector<ComplianceFinding> check_policy_statements(
    const std::vector<Document>& documents, const Config& cfg, UnixTime now);

struct Audit;

// CCADB 5.1: every audit record states its criteria with their versions, the auditor's
// address, and where the report is (report_url at the auditor's site, or a bundled file).
[[nodiscard]] std::vector<ComplianceFinding> check_audit_records(const std::vector<Audit>& audits);

// CCADB 6.1: an incident that is closed (status closed/resolved, or report_status = "closure")
// carries its closure fields: the Bugzilla URL, the `closed` date, status "closed", every
// section of the incident report template, and no "_To be written" placeholder left.
[[nodiscard]] std::vector<ComplianceFinding> check_incident_closure(
    const std::vector<Incident>& incidents);

// compliance_test_websites.cpp, BR 2.2: every CA that needs_test_websites() (test_websites.h)
// has a valid, a revoked and an expired test website; each revoked test certificate's serial is
// on a CRL of its CA in the snapshot; each expired one's notAfter is before `now`; each URL's
// host is in the subjectAltName of the certificate it serves (X509_check_host).
[[nodiscard]] std::vector<ComplianceFinding> check_test_websites(const Config& cfg,
                                                                 const StoreSnapshot& snap,
                                                                 UnixTime now);

// Every finding of a build, computed once per build (even one that renders nothing): the checks
// above plus what CPS 2.2 says the repository holds (the other policy documents, a CRL for
// every active CA), CRLs past their nextUpdate, and the snapshot's problems (a configured test
// certificate not found), the problem reporting and the test website checks.
[[nodiscard]] std::vector<ComplianceFinding> compute_findings(const Config& cfg,
                                                              const SiteSource& source,
                                                              const StoreSnapshot& snapshot,
                                                              UnixTime now);

}  // namespace pkirepo::publisher
