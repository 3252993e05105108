// `init`: create every CA of the config that the store does not have yet, parents first.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <set>
#include <sstream>

#include "audit/audit_log.h"
#include "audit/checkpoint.h"
#include "policy/profiles.h"
#include "policy/rules.h"
#include "signer/audit_checkpoint.h"
#include "signer/ca_certificate.h"
#include "signer/ca_setup.h"
#include "signer/cert_builder.h"
#include "signer/commands.h"
#include "signer/token_keys.h"
#include "x509/bytes.h"
#include "x509/cert_info.h"
#include "x509/der.h"
#include "x509/key.h"
#include "x509/key_file.h"

namespace pkirepo::signer {

namespace {

// "20261203T101500Z": names a responder key by the moment it was made.
std::string key_stamp(UnixTime now) {
  std::string stamp = rfc3339(now);
  std::erase_if(stamp, [](char c) { return c == '-' || c == ':'; });
  return stamp;
}

}  // namespace

KeyFileGuard::~KeyFileGuard() {
  for (const auto& f : files_) {
    std::error_code ec;
    std::filesystem::remove(f, ec);
  }
  if (journal_written_) {
    std::error_code ec;
    std::filesystem::remove(journal_, ec);
  }
}

void KeyFileGuard::will_create(const std::filesystem::path& p) {
  if (journal_.empty()) {
    return;
  }
  // One write per line: a kill can cut only the last line, which names a file not yet created.
  const std::string line = p.string() + "\n";
  const int fd = ::open(journal_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw std::runtime_error(journal_.string() + ": cannot write: " + std::strerror(errno));
  }
  journal_written_ = true;
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) {
    throw std::runtime_error(journal_.string() + ": cannot write: " + std::strerror(err));
  }
}

void KeyFileGuard::keep() {
  files_.clear();
  if (journal_written_) {
    std::error_code ec;
    std::filesystem::remove(journal_, ec);
    journal_written_ = false;
  }
}

std::filesystem::path key_journal(const Config& cfg) {
  return cfg.repository.store / "keys.pending";
}

void recover_interrupted_key_files(Session& session) {
  const std::filesystem::path journal = key_journal(session.config());
  std::error_code ec;
  if (!std::filesystem::exists(journal, ec)) {
    return;
  }
  const Bytes bytes = read_file(journal);
  std::string text(bytes.begin(), bytes.end());
  text.erase(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);  // a cut line
  std::set<std::string> used;
  {
    store::ReadTxn txn = session.store().begin_read();
    for (const store::CaRecord& ca : store::list_cas(txn)) {
      for (const std::string& f : {ca.key_file, ca.responder_key_file}) {
        if (!f.empty()) {
          used.insert(f);
          used.insert(std::filesystem::weakly_canonical(f, ec).string());
        }
      }
    }
    // The checkpoint key's file, once the store holds its public key (killed after the commit,
    // before the journal went).
    if (audit::stored_checkpoint_key(txn) != nullptr) {
      const std::filesystem::path& f = session.config().repository.checkpoint_key;
      used.insert(f.string());
      used.insert(std::filesystem::weakly_canonical(f, ec).string());
    }
  }
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const std::filesystem::path f(line);
    if (line.empty() || !std::filesystem::exists(f, ec) || used.contains(line) ||
        used.contains(std::filesystem::weakly_canonical(f, ec).string())) {
      continue;
    }
    std::filesystem::path aside = f;
    aside += ".interrupted-" + key_stamp(session.now());
    std::filesystem::rename(f, aside);
    std::cerr << "pkirepo-signer: " << f.string()
              << ": key file left by a signer killed before its commit (no CA uses it); moved "
                 "to "
              << aside.string() << "\n";
  }
  std::filesystem::remove(journal);
}

namespace {

struct NewCa {
  store::CaRecord record;
  X509Ptr cert;
  EvpPkeyPtr key;
  std::string key_algorithm;
  std::string responder_serial;
};

}  // namespace

