// `incident select` and `incident revoke` (docs/incidents.md); `incident report` is in
// incident_report.cpp.
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <set>

#include "audit/audit_log.h"
#include "policy/rules.h"
#include "signer/commands.h"
#include "signer/incident.h"
#include "signer/offline_ca.h"
#include "signer/revocation.h"
#include "signer/revocation_publisher.h"
#include "store/blocked_keys.h"
#include "store/store.h"

namespace pkirepo::signer {
namespace {

struct SelectOptions {
  IncidentFilter filter;
  bool json = false;
  bool csv = false;
};

struct RevokeOptions {
  IncidentFilter filter;
  std::string reason;
  std::string ticket;
  std::string invalidity_date;
  bool dry_run = false;
  bool no_publish = false;
};

// Thrown inside the transaction of a dry run: it aborts, and nothing was written.
struct DryRunDone {};

// Under the signer's lock (Session::store()): nothing changes between selection and revocation.
Selection select_now(Session& session, const IncidentFilter& filter) {
  if (!std::filesystem::exists(session.config().repository.store / "data.mdb")) {
    throw std::runtime_error(session.config().repository.store.string() +
                             ": no store here (run pkirepo-signer init first)");
  }
  store::ReadTxn txn = session.store().begin_read();
  return select_certificates(txn, filter, session.now());
}

int run_select(CommandRunner& runner, const SelectOptions& opt) {
  if (opt.json && opt.csv) {
    throw std::runtime_error("incident select: --json and --csv exclude each other");
  }
  Config cfg = load_config(runner.globals.config_path);
  store::ReadStore st(cfg.repository.store);
  Selection sel;
  {
    store::ReadTxn txn = st.begin_read();
    sel = select_certificates(txn, opt.filter, runner.now);
  }
  if (opt.csv) {
    std::cout << csv_header() << "\n";
  }
  for (const IncidentMatch& m : sel.matches) {
    if (opt.json) {
      std::cout << match_json(m).dump() << "\n";
    } else if (opt.csv) {
      std::cout << csv_row(m) << "\n";
    } else {
      std::cout << m.ca_id << "  " << m.serial_hex << "  " << std::left << std::setw(7) << m.status
                << "  " << rfc3339(m.record.not_after) << "  " << m.record.profile << "  "
                << m.subject << "\n";
    }
  }
  std::cerr << sel.matches.size() << " certificates match (" << sel.examined << " examined"
            << (sel.indexed ? ", from the indexes" : "") << ")\n";
  return sel.matches.empty() ? 1 : 0;
}

// Whether revoking `m` with `reason` changes anything: a revoked certificate only moves to
// keyCompromise (BR 4.9.1); every other match that is revoked already is left as it is.
bool revocable(const IncidentMatch& m, StatedReason reason) {
  return m.record.status != store::CertStatus::revoked ||
         (reason == CrlReason::key_compromise && m.record.reason != CrlReason::key_compromise);
}

int run_incident_revoke(CommandRunner& runner, const RevokeOptions& opt) {
  if (opt.filter.empty()) {
    throw std::runtime_error(
        "incident revoke: give at least one filter (--ca, --san-domain, --spki-sha256, ...); "
        "it never revokes everything by default");
  }
  if (opt.ticket.empty()) {
    throw std::runtime_error("incident revoke: --ticket is required (the incident's reference)");
  }
  StatedReason reason;
  if (!policy::parse_reason(opt.reason, reason)) {
    throw std::runtime_error("--reason " + opt.reason + ": not an allowed reason");
  }
  Session session(runner.globals, runner.now);
  const Selection sel = select_now(session, opt.filter);
  if (sel.matches.empty()) {
    std::cerr << "pkirepo-signer: incident revoke: no certificate matches the filters; nothing "
                 "changed\n";
    return 1;
  }
  // By CA, in key order: each CA's revocations and publication together.
  std::map<std::string, std::vector<const IncidentMatch*>> by_ca;
  size_t unchanged = 0;
  for (const IncidentMatch& m : sel.matches) {
    if (revocable(m, reason)) {
      by_ca[m.ca_id].push_back(&m);
    } else {
      ++unchanged;
    }
  }
  if (by_ca.empty()) {
    std::cerr << "pkirepo-signer: incident revoke: all " << sel.matches.size()
              << " matching certificates are revoked already; nothing changed\n";
    return 1;
  }
  const bool publish = !opt.dry_run && !opt.no_publish;
  std::map<std::string, std::unique_ptr<RevocationPublisher>> publishers;
  std::vector<std::string> offline;
  for (const auto& [ca, matches] : by_ca) {
    if (is_offline(session.config(), ca)) {
      offline.push_back(ca);
    } else if (publish) {
      publishers.emplace(ca, std::make_unique<RevocationPublisher>(session, ca));
    }
  }
  size_t revoked = 0;
  size_t keys_blocked = 0;
  std::map<std::string, RevocationPublisher::Outcome> published;
  try {
    session.store().transact([&](store::WriteTxn& txn) {
      revoked = 0;
      keys_blocked = 0;
      published.clear();
      const size_t blocked_before = store::all_blocked_keys(txn).size();
      for (const auto& [ca, matches] : by_ca) {
        std::vector<RevocationResult> results;
        results.reserve(matches.size());
        for (const IncidentMatch* m : matches) {
          RevocationRequest req;
          req.ca_id = ca;
          req.serial_hex = m->serial_hex;
          req.reason = opt.reason;
          req.invalidity_date = opt.invalidity_date;
          req.ticket = opt.ticket;
          RevocationRequest::Known known;
          std::copy(m->certs_key.begin(), m->certs_key.begin() + known.ca_key_id.size(),
                    known.ca_key_id.begin());
          known.subject = m->subject;
          Bytes spki;
          if (from_hex(m->spki_sha256, spki) && spki.size() == known.spki.size()) {
            std::copy(spki.begin(), spki.end(), known.spki.begin());
            req.known = std::move(known);
          }
          results.push_back(record_revocation(session, txn, req));
        }
        revoked += results.size();
        if (auto p = publishers.find(ca); p != publishers.end()) {
          published[ca] = p->second->publish(txn, results);
        }
      }
      keys_blocked = store::all_blocked_keys(txn).size() - blocked_before;
      nlohmann::json cas = nlohmann::json::array();
      for (const auto& [ca, matches] : by_ca) {
        cas.push_back({{"ca", ca}, {"revoked", matches.size()}});
      }
      audit::append(txn, session.now(), session.operator_name(), "incident_revocation",
                    {{"ticket", opt.ticket},
                     {"filters", opt.filter.to_json()},
                     {"reason", policy::reason_name(reason)},
                     {"matched", sel.matches.size()},
                     {"revoked", revoked},
                     {"unchanged", unchanged},
                     {"keys_blocked", keys_blocked},
                     {"cas", cas},
                     {"published", publish}});
      if (opt.dry_run) {
        throw DryRunDone{};
      }
    });
  } catch (const DryRunDone&) {
    for (const auto& [ca, matches] : by_ca) {
      for (const IncidentMatch* m : matches) {
        std::cout << "would revoke " << ca << "  " << m->serial_hex << "  " << m->subject << "\n";
      }
    }
    std::cout << "dry run: would revoke " << revoked << " certificates ("
              << policy::reason_name(reason) << ", ticket " << opt.ticket << ") of " << by_ca.size()
              << " CAs and block " << keys_blocked << " keys; " << unchanged
              << " matches are revoked already; nothing was written\n";
    return 0;
  }
  for (const auto& [ca, outcome] : published) {
    std::cout << "published for CA " << ca << ": " << outcome.responses << " OCSP responses";
    for (const RevocationPublisher::Shard& s : outcome.shards) {
      std::cout << ", CRL shard " << s.shard << " number " << s.crl_number;
    }
    std::cout << " (thisUpdate " << rfc3339(outcome.this_update) << ")\n";
  }
  for (const std::string& ca : offline) {
    std::cout << "CA " << ca << " is offline: its CRL and OCSP responses must be re-signed at a "
              << "ceremony and imported by " << rfc3339(session.now() + kCaRevocationDeadline)
              << " (24 hours, BR 4.9.7)\n";
  }
  std::cout << "revoked " << revoked << " certificates (" << policy::reason_name(reason)
            << ", ticket " << opt.ticket << ") of " << by_ca.size() << " CAs; " << keys_blocked
            << " keys blocked; " << unchanged << " matches were revoked already"
            << (publish ? "" : "; not published: run `pkirepo-signer run` now") << "\n";
  return 0;
}

}  // namespace

void add_incident_report_command(CLI::App* incident, CommandRunner& runner);

void add_incident_command(CLI::App& app, CommandRunner& runner) {
  CLI::App* incident = app.add_subcommand("incident", "Incident response: select, revoke, report");
  incident->require_subcommand(1);

  auto so = std::make_shared<SelectOptions>();
  CLI::App* select = incident->add_subcommand("select", "List the certificates the filters match");
  add_filter_options(select, so->filter);
  select->add_flag("--json", so->json, "One JSON object per line");
  select->add_flag("--csv", so->csv, "CSV with a header line");
  select->callback([&runner, so] { runner.exit_code = run_select(runner, *so); });

  auto ro = std::make_shared<RevokeOptions>();
  CLI::App* revoke = incident->add_subcommand(
      "revoke", "Revoke every certificate the filters match, in one transaction");
  add_filter_options(revoke, ro->filter);
  revoke->add_option("--reason", ro->reason, "RFC 5280 reason name")->required();
  revoke->add_option("--ticket", ro->ticket, "The incident's reference")->required();
  revoke->add_option("--invalidity-date", ro->invalidity_date,
                     "RFC 3339 time the keys were compromised");
  revoke->add_flag("--dry-run", ro->dry_run, "Check and print what would happen; write nothing");
  revoke->add_flag("--no-publish", ro->no_publish,
                   "Record the revocations only; the next run signs their status");
  revoke->callback([&runner, ro] { runner.exit_code = run_incident_revoke(runner, *ro); });

  add_incident_report_command(incident, runner);
}

}  // namespace pkirepo::signer
