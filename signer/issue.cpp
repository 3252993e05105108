// `issue`: certificates from approved CSRs under a profile (CPS 4.3). Each request is decided
// on its own, in parallel on every core; issued certificates and audit records are committed
// in batches, one write transaction per batch.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <thread>

#include "audit/audit_log.h"
#include "policy/names.h"
#include "policy/profiles.h"
#include "policy/rules.h"
#include "signer/ca_lifecycle.h"
#include "signer/cert_builder.h"
#include "signer/certificate_request.h"
#include "signer/commands.h"
#include "signer/csr_spool.h"
#include "signer/first_responses.h"
#include "signer/ocsp_tally.h"
#include "store/blocked_keys.h"
#include "x509/cert_info.h"
#include "x509/der.h"

namespace pkirepo::signer {
namespace {

constexpr size_t kBatchSize = 1000;
// A PKCS#10 request with a key and 100 names is under 8 KiB; anything far larger is refused
// before it is parsed.
constexpr size_t kMaxRequestBytes = 32 * 1024;

struct IssueOptions {
  std::string profile;
  std::string ca;
  std::vector<std::string> csr_files;
  std::string csr_dir;
  std::string out;
  std::string out_dir;
  std::string done_dir;    // --csr-dir: where issued requests go (default DIR/done)
  std::string failed_dir;  // --csr-dir: where refused requests go (default DIR/failed)
  int threads = 0;
};

// Everything a decision needs, shared read-only by the worker threads.
struct IssuingContext {
  const Config* config = nullptr;
  const CaConfig* ca = nullptr;
  const ProfileConfig* profile = nullptr;
  X509* ca_cert = nullptr;
  EVP_PKEY* ca_key = nullptr;  // nullptr when `ca_unusable` is set
  UnixTime now = 0;
  std::string ca_unusable;  // why the CA issues nothing (ca_lifecycle.h); empty when it may
  policy::NameRules name_rules;
  // OCSP at issuance (first_responses.h); null when responses wait for the next `run`.
  const FirstResponses* first_responses = nullptr;
  // Compromised keys (store/blocked_keys.h), read once: a request for one is refused before
  // anything is signed. The signer lock keeps the list from changing under the command.
  std::map<Sha256Digest, store::BlockedKey> blocked_keys;
  // The profile's extensions depend only on the CRL shard and on whether the subject key is
  // RSA (keyEncipherment): built once per command, index shard * 2 + (RSA ? 1 : 0).
  std::vector<std::vector<X509ExtensionPtr>> extensions;

