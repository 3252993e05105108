// `ceremony --ca ID --out FILE [--new-ca SUBID --csr FILE]...`: on the offline machine, with
// the config, a copy of the online store (`export`, installed as the store) and the offline
// CA's key, sign what only that key can sign into one bundle (ceremony_bundle.h) for `import`:
//   - each new subordinate CA certificate, from the request `ca request` made online, built
//     and checked exactly as `init` builds a CA certificate (ca_certificate.h);
//   - the CA's next CRL: cRLNumber one above the store copy's, every revoked certificate it
//     issued, nextUpdate crl.root_validity later (BR 4.9.7: at most 12 months), checked by
//     crl_signing.h's safety checks against the copy's CRL;
//   - an OCSP response per CertID hash for every live certificate it issued (its CA
//     certificates, the new ones too), signed with the CA key itself (RFC 6960 2.6), valid as
//     long as the CRL (BR 4.9.10: CA certificates' status at least every 12 months).
// The store copy is opened read-only and never written: the ceremony's record is the bundle,
// and its audit record is written when the online host imports it. Prints what the minutes
// need: fingerprints, serials, the CRL number and the bundle's SHA-256.
#include <iostream>
#include <set>

#include "audit/audit_log.h"
#include "signer/ca_certificate.h"
#include "signer/ca_context.h"
#include "signer/ca_lifecycle.h"
#include "signer/ceremony_bundle.h"
#include "signer/cert_records.h"
#include "signer/certificate_request.h"
#include "signer/commands.h"
#include "signer/crl_shards.h"
#include "signer/crl_signing.h"
#include "signer/ocsp_signing.h"
#include "signer/offline_ca.h"
#include "store/store.h"
#include "x509/cert_info.h"
#include "x509/der.h"