ResponderIssue issue_responder_certificate(Session& session, const CaConfig& ca,
                                           const X509* ca_cert, EVP_PKEY* ca_key,
                                           KeyFileGuard& guard) {
  const Config& cfg = session.config();
  EvpPkeyPtr key;
  std::string path;
  if (cfg.responder_keys_in_token()) {
    path = responder_token_key_uri(cfg, ca.id, key_stamp(session.now()));
    key = ensure_token_key(session, path, cfg.ocsp.responder_key_algorithm, session.responder_pin(),
                           "CA " + ca.id + "'s responder")
              .key;
  } else {
    key = generate_key(cfg.ocsp.responder_key_algorithm);
    path = (cfg.responder_key_dir_of(ca) / (ca.id + "-ocsp-" + key_stamp(session.now()) + ".pem"))
               .string();
    guard.will_create(path);
    // Under its own passphrase the key is for the responder's group too (key_file.h).
    write_encrypted_key(path, key.get(), session.responder_passphrase(),
                        cfg.has_responder_passphrase()
                            ? KeyFileAccess::responder(cfg.repository.store)
                            : KeyFileAccess::ca());
    guard.add(path);
  }
  // Same O/OU/C as the CA, its own CN: relying parties see whose responder this is.
  X509NamePtr subject(X509_NAME_dup(X509_get_subject_name(ca_cert)));
  for (int i = X509_NAME_get_index_by_NID(subject.get(), NID_commonName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject.get(), NID_commonName, -1)) {
    const X509NameEntryPtr removed(X509_NAME_delete_entry(subject.get(), i));
  }
  const std::string cn = ca.id + " OCSP Responder " + rfc3339(session.now()).substr(0, 10);
  X509_NAME_add_entry_by_NID(subject.get(), NID_commonName, MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.data()),
                             static_cast<int>(cn.size()), -1, 0);
  CertSpec spec;
  spec.subject = subject.get();
  spec.public_key = key.get();
  spec.not_before = session.now();
  spec.not_after =
      std::min(session.now() + cfg.ocsp.responder_validity.seconds, not_after(ca_cert));
  spec.serial = random_serial();
  spec.issuer = ca_cert;
  spec.signing_key = ca_key;
  spec.extensions = policy::responder_extensions();
  X509Ptr cert = build_certificate(spec);
  throw_on_lint_errors(policy::lint_certificate(cert.get(), ca_cert),
                       "responder certificate for CA " + ca.id);
  return {to_der(cert.get()), path, serial_hex(cert.get()), spec.not_after};
}

