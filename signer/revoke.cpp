// `revoke`: record a revocation (RFC 5280 5.3.1 reasons allowed by BR 7.2.2; no suspension,
// CPS 4.9.13). Revoking an issuing CA's certificate is done on its parent (--ca PARENT).
#include <iostream>
#include <memory>

#include "audit/audit_log.h"
#include "policy/rules.h"
#include "signer/commands.h"
#include "signer/offline_ca.h"
#include "signer/revocation.h"
#include "signer/revocation_publisher.h"
#include "store/blocked_keys.h"
#include "x509/cert_info.h"
#include "x509/der.h"

namespace pkirepo::signer {

namespace {

// --revocation-date: 0 when not given; otherwise the checked time. Only a profile with
// backdated_revocation (code signing) may move revocationDate before the revocation itself.
UnixTime revocation_date(const Session& session, const RevocationRequest& req,
                         const store::CertRecord& rec, bool is_ca_cert) {
  if (req.revocation_date.empty()) {
    return 0;
  }
  const std::string option = "--revocation-date " + req.revocation_date;
  const ProfileConfig* profile = session.config().find_profile(rec.profile);
  if (is_ca_cert || profile == nullptr || !profile->backdated_revocation) {
    throw std::runtime_error(option + ": the certificate's profile " + rec.profile +
                             " does not allow a revocation date before the revocation (only "
                             "code signing profiles with backdated_revocation = true)");
  }
  const auto t = parse_rfc3339(req.revocation_date);
  if (!t) {
    throw std::runtime_error(option + ": not an RFC 3339 time (e.g. 2026-11-20T10:00:00Z)");
  }
  if (*t > session.now()) {
    throw std::runtime_error(option + ": lies in the future");
  }
  if (*t < rec.not_before) {
    throw std::runtime_error(option + ": before the certificate's notBefore " +
                             rfc3339(rec.not_before));
  }
  if (rec.status == store::CertStatus::revoked && *t > rec.revocation_time) {
    throw std::runtime_error(option + ": after the recorded revocation date " +
                             rfc3339(rec.revocation_time) + " (it may only move earlier)");
  }
  return *t;
}

}  // namespace

RevocationResult record_revocation(Session& session, store::WriteTxn& txn,
                                   const RevocationRequest& req) {
  auto ca = store::get_ca(txn, req.ca_id);
  if (!ca) {
    throw std::runtime_error("--ca " + req.ca_id + ": unknown CA (not in the store)");
  }
  Sha1Digest key_id{};
  if (req.known) {
    key_id = req.known->ca_key_id;
  } else {
    X509Ptr ca_cert = parse_cert_der(ca->cert_der);
    key_id = key_id_sha1(ca_cert.get());
  }
  Bytes serial;
  if (!parse_serial_hex(req.serial_hex, serial)) {
    throw std::runtime_error("--serial " + req.serial_hex + ": not a hexadecimal serial number");
  }
  auto rec = store::get_cert(txn, key_id, serial);
  if (!rec) {
    throw std::runtime_error("--serial " + req.serial_hex +
                             ": no certificate with this serial "
                             "was issued by CA " +
                             req.ca_id);
  }
  StatedReason reason;
  if (!policy::parse_reason(req.reason, reason)) {
    throw std::runtime_error("--reason " + req.reason +
                             ": not an allowed reason (unspecified, keyCompromise, cACompromise, "
                             "affiliationChanged, superseded, cessationOfOperation, "
                             "privilegeWithdrawn; certificateHold is never used, CPS 4.9.13)");
  }
  bool is_ca_cert = rec->profile == "ca";
  if (!policy::reason_allowed(reason, is_ca_cert)) {
    throw std::runtime_error("--reason " + req.reason + ": not allowed for a " +
                             (is_ca_cert ? "CA" : "subscriber") +
                             " certificate (BR 7.2.2, CCADB 3.2)");
  }
  if (is_ca_cert && !reason) {
    throw std::runtime_error(
        "--reason unspecified: a revoked CA certificate must carry a "
        "reasonCode (CCADB 3.2)");
  }
  if (rec->status == store::CertStatus::revoked) {
    // BR 4.9.1: the only change allowed after revocation is an upgrade to keyCompromise.
    if (!(reason == CrlReason::key_compromise && rec->reason != CrlReason::key_compromise)) {
      throw std::runtime_error("--serial " + req.serial_hex + ": already revoked (" +
                               policy::reason_name(rec->reason) + " at " +
                               rfc3339(rec->revocation_time) +
                               "); only an upgrade to keyCompromise is allowed");
    }
  }
  UnixTime invalidity = 0;
  if (!req.invalidity_date.empty()) {
    auto t = parse_rfc3339(req.invalidity_date);
    if (!t) {
      throw std::runtime_error("--invalidity-date " + req.invalidity_date +
                               ": not an RFC 3339 time (e.g. 2026-11-20T10:00:00Z)");
    }
    if (*t > session.now()) {
      throw std::runtime_error("--invalidity-date " + req.invalidity_date + ": lies in the future");
    }
    invalidity = *t;
  }
  const UnixTime backdated = revocation_date(session, req, *rec, is_ca_cert);
  bool upgrade = rec->status == store::CertStatus::revoked;
  rec->status = store::CertStatus::revoked;
  rec->reason = reason;
  if (!upgrade) {
    rec->revocation_time = session.now();
  }
  if (backdated != 0) {
    rec->revocation_time = backdated;
  }
  if (invalidity != 0) {
    rec->invalidity_date = invalidity;
  }
  store::put_cert(txn, key_id, serial, *rec);
  X509Ptr cert = req.known ? nullptr : parse_cert_der(rec->der);
  const bool described = req.known || cert;
  const std::string subject =
      req.known ? req.known->subject : (cert ? subject_string(cert.get()) : "");
  // CPS 4.9.12: a compromised key is certified never again (issue refuses it from now on); a
  // compromised CA's key likewise (import refuses it for a new CA certificate).
  bool key_blocked = false;
  const bool compromised =
      reason == CrlReason::key_compromise || (is_ca_cert && reason == CrlReason::ca_compromise);
  if (compromised && described) {
    const Sha256Digest spki = req.known ? req.known->spki : spki_sha256(cert.get());
    key_blocked = store::block_key(
        txn, spki,
        {session.now(),
         std::string(policy::reason_name(reason)) + " of CA " + req.ca_id + " serial " +
             to_hex(serial) + (req.ticket.empty() ? "" : " (" + req.ticket + ")"),
         session.operator_name()});
    if (key_blocked) {
      nlohmann::json details = {{"spki_sha256", to_hex(spki)},
                                {"ca", req.ca_id},
                                {"serial", to_hex(serial)},
                                {"source", "certificate_revoked"}};
      if (!req.ticket.empty()) {
        details["ticket"] = req.ticket;
      }
      audit::append(txn, session.now(), session.operator_name(), "key_blocked", details);
    }
  }
  nlohmann::json details = {{"ca", req.ca_id},
                            {"serial", to_hex(serial)},
                            {"subject", subject},
                            {"reason", policy::reason_name(reason)},
                            {"revocation_time", rfc3339(rec->revocation_time)},
                            {"invalidity_date", invalidity ? rfc3339(invalidity) : ""},
                            {"revocation_date_set", backdated != 0},
                            {"ca_certificate", is_ca_cert}};
  if (!req.ticket.empty()) {
    details["ticket"] = req.ticket;
  }
  audit::append(txn, session.now(), session.operator_name(),
                upgrade ? "revocation_reason_changed" : "certificate_revoked", details);
  return {to_hex(serial), *rec, is_ca_cert};
}

namespace {

int run_revoke(CommandRunner& runner, const RevocationRequest& req, bool publish) {
  Session session(runner.globals, runner.now);
  RevocationResult result;
  // --publish: keys are loaded first; the revocation, its OCSP responses and its CRL shard
  // then commit in one transaction (CPS 4.9.7), or nothing does.
  std::unique_ptr<RevocationPublisher> publisher;
  // An offline CA's key is not here: the revocation is recorded, its CRL and response come from
  // a ceremony (offline_ca.h; `status` shows the 24-hour deadline until they are imported).
  const bool offline = is_offline(session.config(), req.ca_id);
  if (publish && !offline) {
    publisher = std::make_unique<RevocationPublisher>(session, req.ca_id);
  }
  RevocationPublisher::Outcome published;
  session.store().transact([&](store::WriteTxn& txn) {
    result = record_revocation(session, txn, req);
    if (publisher) {
      published = publisher->publish(txn, {result});
    }
  });
  std::cout << "revoked serial " << result.serial_hex << " of CA " << req.ca_id << " ("
            << policy::reason_name(result.record.reason) << ") at "
            << rfc3339(result.record.revocation_time) << "\n";
  if (offline) {
    std::cout << "CA " << req.ca_id << " is offline: the revocation is recorded; its CRL and OCSP "
              << "response must be re-signed at a ceremony and imported by "
              << rfc3339(result.record.revocation_time + kCaRevocationDeadline)
              << " (24 hours, BR 4.9.7)" << (publish ? "; --publish signed nothing" : "") << "\n";
  }
  if (publisher) {
    for (const RevocationPublisher::Shard& shard : published.shards) {
      std::cout << "published: " << published.responses << " OCSP responses and CRL shard "
                << shard.shard << " number " << shard.crl_number << " (thisUpdate "
                << rfc3339(published.this_update) << ")\n";
    }
  }
  return 0;
}

}  // namespace

void add_revoke_command(CLI::App& app, CommandRunner& runner) {
  auto req = std::make_shared<RevocationRequest>();
  CLI::App* cmd = app.add_subcommand("revoke", "Revoke a certificate");
  cmd->add_option("--ca", req->ca_id, "The CA that issued the certificate")->required();
  cmd->add_option("--serial", req->serial_hex, "Serial number in hex")->required();
  cmd->add_option("--reason", req->reason, "RFC 5280 reason name")->required();
  cmd->add_option("--invalidity-date", req->invalidity_date,
                  "RFC 3339 time the key was compromised");
  cmd->add_option("--revocation-date", req->revocation_date,
                  "RFC 3339 revocationDate before now (code signing profiles with "
                  "backdated_revocation only)");
  cmd->add_option("--ticket", req->ticket,
                  "The incident or request this answers (in the audit record)");
  auto publish = std::make_shared<bool>(false);
  cmd->add_flag("--publish", *publish,
                "Re-sign the certificate's OCSP responses and CRL shard now, in the same "
                "transaction");
  cmd->callback([&runner, req, publish] { runner.exit_code = run_revoke(runner, *req, *publish); });
}

}  // namespace pkirepo::signer