  void build_extensions_once() {
    // subscriber_extensions() only looks at the key's type.
    EvpPkeyPtr ec(EVP_PKEY_new());
    EVP_PKEY_set_type(ec.get(), EVP_PKEY_EC);
    EvpPkeyPtr rsa(EVP_PKEY_new());
    EVP_PKEY_set_type(rsa.get(), EVP_PKEY_RSA);
    for (int shard = 0; shard < std::max(1, config->crl.shards); ++shard) {
      for (EVP_PKEY* key : {ec.get(), rsa.get()}) {
        extensions.push_back(build_extensions(
            policy::subscriber_extensions(*config, *ca, *profile, key, shard), ca_cert));
      }
    }
  }
  [[nodiscard]] const std::vector<X509ExtensionPtr>& extensions_for(int shard,
                                                                    const EVP_PKEY* key) const {
    return extensions[static_cast<size_t>(shard) * 2 +
                      (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA ? 1 : 0)];
  }
};

struct Outcome {
  std::string source;   // CSR file
  std::string refusal;  // empty when issued
  X509Ptr cert;
  std::string subject;
  store::CertRecord record;
  Bytes serial;
  std::string spool_name;      // CsrSpool::record_name() of a request from --csr-dir; else empty
  std::vector<OcspWork> ocsp;  // its first responses, signed and encoded (OCSP at issuance)
  std::string ocsp_error;      // why they could not be signed (the next `run` signs them)
};

std::string refuse_reason(const std::vector<policy::Finding>& findings) {
  for (const auto& f : findings) {
    if (f.severity == policy::Severity::error) {
      return f.message + " (" + f.rule + ")";
    }
  }
  return {};
}

// The request's subjectAltName as names and criticality; `names` stays null when there is none.
// False with `why` when the extension does not decode.
bool requested_names(const CertificateRequest& csr, GeneralNamesPtr& names, bool& critical,
                     std::string& why) {
  X509ExtensionPtr san = csr.subject_alt_name();
  if (!san) {
    return true;
  }
  critical = X509_EXTENSION_get_critical(san.get()) == 1;
  names.reset(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(san.get())));
  if (!names) {
    (void)openssl_error();
    why = "the request's subjectAltName does not decode (RFC 5280 4.2.1.6)";
    return false;
  }
  return true;
}

void decide(const IssuingContext& ctx, const SigningTemplate* signing, Outcome& out) {
  if (!ctx.ca_unusable.empty()) {
    out.refusal = ctx.ca_unusable;
    return;
  }
  Bytes data;
  try {
    if (const auto size = std::filesystem::file_size(out.source); size > kMaxRequestBytes) {
      out.refusal = "the request is " + std::to_string(size) + " bytes, more than the " +
                    std::to_string(kMaxRequestBytes) + " a request may have";
      return;
    }
    data = read_file(out.source);
  } catch (const std::exception& e) {
    out.refusal = e.what();
    return;
  }
  std::string why;
  std::unique_ptr<CertificateRequest> csr = CertificateRequest::parse(data, why);
  if (!csr) {
    out.refusal = why;
    return;
  }
  EVP_PKEY* pub = csr->public_key();
  if (auto f = policy::check_key_encoding(csr->key_algorithm(), csr->key_bits())) {
    out.refusal = f->message + " (" + f->rule + ")";
    return;
  }
  if (!csr->signature_verifies()) {
    out.refusal = "the request's signature does not verify (proof of possession, CPS 3.2.1)";
    return;
  }
  if (!ctx.blocked_keys.empty()) {
    const Sha256Digest spki = spki_sha256(pub);
    if (auto it = ctx.blocked_keys.find(spki); it != ctx.blocked_keys.end()) {
      out.refusal = "the request's public key (SPKI SHA-256 " + to_hex(spki) +
                    ") is blocked as compromised " + store::describe(it->second) +
                    " (CPS 4.9.12, BR 6.1.1.3)";
      return;
    }
  }
  const X509_NAME* subject = csr->subject();
  out.subject = name_to_string(subject);
  if (X509_NAME_get_index_by_NID(const_cast<X509_NAME*>(subject), NID_commonName, -1) < 0) {
    out.refusal = "the request's subject has no CN (CPS 3.1.1)";
    return;
  }
  // Only the names are taken from the request, checked and encoded again; the profile decides
  // every other extension.
  GeneralNamesPtr names;
  bool san_critical = false;
  if (!requested_names(*csr, names, san_critical, out.refusal)) {
    return;
  }
  if (ctx.profile->require_san && !names) {
    out.refusal = "profile " + ctx.profile->id + " requires a subjectAltName";
    return;
  }
  out.refusal =
      refuse_reason(policy::check_names(subject, names.get(), san_critical, ctx.name_rules));
  if (!out.refusal.empty()) {
    return;
  }
  X509ExtensionPtr san;
  if (names) {
    try {
      san = policy::san_extension(names.get(), san_critical);
    } catch (const std::exception& e) {
      out.refusal = e.what();
      return;
    }
  }
  // Validity counts inclusively (BR 6.3.2): a profile of N days ends N days less one second
  // after notBefore.
  UnixTime nb = ctx.now;
  UnixTime na = ctx.now + ctx.profile->validity.seconds - 1;
  if (na > not_after(ctx.ca_cert)) {
    out.refusal = "notAfter " + rfc3339(na) + " would be beyond the issuing CA's notAfter " +
                  rfc3339(not_after(ctx.ca_cert)) + " (CPS 6.3.2)";
    return;
  }
  if (auto f = policy::check_validity(policy::CertType::subscriber, nb, na)) {
    out.refusal = f->message + " (" + f->rule + ")";
    return;
  }
  if (ctx.profile->tls_server()) {
    if (auto f = policy::check_tls_validity(nb, na)) {
      out.refusal = f->message + " (" + f->rule + ")";
      return;
    }
  }
  if (ctx.profile->short_lived) {
    // BR 1.6.1 (ballot SC-063): what counts as short-lived depends on the notBefore.
    const int64_t max_days = policy::tls_validity_at(nb).short_lived_days;
    if (policy::inclusive_validity(nb, na) > max_days * 86400) {
      out.refusal = "profile " + ctx.profile->id + " is short-lived, and its validity of " +
                    ctx.profile->validity.text + " exceeds the " + std::to_string(max_days) +
                    "-day maximum for a short-lived certificate (BR 1.6.1)";
      return;
    }
  }
  out.refusal = refuse_reason(policy::check_public_key(pub, policy::CertType::subscriber, nb, na));
  if (!out.refusal.empty()) {
    return;
  }
  out.serial = random_serial();
  int shard = policy::shard_of(out.serial, ctx.config->crl.shards);
  CertSpec spec;
  spec.subject = subject;
  spec.public_key = pub;
  spec.public_key_algorithm = csr->key_algorithm();
  spec.public_key_bits = csr->key_bits();
  spec.not_before = nb;
  spec.not_after = na;
  spec.serial = out.serial;
  spec.issuer = ctx.ca_cert;
  spec.signing_key = ctx.ca_key;
  spec.signing_template = signing;
  for (const X509ExtensionPtr& e : ctx.extensions_for(shard, pub)) {
    spec.extra_extensions.push_back(e.get());
  }
  if (san) {
    spec.extra_extensions.push_back(san.get());
  }
  try {
    out.cert = build_certificate(spec);
  } catch (const std::exception& e) {
    out.refusal = e.what();
    return;
  }
  // The same lint an operator runs by hand (one implementation); the key was checked above,
  // before signing, so its checks are not run twice.
  out.refusal = refuse_reason(policy::lint_certificate(out.cert.get(), ctx.ca_cert, true));
  if (!out.refusal.empty()) {
    out.cert.reset();
    return;
  }
  out.record.ca_id = ctx.ca->id;
  out.record.not_before = nb;
  out.record.not_after = na;
  out.record.issued_at = ctx.now;
  out.record.profile = ctx.profile->id;
  out.record.shard = static_cast<uint16_t>(shard);
  out.record.ocsp_url = has_ocsp_url(out.cert.get());
  out.record.crl_dp = has_crl_distribution_point(out.cert.get());
  out.record.der = to_der(out.cert.get());
}

const CaConfig& choose_ca(const Config& cfg, const IssueOptions& opt) {
  if (!opt.ca.empty()) {
    const CaConfig* ca = cfg.find_ca(opt.ca);
    if (ca == nullptr) {
      throw std::runtime_error("--ca " + opt.ca + ": unknown CA (not in " + cfg.file.string() +
                               ")");
    }
    if (std::find(ca->profiles.begin(), ca->profiles.end(), opt.profile) == ca->profiles.end()) {
      throw std::runtime_error("--ca " + opt.ca + ": this CA does not issue under profile " +
                               opt.profile);
    }
    return *ca;
  }
  const CaConfig* found = nullptr;
  for (const auto& ca : cfg.cas) {
    if (std::find(ca.profiles.begin(), ca.profiles.end(), opt.profile) != ca.profiles.end()) {
      if (found != nullptr) {
        throw std::runtime_error("--profile " + opt.profile + ": CAs " + found->id + " and " +
                                 ca.id + " both issue under it; choose one with --ca");
      }
      found = &ca;
    }
  }
  if (found == nullptr) {
    throw std::runtime_error("--profile " + opt.profile + ": no CA issues under this profile");
  }
  return *found;
}

int run_issue(CommandRunner& runner, const IssueOptions& opt) {
  auto started = std::chrono::steady_clock::now();
  Session session(runner.globals, runner.now);
  const Config& cfg = session.config();
  const ProfileConfig* profile = cfg.find_profile(opt.profile);
  if (profile == nullptr) {
    throw std::runtime_error("--profile " + opt.profile + ": unknown profile (not in " +
                             cfg.file.string() + ")");
  }
  const CaConfig& ca = choose_ca(cfg, opt);
  std::vector<std::string> files = opt.csr_files;
  std::optional<CsrSpool> spool;
  if (!opt.csr_dir.empty()) {
    spool.emplace(opt.csr_dir, opt.done_dir, opt.failed_dir);
    const std::vector<std::string> waiting = spool->waiting();
    files.insert(files.end(), waiting.begin(), waiting.end());
  } else if (!opt.done_dir.empty() || !opt.failed_dir.empty()) {
    throw std::runtime_error("--done-dir and --failed-dir go with --csr-dir");
  }
  if (files.empty() && !spool) {
    throw std::runtime_error("issue: no CSR given (use --csr FILE or --csr-dir DIR)");
  }
  if (!opt.out.empty() && files.size() != 1) {
    throw std::runtime_error("--out " + opt.out + ": takes one CSR; use --out-dir for several");
  }
  if (!opt.out_dir.empty()) {
    std::filesystem::create_directories(opt.out_dir);
  }
  check_profile_dates(cfg, session.now(), true);
  store::WriteStore& st = session.store();
  std::optional<store::CaRecord> ca_record;
  std::optional<std::string> unusable;
  std::map<Sha256Digest, store::BlockedKey> blocked_keys;
  {
    store::ReadTxn txn = st.begin_read();
    ca_record = store::get_ca(txn, ca.id);
    if (ca_record) {
      unusable = ca_unusable_reason(txn, ca.id, session.now());
    }
    blocked_keys = store::all_blocked_keys(txn);
  }
  if (!ca_record) {
    throw std::runtime_error("CA " + ca.id + " is not initialized (run pkirepo-signer init)");
  }
  X509Ptr ca_cert = parse_cert_der(ca_record->cert_der);
  // A CA that may not issue refuses every request (each one audited as rejected) without its
  // key being opened.
  EvpPkeyPtr ca_key = unusable ? nullptr : session.load_ca_key(*ca_record);
  IssuingContext ctx;
  ctx.config = &cfg;
  ctx.ca = &ca;
  ctx.profile = profile;
  ctx.ca_cert = ca_cert.get();
  ctx.ca_key = ca_key.get();
  ctx.now = session.now();
  ctx.blocked_keys = std::move(blocked_keys);
  if (unusable) {
    ctx.ca_unusable = "CA " + ca.id + " issues nothing: " + *unusable;
  } else {
    ctx.build_extensions_once();
  }
  // OCSP at issuance: for a CA that serves OCSP and a profile that is not short-lived.
  std::unique_ptr<FirstResponses> first_responses;
  if (cfg.ocsp.sign_at_issuance && !unusable && ca.ocsp && !profile->short_lived &&
      !files.empty()) {
    first_responses = FirstResponses::prepare(session, *ca_record);
    ctx.first_responses = first_responses.get();
  }
  ctx.name_rules.tls_server = profile->tls_server();
  ctx.name_rules.domain_validated =
      std::find(profile->policy_oids.begin(), profile->policy_oids.end(),
                policy::kDomainValidatedPolicy) != profile->policy_oids.end();
  const Sha1Digest ca_key_id = key_id_sha1(ca_cert.get());

  // Spooled requests: each one's name in the store; one issued before (a run that crashed
  // after its commit, before the move) is only moved, never issued again.
  std::map<std::string, std::string> spool_names;  // file -> CsrSpool::record_name()
  size_t already = 0;
  // Records of requests whose files reached done/: forgotten once they are there.
  std::vector<std::string> moved;
  auto forget_moved = [&] {
    if (!moved.empty()) {
      st.transact([&](store::WriteTxn& txn) { CsrSpool::forget(txn, moved); });
      moved.clear();
    }
  };
  if (spool) {
    std::vector<std::string> kept(opt.csr_files);
    store::ReadTxn txn = st.begin_read();
    for (size_t i = opt.csr_files.size(); i < files.size(); ++i) {
      std::string name;
      try {
        if (std::filesystem::file_size(files[i]) <= kMaxRequestBytes) {
          name = CsrSpool::record_name(read_file(files[i]));
        }
      } catch (const std::exception&) {
        // decide() refuses it with the reason
      }
      if (auto serial = name.empty() ? std::nullopt : CsrSpool::issued_serial(txn, name)) {
        spool->done(files[i], *serial);
        moved.push_back(name);
        std::cout << "issue: " << files[i] << ": already issued as serial " << *serial
                  << "; moved to " << spool->done_dir().string() << "\n";
        ++already;
        continue;
      }
      spool_names[files[i]] = name;
      kept.push_back(files[i]);
    }
    files = std::move(kept);
  }
  forget_moved();

  size_t issued = 0;
  size_t refused = 0;
  unsigned threads = opt.threads > 0 ? static_cast<unsigned>(opt.threads)
                                     : std::max(1u, std::thread::hardware_concurrency());
  // Decides one batch on `threads` threads. Returned as a joinable job so the next batch is
  // signed while the main thread commits and writes out the previous one.
  struct BatchJob {
    std::vector<Outcome> batch;
    std::atomic<size_t> next{0};
    std::vector<std::thread> pool;
    // A commit that throws must not leave running threads behind (std::terminate).
    ~BatchJob() {
      for (auto& t : pool) {
        if (t.joinable()) {
          t.join();
        }
      }
    }
  };
  auto start_batch = [&](size_t begin) {
    auto job = std::make_unique<BatchJob>();
    size_t end = std::min(files.size(), begin + kBatchSize);
    job->batch.resize(end - begin);
    for (size_t i = 0; i < job->batch.size(); ++i) {
      job->batch[i].source = files[begin + i];
      if (auto it = spool_names.find(files[begin + i]); it != spool_names.end()) {
        job->batch[i].spool_name = it->second;
      }
    }
    BatchJob* j = job.get();
    for (unsigned t = 0; t < std::min<size_t>(threads, j->batch.size()); ++t) {
      j->pool.emplace_back([&ctx, j] {
        std::unique_ptr<SigningTemplate> signing;
        std::unique_ptr<OcspSigningContext> ocsp;
        try {
          if (ctx.ca_key != nullptr) {
            signing = std::make_unique<SigningTemplate>(ctx.ca_key);
          }
          if (ctx.first_responses != nullptr) {
            ocsp = std::make_unique<OcspSigningContext>(ctx.first_responses->signer());
          }
        } catch (const std::exception& e) {
          for (size_t i = j->next++; i < j->batch.size(); i = j->next++) {
            j->batch[i].refusal = e.what();
          }
          return;
        }
        for (size_t i = j->next++; i < j->batch.size(); i = j->next++) {
          decide(ctx, signing.get(), j->batch[i]);
          if (ocsp && j->batch[i].cert && j->batch[i].record.ocsp_url) {
            Outcome& o = j->batch[i];
            (void)ctx.first_responses->sign(*ocsp, o.serial, o.ocsp, o.ocsp_error);
          }
        }
      });
    }
    return job;
  };
  std::unique_ptr<BatchJob> pending = files.empty() ? nullptr : start_batch(0);
  for (size_t begin = 0; begin < files.size(); begin += kBatchSize) {
    for (auto& t : pending->pool) {
      t.join();
    }
    std::vector<Outcome> batch = std::move(pending->batch);
    pending.reset();
    if (begin + kBatchSize < files.size()) {
      pending = start_batch(begin + kBatchSize);
    }

    st.transact([&](store::WriteTxn& txn) {
      OcspTally tally;
      if (std::any_of(batch.begin(), batch.end(),
                      [](const Outcome& o) { return !o.ocsp.empty(); })) {
        store::put_ocsp_tail(txn, ctx.first_responses->tail());
      }
      for (Outcome& o : batch) {
        if (o.cert && txn.get(store::Db::certs, store::cert_key(ca_key_id, o.serial))) {
          o.refusal = "serial collision with an existing certificate";  // 2^-127: still checked
          o.cert.reset();
        }
        if (!o.cert) {
          audit::append(txn, session.now(), session.operator_name(), "certificate_request_rejected",
                        {{"ca", ca.id},
                         {"profile", profile->id},
                         {"request", o.source},
                         {"subject", o.subject},
                         {"reason", o.refusal}});
          continue;
        }
        store::put_new_cert(txn, ca_key_id, o.serial, o.record, o.cert.get());
        if (!o.spool_name.empty()) {
          CsrSpool::record(txn, o.spool_name, to_hex(o.serial));
        }
        for (const OcspWork& w : o.ocsp) {
          txn.put(store::Db::ocsp, w.key, w.value);
          tally.add(w);
        }
        audit::append(txn, session.now(), session.operator_name(), "certificate_issued",
                      {{"ca", ca.id},
                       {"profile", profile->id},
                       {"request", o.source},
                       {"subject", o.subject},
                       {"serial", to_hex(o.serial)},
                       {"not_after", rfc3339(o.record.not_after)},
                       {"sha256", to_hex(sha256(o.record.der))}});
      }
      if (tally.count > 0) {
        tally.seal();
        audit::append(txn, session.now(), session.operator_name(), "ocsp_responses_signed",
                      tally.audit_details(ca.id, ctx.first_responses->signer_serial(), false));
      }
    });
    for (Outcome& o : batch) {
      const bool spooled = spool && spool_names.contains(o.source);
      if (!o.cert) {
        ++refused;
        std::cerr << "pkirepo-signer: issue: " << o.source << ": refused: " << o.refusal << "\n";
        if (spooled) {
          spool->failed(o.source, o.refusal);
        }
        continue;
      }
      if (spooled) {
        spool->done(o.source, to_hex(o.serial));
        moved.push_back(o.spool_name);
      }
      if (!o.ocsp_error.empty()) {
        std::cerr << "pkirepo-signer: issue: " << o.source << ": warning: no OCSP response at "
                  << "issuance (" << o.ocsp_error << "); the next run signs it\n";
      }
      ++issued;
      std::string pem = to_pem(o.cert.get());
      if (!opt.out.empty()) {
        write_file_atomic(opt.out, as_bytes(pem));
      } else if (!opt.out_dir.empty()) {
        // Not fsynced one by one: the committed store is the durable record of every
        // certificate, and `show`/`list` re-create any file a crash lost.
        write_file_atomic(std::filesystem::path(opt.out_dir) / (to_hex(o.serial) + ".pem"),
                          as_bytes(pem), 0644, false);
      } else if (files.size() == 1) {
        std::cout << pem;
      }
      std::cout << "issued " << o.source << " serial " << to_hex(o.serial) << " ca " << ca.id
                << " subject " << o.subject << "\n";
    }
    forget_moved();
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "issue: " << issued << " issued, " << refused << " refused";
  if (already > 0) {
    std::cout << ", " << already << " issued before (moved)";
  }
  std::cout << " in " << secs << " s (" << (secs > 0 ? static_cast<double>(issued) / secs : 0.0)
            << " certificates/s)\n";
  return refused == 0 ? 0 : 1;
}

}  // namespace

void add_issue_command(CLI::App& app, CommandRunner& runner) {
  auto opt = std::make_shared<IssueOptions>();
  CLI::App* cmd = app.add_subcommand("issue", "Issue certificates from approved CSRs");
  cmd->add_option("--profile", opt->profile, "Certificate profile id")->required();
  cmd->add_option("--ca", opt->ca, "Issuing CA id (when several issue under the profile)");
  cmd->add_option("--csr", opt->csr_files, "CSR file, PEM or DER (repeatable)");
  cmd->add_option("--csr-dir", opt->csr_dir,
                  "Spool of approved CSRs: each is moved to the done or failed folder");
  cmd->add_option("--done-dir", opt->done_dir,
                  "Where issued requests go, as <serial>-<name> (default: CSR_DIR/done)");
  cmd->add_option("--failed-dir", opt->failed_dir,
                  "Where refused requests go, with <name>.reason (default: CSR_DIR/failed)");
  cmd->add_option("--out", opt->out, "Write the certificate (PEM) here (one CSR)");
  cmd->add_option("--out-dir", opt->out_dir, "Write certificates here as <serial>.pem");
  cmd->add_option("--threads", opt->threads, "Signing threads (default: every core)");
  cmd->callback([&runner, opt] { runner.exit_code = run_issue(runner, *opt); });
}

}  // namespace pkirepo::signer