namespace pkirepo::signer {
namespace {

struct CeremonyOptions {
  std::string ca;
  std::string out;
  std::vector<std::string> new_cas;
  std::vector<std::string> csrs;
};

// A CSR is a few hundred bytes; anything far larger is not the one `ca request` wrote.
constexpr size_t kMaxCsrBytes = 64 * 1024;

// The certificate of subordinate `sub_id` for the request in `csr_path`, signed by `ca`.
BundleCaCertificate sign_subordinate(const Config& cfg, const CaContext& ca, EVP_PKEY* ca_key,
                                     const store::Txn& txn, const std::string& sub_id,
                                     const std::string& csr_path, UnixTime now) {
  const std::string what = "--new-ca " + sub_id;
  const CaConfig* sub = cfg.find_ca(sub_id);
  if (sub == nullptr) {
    throw std::runtime_error(what + ": unknown CA (not in " + cfg.file.string() + ")");
  }
  if (sub->parent != ca.record.id) {
    throw std::runtime_error(what + ": its parent in the config is \"" + sub->parent + "\", not " +
                             ca.record.id);
  }
  if (store::get_ca(txn, sub_id)) {
    throw std::runtime_error(what + ": already in the store");
  }
  const Bytes data = read_file(csr_path);
  if (data.size() > kMaxCsrBytes) {
    throw std::runtime_error("--csr " + csr_path + ": larger than 64 KiB: not a CA request");
  }
  std::string why;
  auto req = CertificateRequest::parse(data, why);
  if (!req) {
    throw std::runtime_error("--csr " + csr_path + ": " + why);
  }
  if (!req->signature_verifies()) {
    throw std::runtime_error("--csr " + csr_path +
                             ": the request's signature does not verify (CPS 3.2.1)");
  }
  X509NamePtr expected = parse_name(sub->subject);
  if (X509_NAME_cmp(req->subject(), expected.get()) != 0) {
    throw std::runtime_error("--csr " + csr_path + ": subject " + name_to_string(req->subject()) +
                             " is not CA " + sub_id + "'s subject " + sub->subject +
                             " (the request of another CA?)");
  }
  X509Ptr cert = build_ca_certificate(cfg, *sub, req->public_key(), ca.cert.get(), ca_key, now);
  return {sub_id, to_der(cert.get())};
}

// The CA's next CRL over every revoked certificate it issued, checked against the copy's.
Bytes sign_crl(const Config& cfg, const CaContext& ca, EVP_PKEY* ca_key, const store::Txn& txn,
               const std::vector<IssuedCertificate>& issued, UnixTime now) {
  const CrlSuccessor successor = next_crl(txn, ca.record.id, 0, now);
  const std::optional<store::CrlRecord>& previous = successor.previous;
  CrlSpec spec;
  spec.issuer = ca.cert.get();
  spec.key = ca_key;
  spec.crl_number = successor.crl_number;
  spec.this_update = successor.this_update;
  spec.next_update = spec.this_update + std::min(ca.crl_validity, kOfflineMaxValidity);
  if (cfg.crl.next_crl_publish) {
    spec.next_publish = spec.next_update - cfg.crl.refresh_before.seconds;
  }
  for (const IssuedCertificate& c : issued) {
    if (on_crl(cfg, c, spec.this_update)) {
      spec.entries.push_back(crl_entry(cfg, c.serial, c.record));
    }
  }
  X509CrlPtr crl = build_crl(spec);
  store::CrlRecord next;
  next.crl_number = spec.crl_number;
  next.this_update = spec.this_update;
  next.next_update = spec.next_update;
  next.der = to_der(crl.get());
  const std::string problem =
      check_crl_safety(previous ? &*previous : nullptr, next, ca.cert.get(), spec.entries,
                       [&](ByteView serial) -> std::optional<UnixTime> {
                         auto rec = store::get_cert(txn, ca.key_id, serial);
                         return rec ? std::optional<UnixTime>(rec->not_after) : std::nullopt;
                       });
  if (!problem.empty()) {
    throw std::runtime_error("CA " + ca.record.id + ": CRL refused: " + problem);
  }
  return next.der;
}

// One response per CertID hash for every live certificate the CA issued, signed by its key.
std::vector<Bytes> sign_responses(const Config& cfg, const CaContext& ca, EVP_PKEY* ca_key,
                                  const store::Txn& txn,
                                  const std::vector<IssuedCertificate>& issued, UnixTime now) {
  OcspResponseSigner signer(ca.cert.get(), ca.cert.get(), ca_key, false);
  OcspSigningContext context(signer);
  std::vector<Bytes> out;
  for (const IssuedCertificate& c : issued) {
    if (!needs_response(c, now)) {
      continue;
    }
    for (CertIdHash h : ocsp_cert_id_hashes(cfg)) {
      // thisUpdate never goes backwards (due.h response_times), nextUpdate never past the CA.
      UnixTime this_update = now;
      if (auto v = txn.get(store::Db::ocsp, signer.store_key(h, c.serial))) {
        store::OcspView view;
        if (store::decode_view(*v, view)) {
          this_update = std::max(now, view.this_update);
        }
      }
      const UnixTime next_update = std::min(
          this_update + std::min(ca.crl_validity, kOfflineMaxValidity), not_after(ca.cert.get()));
      store::OcspRecord record;
      std::string error;
      if (next_update <= this_update || !context.sign(h, c.serial, ocsp_status(c.record),
                                                      this_update, next_update, record, error)) {
        throw std::runtime_error(
            "CA " + ca.record.id + ": OCSP response for serial " + to_hex(c.serial) +
            " not signed: " + (error.empty() ? "the CA certificate expires first" : error));
      }
      out.push_back(std::move(record.der));
    }
  }
  return out;
}

int run_ceremony(CommandRunner& runner, const CeremonyOptions& opt) {
  Session session(runner.globals, runner.now);  // never session.store(): that is the writer
  const Config& cfg = session.config();
  const UnixTime now = session.now();
  if (opt.new_cas.size() != opt.csrs.size()) {
    throw std::runtime_error(
        "--new-ca and --csr come in pairs: " + std::to_string(opt.new_cas.size()) + " --new-ca, " +
        std::to_string(opt.csrs.size()) + " --csr");
  }
  if (std::set<std::string>(opt.new_cas.begin(), opt.new_cas.end()).size() != opt.new_cas.size()) {
    throw std::runtime_error("--new-ca: a CA is named twice");
  }
  const CaConfig* ca_config = cfg.find_ca(opt.ca);
  if (ca_config == nullptr || !ca_config->offline) {
    throw std::runtime_error("--ca " + opt.ca +
                             (ca_config == nullptr
                                  ? ": unknown CA (not in " + cfg.file.string() + ")"
                                  : ": not offline (offline = true in the config); "
                                    "its status is signed by `run`"));
  }
  if (std::filesystem::exists(opt.out)) {
    throw std::runtime_error("--out " + opt.out + ": already exists; refusing to overwrite it");
  }
  store::ReadStore st(cfg.repository.store);
  store::ReadTxn txn = st.begin_read();
  // The copy's audit log is the online host's: a ceremony clock behind it would sign times
  // that go backwards, and import would refuse them anyway.
  audit::check_clock(txn, now);
  auto record = store::get_ca(txn, opt.ca);
  if (!record) {
    throw std::runtime_error("--ca " + opt.ca + ": not in the store copy " +
                             cfg.repository.store.string());
  }
  if (auto unusable = ca_unusable_reason(txn, opt.ca, now)) {
    throw std::runtime_error("--ca " + opt.ca + ": " + *unusable + ": it signs nothing");
  }
  const CaContext ca = make_ca_context(cfg, std::move(*record));
  if (ca.sharded) {
    throw std::runtime_error("--ca " + opt.ca + ": partitioned CRLs are not signed at ceremonies");
  }
  EvpPkeyPtr key = session.load_ca_key(ca.record);

  CeremonyBundle bundle;
  bundle.ca_id = opt.ca;
  bundle.signed_at = now;
  bundle.operator_name = session.operator_name();
  std::vector<IssuedCertificate> issued = issued_certificates(txn, ca.key_id);
  for (size_t i = 0; i < opt.new_cas.size(); ++i) {
    bundle.ca_certificates.push_back(
        sign_subordinate(cfg, ca, key.get(), txn, opt.new_cas[i], opt.csrs[i], now));
    X509Ptr cert = parse_cert_der(bundle.ca_certificates.back().der);
    issued.push_back(issued_ca_certificate(cert.get(), opt.ca));
  }
  bundle.crl_der = sign_crl(cfg, ca, key.get(), txn, issued, now);
  bundle.ocsp_responses = sign_responses(cfg, ca, key.get(), txn, issued, now);
  const std::string text = encode_bundle(bundle);
  write_file_atomic(opt.out, as_bytes(text), 0644);

  // The minutes.
  std::cout << "ceremony of CA " << opt.ca << " at " << rfc3339(now) << " by "
            << session.operator_name() << "\n";
  for (const BundleCaCertificate& c : bundle.ca_certificates) {
    X509Ptr cert = parse_cert_der(c.der);
    std::cout << "  new CA " << c.ca_id << ": " << subject_string(cert.get()) << " serial "
              << serial_hex(cert.get()) << " until " << rfc3339(not_after(cert.get())) << " sha256 "
              << to_hex(fingerprint_sha256(cert.get()), true, ':') << "\n";
  }
  X509CrlPtr crl = parse_crl_der(bundle.crl_der);
  std::cout << "  CRL number " << crl_number_of(crl.get()).value_or(0) << ", entries "
            << crl_serials(crl.get()).size() << ", nextUpdate "
            << rfc3339(to_unix(X509_CRL_get0_nextUpdate(crl.get())).value_or(0)) << " sha256 "
            << to_hex(sha256(bundle.crl_der), true, ':') << "\n";
  std::cout << "  OCSP responses " << bundle.ocsp_responses.size()
            << " for the certificates it issued\n";
  std::cout << "bundle " << opt.out << " sha256 " << to_hex(sha256(as_bytes(text)), true, ':')
            << ": carry it to the online host and run `pkirepo-signer import " << opt.out << "`\n";
  return 0;
}

}  // namespace

void add_ceremony_command(CLI::App& app, CommandRunner& runner) {
  auto opt = std::make_shared<CeremonyOptions>();
  CLI::App* cmd = app.add_subcommand(
      "ceremony",
      "On the offline machine: sign an offline CA's CRL, CA-certificate OCSP responses and new "
      "subordinate CAs into a bundle for `import` (never writes the store)");
  cmd->add_option("--ca", opt->ca, "The offline CA")->required();
  cmd->add_option("--out", opt->out, "The bundle to write (JSON)")->required();
  cmd->add_option("--new-ca", opt->new_cas, "A new subordinate CA's id (with --csr)");
  cmd->add_option("--csr", opt->csrs, "Its request, from `pkirepo-signer ca request`");
  cmd->callback([&runner, opt] { runner.exit_code = run_ceremony(runner, *opt); });
}

}  // namespace pkirepo::signer
