// `status`: a cron/monitoring probe. Reads the store read-only (no signer lock, so it runs
// beside a signer run) and checks every response and CRL itself, not the run's bookkeeping:
// exits 1 when anything is missing, past its refresh point, past its nextUpdate, out of date
// with the certificate's status, or when a responder certificate is due for rotation. An
// offline CA is judged by its ceremony calendar instead (offline_ca.h).
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "policy/profiles.h"
#include "signer/ca_lifecycle.h"
#include "signer/cert_records.h"
#include "signer/commands.h"
#include "signer/crl_signing.h"
#include "signer/due.h"
#include "signer/offline_ca.h"
#include "signer/run_meta.h"
#include "store/freshness.h"
#include "store/meta_keys.h"
#include "store/store.h"
#include "x509/cert_info.h"
#include "x509/der.h"

namespace pkirepo::signer {
namespace {

using json = nlohmann::json;

struct StatusOptions {
  bool json_output = false;
};

struct OcspCounts {
  uint64_t fresh = 0;
  uint64_t past_refresh = 0;      // re-signing is due
  uint64_t past_next_update = 0;  // stale: relying parties reject it
  uint64_t missing = 0;
  uint64_t status_mismatch = 0;  // revoked certificate with a good response (or the reverse)
  uint64_t expired_certs = 0;    // not covered any more
  uint64_t withheld = 0;         // good certificates under a CA that may not vouch for them
  uint64_t crl_only = 0;         // live certificates without an OCSP URL
  uint64_t expected = 0;         // live certificates with an OCSP URL
  uint64_t unrevoked = 0;        // good records the revocation index says are revoked
  UnixTime earliest_next_update = 0;