namespace {

int run_init(CommandRunner& runner) {
  Session session(runner.globals, runner.now);
  const Config& cfg = session.config();
  check_profile_dates(cfg, session.now(), true);
  store::WriteStore& st = session.store();
  recover_interrupted_key_files(session);
  std::vector<const CaConfig*> todo;
  size_t under_offline = 0;
  {
    store::ReadTxn txn = st.begin_read();
    for (const CaConfig* ca : cfg.cas_parent_first()) {
      if (!store::get_ca(txn, ca->id)) {
        // init never signs with an offline CA's key (only a new root's self-signature): the
        // host that will use a subordinate makes its key and request (`ca request`), and the
        // parent's ceremony signs the certificate.
        const CaConfig* parent = ca->parent.empty() ? nullptr : cfg.find_ca(ca->parent);
        if (parent != nullptr && parent->offline) {
          std::cerr << "pkirepo-signer: init: CA " << ca->id << ": parent " << parent->id
                    << " is offline; create it with `pkirepo-signer ca request " << ca->id
                    << "` and a ceremony (docs/operations.md)\n";
          ++under_offline;
          continue;
        }
        todo.push_back(ca);
      }
    }
  }
  if (todo.empty() && under_offline > 0) {
    std::cerr << "pkirepo-signer: init: nothing to create here: the CAs not yet in the store are "
                 "under an offline CA; nothing changed\n";
    return 1;
  }
  if (todo.empty()) {
    std::cerr << "pkirepo-signer: init: " << cfg.repository.store.string()
              << ": every CA of the config is already initialized; nothing changed\n";
    return 1;
  }
  // Fail before generating anything when a key file is in the way or a secret is missing. A
  // token key that already exists is used (a key generated in the token at a ceremony).
  bool file_keys = false;
  bool responders = false;
  for (const CaConfig* ca : todo) {
    responders = responders || (ca->ocsp && !ca->offline);
    if (ca->key.in_token()) {
      (void)cfg.key_pin(ca->key, ca->id);
      continue;
    }
    file_keys = true;
    if (std::filesystem::exists(ca->key.file)) {
      throw std::runtime_error(ca->key.file.string() + ": key file for CA " + ca->id +
                               " already exists; refusing to overwrite or adopt it");
    }
  }
  // The audit checkpoint key (audit/checkpoint.h) comes with the first init; an existing file
  // is refused like a CA key's.
  bool checkpoint_key_stored = false;
  {
    store::ReadTxn txn = st.begin_read();
    checkpoint_key_stored = audit::stored_checkpoint_key(txn) != nullptr;
  }
  if (!checkpoint_key_stored && std::filesystem::exists(cfg.repository.checkpoint_key)) {
    throw std::runtime_error(cfg.repository.checkpoint_key.string() +
                             ": audit checkpoint key file already exists; refusing to overwrite "
                             "or adopt it");
  }
  if (file_keys) {
    (void)session.passphrase();
  }
  // The checkpoint key is a file under the passphrase; with every CA key in a token there may
  // be none, and the CAs are still made (`audit checkpoint --create-key` once there is one).
  // A deployment whose CA keys are all in tokens keeps no private key file unless it names one.
  const bool any_key_file = std::any_of(cfg.cas.begin(), cfg.cas.end(),
                                        [](const CaConfig& c) { return !c.key.in_token(); });
  bool make_checkpoint_key = !checkpoint_key_stored;
  if (make_checkpoint_key && !any_key_file && !cfg.repository.checkpoint_key_set) {
    std::cerr << "pkirepo-signer: init: warning: no audit checkpoint key created (every CA key "
                 "is in a token); set repository.checkpoint_key and run `pkirepo-signer audit "
                 "checkpoint --create-key`\n";
    make_checkpoint_key = false;
  }
  if (make_checkpoint_key && !file_keys) {
    try {
      (void)session.passphrase();
    } catch (const std::exception& e) {
      std::cerr << "pkirepo-signer: init: warning: no audit checkpoint key created (" << e.what()
                << "); create it with `pkirepo-signer audit checkpoint --create-key`\n";
      make_checkpoint_key = false;
    }
  }
  if (responders && cfg.responder_keys_in_token()) {
    (void)session.responder_pin();
  } else if (responders) {
    (void)session.responder_passphrase();
  }

  KeyFileGuard guard(key_journal(cfg));
  std::vector<NewCa> created;
  auto find_created = [&](const std::string& id) -> NewCa* {
    for (auto& c : created) {
      if (c.record.id == id) {
        return &c;
      }
    }
    return nullptr;
  };

  for (const CaConfig* ca : todo) {
    NewCa n;
    n.key = ca->key.in_token() ? ensure_token_key(session, ca->key.pkcs11, ca->key.algorithm,
                                                  cfg.key_pin(ca->key, ca->id), "CA " + ca->id)
                                     .key
                               : generate_key(ca->key.algorithm);
    n.key_algorithm = ca->key.algorithm;
    // Parent: created in this run, or already in the store (its key read from its file).
    X509Ptr parent_cert;
    EvpPkeyPtr parent_key;
    if (!ca->parent.empty()) {
      if (NewCa* p = find_created(ca->parent)) {
        parent_cert = up_ref(p->cert.get());
        parent_key = up_ref(p->key.get());
      } else {
        store::ReadTxn txn = st.begin_read();
        auto rec = store::get_ca(txn, ca->parent);
        if (!rec) {
          throw std::runtime_error("CA " + ca->id + ": parent " + ca->parent +
                                   " is not in the store");
        }
        parent_cert = parse_cert_der(rec->cert_der);
        parent_key = session.load_ca_key(*rec);
      }
    }
    n.cert = build_ca_certificate(cfg, *ca, n.key.get(), parent_cert.get(),
                                  parent_cert ? parent_key.get() : n.key.get(), session.now());
    if (!ca->key.in_token()) {
      guard.will_create(ca->key.file);
      write_encrypted_key(ca->key.file, n.key.get(), session.passphrase());
      guard.add(ca->key.file);
    }

    // A CRL-only CA signs no OCSP and needs no responder (ocsp_key_material.h issues one should
    // a certificate of its ever carry an OCSP URL); an offline CA's responses are signed with
    // its own key at ceremonies.
    ResponderIssue resp;
    if (ca->ocsp && !ca->offline) {
      resp = issue_responder_certificate(session, *ca, n.cert.get(), n.key.get(), guard);
    }
    n.record.id = ca->id;
    n.record.role = ca->role;
    n.record.parent = ca->parent;
    n.record.cert_der = to_der(n.cert.get());
    n.record.key_file = ca->key.in_token() ? ca->key.pkcs11 : ca->key.file.string();
    n.record.responder_cert_der = resp.cert_der;
    n.record.responder_key_file = resp.key_file;
    n.record.created = session.now();
    n.responder_serial = resp.serial_hex;
    created.push_back(std::move(n));
  }

  // Signs the first checkpoint with a new key; a later init signs with the existing one when
  // it opens (a problem is a warning: `run` signs next time).
  EvpPkeyPtr checkpoint_key;
  if (make_checkpoint_key) {
    checkpoint_key = create_checkpoint_key_file(session, guard);
  } else if (checkpoint_key_stored) {
    CheckpointSigner signer = load_checkpoint_signer(session);
    if (!signer.key) {
      std::cerr << "pkirepo-signer: init: warning: " << signer.problem << "\n";
    }
    checkpoint_key = std::move(signer.key);
  }
  st.transact([&](store::WriteTxn& txn) {
    for (const NewCa& n : created) {
      X509* cert = n.cert.get();
      audit::append(txn, session.now(), session.operator_name(), "ca_key_generated",
                    {{"ca", n.record.id},
                     {"algorithm", n.key_algorithm},
                     {"key_file", n.record.key_file},
                     {"spki_sha256", to_hex(spki_sha256(cert))}});
      // The parent's status services cover a subordinate's certificate (CA CRL, OCSP).
      record_ca_certificate(txn, n.record, session.now(), session.operator_name());
      if (!n.responder_serial.empty()) {
        audit::append(txn, session.now(), session.operator_name(), "responder_certificate_issued",
                      {{"ca", n.record.id},
                       {"serial", n.responder_serial},
                       {"key_file", n.record.responder_key_file}});
      }
    }
    if (make_checkpoint_key) {
      record_checkpoint_key(session, txn, checkpoint_key.get());
    }
    if (checkpoint_key) {
      (void)refresh_checkpoint(txn, checkpoint_key.get(), session.now());
    }
  });
  guard.keep();
  for (const NewCa& n : created) {
    std::cout << "created " << ca_role_name(n.record.role) << " CA " << n.record.id << ": "
              << subject_string(n.cert.get()) << " serial " << serial_hex(n.cert.get())
              << " sha256 " << to_hex(fingerprint_sha256(n.cert.get()), true, ':') << "\n";
  }
  if (make_checkpoint_key) {
    std::cout << "created audit checkpoint key " << cfg.repository.checkpoint_key.string()
              << " (key id " << audit::checkpoint_key_id(checkpoint_key.get()) << ")\n";
  }
  return 0;
}

}  // namespace

void add_init_command(CLI::App& app, CommandRunner& runner) {
  CLI::App* cmd = app.add_subcommand(
      "init", "Create keys and certificates for every CA in the config not yet in the store");
  cmd->callback([&runner] { runner.exit_code = run_init(runner); });
}

}  // namespace pkirepo::signer
