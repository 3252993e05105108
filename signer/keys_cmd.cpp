// `keys rewrap`: brings every key file the signer uses up to today's protection (key_file.h):
// encrypted, PBKDF2-HMAC-SHA256 at 600,000 iterations, mode 0600, and responder keys under
// their own passphrase when ocsp.responder_passphrase_* is set (then mode 0640 when their
// group is the responder's, not the store's: KeyFileAccess in key_file.h). Each file is
// replaced atomically and only after the new encryption was read back to the same key, so a
// crash or a failure leaves every file either as it was or rewrapped, never half-written. One
// audit record per file rewrapped (CPS 5.4.1: key lifecycle events). Every file is opened and
// checked before the first is replaced: a wrong passphrase or a foreign key changes nothing.
#include <sys/stat.h>

#include <cstdio>
#include <iostream>
#include <vector>

#include "audit/audit_log.h"
#include "audit/checkpoint.h"
#include "pkcs11/token_uri.h"
#include "signer/commands.h"
#include "store/store.h"
#include "x509/der.h"
#include "x509/key_file.h"

namespace pkirepo::signer {
namespace {

struct KeysOptions {
  bool dry_run = false;
  bool force = false;
};

struct KeyFile {
  std::string whose;  // "CA tls", "CA tls's responder"
  std::filesystem::path path;
  ByteView cert_der;  // the certificate the key must match
  bool responder = false;
  const EVP_PKEY* public_key = nullptr;  // instead of cert_der: the audit checkpoint key's
};

// Every key file the store's CAs use, through the config (config.h: ca_key_path,
// responder_key_path). A CA without a key file here (an offline root) is skipped.
std::vector<KeyFile> key_files(const Config& cfg, const std::vector<store::CaRecord>& cas) {
  std::vector<KeyFile> out;
  for (const store::CaRecord& ca : cas) {
    // Token keys are not files: nothing to rewrap.
    const auto key = cfg.ca_key_path(ca.id, ca.key_file);
    if (!pkcs11::is_token_reference(ca.key_file) && std::filesystem::exists(key)) {
      out.push_back({"CA " + ca.id, key, ca.cert_der});
    }
    if (!ca.responder_key_file.empty() && !pkcs11::is_token_reference(ca.responder_key_file)) {
      const auto rkey = cfg.responder_key_path(ca.id, ca.responder_key_file);
      if (std::filesystem::exists(rkey)) {
        out.push_back({"CA " + ca.id + "'s responder", rkey, ca.responder_cert_der, true});
      }
    }
  }
  return out;
}

// The access rule a rewrapped file is written under (key_file.h): a responder key under the
// responder's own passphrase may be its group's too, everything else is the signer's alone.
KeyFileAccess access_of(const KeyFile& f, const Config& cfg) {
  return f.responder && cfg.has_responder_passphrase()
             ? KeyFileAccess::responder(cfg.repository.store)
             : KeyFileAccess::ca();
}

// "0640": the mode of `p`, for the "nothing to do" line.
std::string mode_of(const std::filesystem::path& p) {
  struct stat st {};
  char text[8] = "?";
  if (::stat(p.c_str(), &st) == 0) {
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  }
  return text;
}

int run_rewrap(CommandRunner& runner, const KeysOptions& opt) {
  Session session(runner.globals, runner.now);
  store::WriteStore& st = session.store();
  std::vector<store::CaRecord> cas;
  {
    store::ReadTxn txn = st.begin_read();
    cas = store::list_cas(txn);
  }
  const std::string& passphrase = session.passphrase();
  const bool split = session.config().has_responder_passphrase();
  // First every file is opened and checked against its certificate, so that a wrong
  // passphrase or a foreign key refuses the command before any file or record changes.
  struct Pending {
    const KeyFile* file;
    EvpPkeyPtr key;
    KeyFileProtection before;
    bool moves_passphrase;
  };
  std::vector<KeyFile> files = key_files(session.config(), cas);
  // The audit checkpoint key (audit/checkpoint.h), checked against the public key the store
  // recorded.
  EvpPkeyPtr checkpoint_public;
  {
    store::ReadTxn txn = st.begin_read();
    checkpoint_public = audit::stored_checkpoint_key(txn);
  }
  const std::filesystem::path checkpoint_file = session.config().repository.checkpoint_key;
  if (checkpoint_public && std::filesystem::exists(checkpoint_file)) {
    files.push_back({"the audit checkpoint", checkpoint_file, {}, false, checkpoint_public.get()});
  }
  std::vector<Pending> pending;
  for (const KeyFile& f : files) {
    const KeyFileProtection before = inspect_key_file(f.path);
    const std::string& target = f.responder ? session.responder_passphrase() : passphrase;
    EvpPkeyPtr key;
    bool under_target = true;
    if (f.responder && split && before.encrypted) {
      // Which passphrase opens it is known only by trying: the target first, then the CA's.
      try {
        key = read_key_for_rewrap(f.path, target);
      } catch (const std::runtime_error&) {
        under_target = false;
      }
    }
    // A responder key the responder's group should read and cannot (0600 from before the
    // split, or the wrong group) is rewritten too.
    const bool as_written = key_file_as_written(f.path, access_of(f, session.config()));
    if (before.strong && as_written && under_target && !opt.force) {
      std::cout << f.path.string() << ": " << before.describe() << ", mode " << mode_of(f.path)
                << ": nothing to do\n";
      continue;
    }
    if (!key) {
      key = read_key_for_rewrap(f.path, passphrase);
    }
    if (f.public_key != nullptr) {
      if (EVP_PKEY_eq(f.public_key, key.get()) != 1) {
        throw std::runtime_error(f.path.string() +
                                 ": does not hold the key the store recorded for " + f.whose +
                                 "; no key file was rewrapped");
      }
    } else {
      X509Ptr cert = parse_cert_der(f.cert_der);
      if (!cert || X509_check_private_key(cert.get(), key.get()) != 1) {
        throw std::runtime_error(f.path.string() + ": does not hold the key of " + f.whose +
                                 "'s certificate; no key file was rewrapped");
      }
    }
    pending.push_back({&f, std::move(key), before, !under_target});
  }
  // Then each file is replaced on its own (atomically) and recorded at once.
  int rewrapped = 0;
  for (const Pending& p : pending) {
    const KeyFile& f = *p.file;
    if (opt.dry_run) {
      std::cout << f.path.string() << ": " << p.before.describe() << ": would be rewrapped\n";
      continue;
    }
    rewrite_encrypted_key(f.path, p.key.get(),
                          f.responder ? session.responder_passphrase() : passphrase,
                          access_of(f, session.config()));
    const KeyFileProtection after = inspect_key_file(f.path);
    st.transact([&](store::WriteTxn& txn) {
      audit::append(txn, session.now(), session.operator_name(), "key_file_rewrapped",
                    {{"key", f.whose},
                     {"file", f.path.string()},
                     {"before", p.before.describe()},
                     {"after", after.describe()},
                     {"passphrase", f.responder && split ? "ocsp.responder_passphrase"
                                                         : "repository.passphrase"}});
    });
    std::cout << f.path.string() << ": " << p.before.describe() << " -> " << after.describe()
              << (p.moves_passphrase ? ", now under ocsp.responder_passphrase" : "") << "\n";
    ++rewrapped;
  }
  std::cout << (opt.dry_run ? "dry run: nothing changed\n"
                            : std::to_string(rewrapped) + " key file(s) rewrapped\n");
  return 0;
}

}  // namespace

void add_keys_command(CLI::App& app, CommandRunner& runner) {
  auto opt = std::make_shared<KeysOptions>();
  CLI::App* keys = app.add_subcommand("keys", "Key file maintenance and compromised keys");
  keys->require_subcommand(1);
  CLI::App* rewrap = keys->add_subcommand(
      "rewrap",
      "Re-encrypt every CA and responder key file with today's key derivation (PBKDF2-SHA256, "
      "600,000 iterations) and mode 0600 (0640 for responder keys the responder's group reads), "
      "each replaced atomically");
  rewrap->add_flag("--dry-run", opt->dry_run, "Say what would be rewrapped, change nothing");
  rewrap->add_flag("--force", opt->force, "Rewrap files that are already strong");
  rewrap->callback([&runner, opt] { runner.exit_code = run_rewrap(runner, *opt); });
  add_keys_block_command(*keys, runner);
}

}  // namespace pkirepo::signer