  [[nodiscard]] uint64_t bad() const {
    return past_refresh + past_next_update + missing + status_mismatch + unrevoked;
  }
  void saw_next_update(UnixTime t) {
    earliest_next_update = earliest_next_update == 0 ? t : std::min(earliest_next_update, t);
  }
};

// An offline CA is judged by its ceremony calendar (offline_ca.h), not by `run`'s refresh
// points: its CRL and responses run 12 months. Returns the number of problems (errors).
uint64_t offline_ca_status(const store::Txn& txn, const Config& cfg, const store::CaRecord& ca,
                           UnixTime now, std::vector<std::string>& lines, json& report) {
  const OfflineCaReport r = check_offline_ca(txn, cfg, ca, now);
  json jca = {{"id", ca.id},
              {"role", ca_role_name(ca.role)},
              {"offline", true},
              {"responses_fresh", r.responses_fresh},
              {"findings", json::array()}};
  if (r.crl) {
    jca["crl"] = {{"crl_number", r.crl->crl_number},
                  {"this_update", rfc3339(r.crl->this_update)},
                  {"next_update", rfc3339(r.crl->next_update)},
                  {"entries", r.crl->entries}};
  }
  for (const OfflineFinding& f : r.findings) {
    const char* severity = f.severity == OfflineSeverity::error     ? "error"
                           : f.severity == OfflineSeverity::warning ? "warning"
                                                                    : "note";
    lines.push_back(f.severity == OfflineSeverity::note ? f.message
                                                        : std::string(severity) + ": " + f.message);
    jca["findings"].push_back({{"severity", severity}, {"message", f.message}});
  }
  report["cas"].push_back(jca);
  return r.errors();
}

int run_status(CommandRunner& runner, const StatusOptions& opt) {
  Config cfg = load_config(runner.globals.config_path);
  const UnixTime now = runner.now;
  store::ReadStore st(cfg.repository.store);
  store::ReadTxn txn = st.begin_read();
  const std::vector<CertIdHash> hashes = ocsp_cert_id_hashes(cfg);
  json report = {{"now", rfc3339(now)}, {"cas", json::array()}};
  uint64_t problems = 0;
  std::vector<std::string> lines;
  // BR 6.3.2 by date: a TLS profile over today's limit is a problem (issuance refuses it); one
  // over the next step's limit is a warning from 30 days ahead.
  report["profiles"] = json::array();
  for (const policy::Finding& f : policy::profile_date_findings(cfg, now)) {
    const bool is_error = f.severity == policy::Severity::error;
    lines.push_back(std::string(is_error ? "error: " : "warning: ") + f.message);
    report["profiles"].push_back(
        {{"severity", is_error ? "error" : "warning"}, {"message", f.message}});
    problems += is_error ? 1 : 0;
  }

  for (const store::CaRecord& ca : store::list_cas(txn)) {
    if (is_offline(cfg, ca.id)) {
      problems += offline_ca_status(txn, cfg, ca, now, lines, report);
      continue;
    }
    X509Ptr ca_cert = parse_cert_der(ca.cert_der);
    if (!ca_cert) {
      lines.push_back("CA " + ca.id + ": the stored CA certificate does not parse");
      ++problems;
      continue;
    }
    const Sha1Digest key_id = key_id_sha1(ca_cert.get());
    Bytes name_hash[3];
    Bytes key_hash[3];
    for (CertIdHash h : hashes) {
      name_hash[static_cast<size_t>(h)] = issuer_name_hash(ca_cert.get(), h);
      key_hash[static_cast<size_t>(h)] = issuer_key_hash(ca_cert.get(), h);
    }
    // A CA that may not vouch for anything new is an error in itself; its good certificates'
    // responses are withheld by `run`, so they are not counted as due.
    const std::optional<std::string> unusable = ca_unusable_reason(txn, ca.id, now);
    if (unusable) {
      lines.push_back(*unusable + ": CA " + ca.id +
                      " issues nothing and signs no new \"good\" status");
      ++problems;
    }
    OcspCounts ocsp;
    int max_shard = 0;
    std::vector<std::vector<CrlEntry>> revoked(1);
    const bool sharded = crl_sharded(cfg, ca.role);
    store::Cursor cursor(txn, store::Db::certs);
    for (bool ok = cursor.seek(key_id); ok; ok = cursor.next()) {
      ByteView key = cursor.key();
      if (key.size() <= key_id.size() || !std::equal(key_id.begin(), key_id.end(), key.begin())) {
        break;
      }
      store::CertRecord rec;
      if (!store::decode(cursor.value(), rec)) {
        ++ocsp.missing;
        continue;
      }
      ByteView serial = cert_key_serial(key);
      max_shard = std::max<int>(max_shard, rec.shard);
      if (rec.status == store::CertStatus::good) {
        if (auto index = txn.get(store::Db::revocations, key);
            index && apply_revocation_index(rec, *index)) {
          ++ocsp.unrevoked;  // `run` states it revoked and reports it too
        }
      }
      if (rec.status == store::CertStatus::revoked) {
        size_t shard = sharded ? rec.shard : 0;
        if (revoked.size() <= shard) {
          revoked.resize(shard + 1);
        }
        CrlEntry e = crl_entry(cfg, serial, rec);
        if (crl_keeps(e, now)) {
          revoked[shard].push_back(std::move(e));
        }
      }
      if (store::certificate_expired(rec.not_after, now)) {
        ++ocsp.expired_certs;
        continue;
      }
      if (!rec.ocsp_url) {
        ++ocsp.crl_only;  // no OCSP URL: nothing to sign, nothing stale
        continue;
      }
      ++ocsp.expected;
      if (unusable && rec.status == store::CertStatus::good) {
        ++ocsp.withheld;
        continue;
      }
      for (CertIdHash h : hashes) {
        auto v =
            txn.get(store::Db::ocsp, store::ocsp_key(h, name_hash[static_cast<size_t>(h)],
                                                     key_hash[static_cast<size_t>(h)], serial));
        store::OcspView view;
        if (!v || !store::decode_view(*v, view)) {
          ++ocsp.missing;
        } else if (view.status != rec.status) {
          ++ocsp.status_mismatch;
        } else if (now >= view.next_update) {
          ++ocsp.past_next_update;
        } else if (now >= ocsp_refresh_point(cfg, view.this_update, view.next_update)) {
          ++ocsp.past_refresh;
        } else {
          ++ocsp.fresh;
        }
        if (v && store::decode_view(*v, view)) {
          ocsp.saw_next_update(view.next_update);
        }
      }
    }
    problems += ocsp.bad();
    json jca = {{"id", ca.id},
                {"role", ca_role_name(ca.role)},
                {"ocsp",
                 {{"fresh", ocsp.fresh},
                  {"past_refresh_point", ocsp.past_refresh},
                  {"past_next_update", ocsp.past_next_update},
                  {"missing", ocsp.missing},
                  {"status_changed", ocsp.status_mismatch},
                  {"expired_certificates", ocsp.expired_certs},
                  {"withheld", ocsp.withheld},
                  {"without_ocsp_url", ocsp.crl_only},
                  {"revoked_by_index", ocsp.unrevoked},
                  {"earliest_next_update",
                   ocsp.earliest_next_update ? rfc3339(ocsp.earliest_next_update) : ""}}},
                {"crls", json::array()}};
    std::string line = "CA " + ca.id + " (" + ca_role_name(ca.role) + "): OCSP " +
                       std::to_string(ocsp.fresh) + " fresh, " + std::to_string(ocsp.past_refresh) +
                       " past refresh point, " + std::to_string(ocsp.past_next_update) +
                       " past nextUpdate, " + std::to_string(ocsp.missing) + " missing, " +
                       std::to_string(ocsp.status_mismatch) + " status changed";
    if (ocsp.earliest_next_update != 0) {
      line += "; earliest nextUpdate " + rfc3339(ocsp.earliest_next_update);
    }
    if (ocsp.crl_only > 0) {
      line += "; " + std::to_string(ocsp.crl_only) +
              " certificates without an OCSP URL (no responses to sign)";
    }
    lines.push_back(line);
    if (ocsp.unrevoked > 0) {
      lines.push_back("CA " + ca.id + ": " + std::to_string(ocsp.unrevoked) +
                      " certificate records say good while the revocation index says revoked "
                      "(store damage?); run pkirepo-signer run, which states them revoked");
    }

    // The OCSP signer: rotation is due within twice the OCSP validity of its notAfter. A
    // CRL-only CA needs none while no live certificate of its carries an OCSP URL.
    const CaConfig* ca_config = cfg.find_ca(ca.id);
    const bool crl_only_ca = ca_config != nullptr && !ca_config->ocsp;
    jca["crl_only"] = crl_only_ca;
    if (cfg.ocsp.signer == OcspSigner::responder && (!crl_only_ca || ocsp.expected > 0)) {
      X509Ptr responder = parse_cert_der(ca.responder_cert_der);
      if (!responder) {
        lines.push_back("CA " + ca.id + ": responder certificate missing or unreadable");
        ++problems;
      } else {
        UnixTime na = not_after(responder.get());
        bool due = now >= responder_rotation_point(cfg, na);
        jca["responder"] = {{"serial", serial_hex(responder.get())},
                            {"not_after", rfc3339(na)},
                            {"rotation_due", due}};
        if (due) {
          ++problems;
          lines.push_back("CA " + ca.id + ": responder certificate " + serial_hex(responder.get()) +
                          " expires " + rfc3339(na) +
                          ": rotation is due (run pkirepo-signer run with the CA key online)");
        }
      }
    }

    const int shards = crl_shard_count(cfg, ca.role, max_shard);
    revoked.resize(static_cast<size_t>(std::max<int>(shards, static_cast<int>(revoked.size()))));
    for (int s = 0; s < shards; ++s) {
      auto crl = store::get_crl(txn, ca.id, s);
      std::string state;
      json jcrl = {{"shard", s}};
      if (!crl) {
        state = "missing";
      } else {
        Sha256Digest set = crl_entry_set_hash(revoked[static_cast<size_t>(s)]);
        auto stored = txn.get(store::Db::meta, as_bytes(store::meta::crl_set(ca.id, s)));
        jcrl["crl_number"] = crl->crl_number;
        jcrl["this_update"] = rfc3339(crl->this_update);
        jcrl["next_update"] = rfc3339(crl->next_update);
        jcrl["entries"] = crl->entries;
        if (now >= crl->next_update) {
          state = "past nextUpdate";
        } else if (now >= crl_refresh_point(cfg, crl->next_update)) {
          state = "past refresh point";
        } else if (!stored || !std::ranges::equal(*stored, set)) {
          state = "revocations not yet on the CRL";
        } else {
          state = "fresh";
        }
      }
      jcrl["state"] = state;
      jca["crls"].push_back(jcrl);
      std::string l = "CA " + ca.id + ": CRL shard " + std::to_string(s) + ": " + state;
      if (crl) {
        l += " (number " + std::to_string(crl->crl_number) + ", " + std::to_string(crl->entries) +
             " entries, nextUpdate " + rfc3339(crl->next_update) + ")";
      }
      lines.push_back(l);
      if (state != "fresh") {
        ++problems;
      }
    }
    report["cas"].push_back(jca);
  }
  report["problems"] = problems;
  report["ok"] = problems == 0;
  if (opt.json_output) {
    std::cout << report.dump(2) << "\n";
  } else {
    for (const auto& l : lines) {
      std::cout << l << "\n";
    }
    std::cout << "status: " << (problems == 0 ? "OK" : "STALE") << " (" << problems
              << " problems) at " << rfc3339(now) << "\n";
  }
  return problems == 0 ? 0 : 1;
}

}  // namespace

void add_status_command(CLI::App& app, CommandRunner& runner) {
  auto opt = std::make_shared<StatusOptions>();
  CLI::App* cmd = app.add_subcommand(
      "status", "Check every OCSP response and CRL; exit 1 when anything is stale or due");
  cmd->add_flag("--json", opt->json_output, "Machine-readable report");
  cmd->callback([&runner, opt] { runner.exit_code = run_status(runner, *opt); });
}

}  // namespace pkirepo::signer
