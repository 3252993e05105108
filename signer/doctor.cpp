// `doctor`: checks a deployment the way the programs will meet it — paths, owners, modes, the
// lock file, the signer unit's writable paths, the clock — and prints one line per finding
// with what to do about it. Reads only (no signer lock, no key decryption). Exit 1 when
// anything is an error, 0 when there are only warnings or nothing at all.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "audit/audit_log.h"
#include "audit/checkpoint.h"
#include "pkcs11/token.h"
#include "pkcs11/token_uri.h"
#include "signer/commands.h"
#include "signer/key_access_checks.h"
#include "signer/process_hardening.h"
#include "store/store.h"
#include "x509/key_file.h"

namespace pkirepo::signer {
namespace {

namespace fs = std::filesystem;

// The signer unit the Debian package installs; its ReadWritePaths must cover what `run` writes.
constexpr const char* kRunUnit = "/usr/lib/systemd/system/pkirepo-signer-run.service";

class Doctor {
 public:
  void error(const std::string& what, const std::string& fix) {
    std::cout << "error: " << what << " (fix: " << fix << ")\n";
    ++errors_;
  }
  void warning(const std::string& what) { std::cout << "warning: " << what << "\n"; }
  void ok(const std::string& what) { std::cout << "ok: " << what << "\n"; }
  [[nodiscard]] int errors() const { return errors_; }

  // A file or folder only this user may read (no group or other bits beyond `allowed`).
  void private_path(const fs::path& p, const std::string& what, mode_t allowed) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) {
      return;  // reported by the caller
    }
    if (st.st_uid != ::geteuid()) {
      error(what + " " + p.string() + " is owned by uid " + std::to_string(st.st_uid) +
                ", not this user (uid " + std::to_string(::geteuid()) + ")",
            "chown it to the signer's user");
    }
    if ((st.st_mode & 0777 & ~allowed) != 0) {
      std::ostringstream mode;
      mode << std::oct << (st.st_mode & 0777);
      std::ostringstream want;
      want << std::oct << allowed;
      error(what + " " + p.string() + " has mode " + mode.str(), "chmod " + want.str() + " it");
    }
  }

 private:
  int errors_ = 0;
};

// The paths of every ReadWritePaths= line of `unit` ("-" prefixes dropped).
std::vector<fs::path> unit_writable_paths(const fs::path& unit) {
  std::vector<fs::path> out;
  std::ifstream in(unit);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("ReadWritePaths=")) {
      continue;
    }
    std::istringstream words(line.substr(15));
    std::string w;
    while (words >> w) {
      out.emplace_back(w.starts_with("-") ? w.substr(1) : w);
    }
  }
  return out;
}

bool under(const fs::path& p, const std::vector<fs::path>& roots) {
  const fs::path normal = fs::weakly_canonical(p);
  for (const fs::path& r : roots) {
    const fs::path root = fs::weakly_canonical(r);
    auto [end, _] = std::mismatch(root.begin(), root.end(), normal.begin(), normal.end());
    if (end == root.end()) {
      return true;
    }
  }
  return false;
}

// A key file's encryption (key_file.h), read without the passphrase.
void key_protection(Doctor& d, const fs::path& key, const std::string& what) {
  try {
    const KeyFileProtection p = inspect_key_file(key);
    if (!p.encrypted) {
      d.error(what + " " + key.string() + " is stored in clear", "pkirepo-signer keys rewrap");
    } else if (!p.strong) {
      d.warning(what + " " + key.string() + " is protected by " + p.describe() +
                ", weaker than PBKDF2-HMAC-SHA256 at " + std::to_string(key_file_iterations()) +
                " iterations: run `pkirepo-signer keys rewrap`");
    }
  } catch (const std::exception& e) {
    d.error(e.what(), "restore the key file from the key backup");
  }
}

// A token key (key.pkcs11): the token is there, the PIN opens it, the key is in it and cannot
// leave it. Read-only: nothing is generated and nothing is written to the audit log.
void token_key(Doctor& d, const Config& cfg, const CaConfig& ca) {
  const std::string what = "CA " + ca.id + " key " + ca.key.pkcs11;
  try {
    const pkcs11::TokenUri uri = pkcs11::parse_token_uri(ca.key.pkcs11, true);
    pkcs11::TokenSession token(cfg.pkcs11_module, uri.token, cfg.key_pin(ca.key, ca.id));
    if (!token.has_private_key(uri.object)) {
      d.error(what + ": the token holds no such key", "run pkirepo-signer init, or fix key.pkcs11");
    } else if (token.private_key_extractable(uri.object)) {
      d.error(what + ": the key may leave the token (extractable or not sensitive)",
              "generate a new CA key inside the token");
    } else {
      d.ok(what + ": in the token, not extractable");
    }
  } catch (const std::exception& e) {
    d.error(what + ": " + e.what(), "check [pkcs11] module, the token and its PIN source");
  }
}

void checkpoint_key(Doctor& d, const Config& cfg) {
  const fs::path key = cfg.repository.checkpoint_key;
  EvpPkeyPtr stored;
  if (fs::exists(cfg.repository.store / "data.mdb")) {
    try {
      store::ReadStore st(cfg.repository.store);
      store::ReadTxn txn = st.begin_read();
      stored = audit::stored_checkpoint_key(txn);
    } catch (const std::exception& e) {
      d.error(std::string("audit checkpoint key: ") + e.what(),
              "restore the store from its backup");
      return;
    }
  }
  if (!fs::exists(key)) {
    if (stored) {
      d.error("audit checkpoint key " + key.string() + " (key id " +
                  audit::checkpoint_key_id(stored.get()) + ") is missing: checkpoints go unsigned",
              "restore it from the key backup, or fix repository.checkpoint_key");
    } else {
      d.warning("no audit checkpoint key at " + key.string() +
                ": published checkpoints are not signed (create it: pkirepo-signer audit "
                "checkpoint --create-key)");
    }
    return;
  }
  if (!stored) {
    d.warning("audit checkpoint key " + key.string() +
              " is not recorded in the store: move it away and run pkirepo-signer audit "
              "checkpoint --create-key");
  }
  d.private_path(key, "audit checkpoint key", 0600);
  key_protection(d, key, "audit checkpoint key");
  if (stored) {
    d.ok("audit checkpoint key " + key.string() + " (key id " +
         audit::checkpoint_key_id(stored.get()) + ")");
  }
}

int run_doctor(CommandRunner& runner) {
  const Config cfg = load_config(runner.globals.config_path);
  Doctor d;
  d.ok("config " + cfg.file.string() + " loads (paths relative to " + cfg.dir.string() + ")");
  if (process_dumpable()) {
    d.error("the signer process is dumpable: its keys could end up in a core file",
            "report this: main() must call harden_process()");
  } else {
    d.ok("signer process is not dumpable (no core files, no ptrace by the same user)");
  }
  if (::geteuid() == 0) {
    d.warning(
        "running as root: files `init`, `issue` or `run` create would be root's; run the signer "
        "as its own user (sudo -u pkirepo-signer)");
  }

  // The store and its lock file.
  const fs::path store = cfg.repository.store;
  if (!fs::exists(store / "data.mdb")) {
    d.error("no store at " + store.string(), "run pkirepo-signer init as the signer's user");
  } else {
    d.private_path(store / "data.mdb", "store file", 0640);
    struct stat st {};
    if (::stat((store / "lock.mdb").c_str(), &st) == 0 && (st.st_mode & 0060) != 0060) {
      d.error("lock file " + (store / "lock.mdb").string() +
                  " is not group-readable and -writable: the responder and publisher (group "
                  "pkirepo) cannot open the store",
              "chmod 0660 it");
    }
    try {
      store::ReadStore st_read(store);
      store::ReadTxn txn = st_read.begin_read();
      audit::check_clock(txn, runner.now);
      d.ok("store " + store.string() + ": the clock is not behind its newest audit record");
    } catch (const std::exception& e) {
      d.error(std::string("store ") + store.string() + ": " + e.what(),
              "see docs/operations.md, \"The clock\"");
    }
  }

  // Keys: present and private; an offline root's key is expected to be absent.
  for (const CaConfig& ca : cfg.cas) {
    if (ca.key.in_token()) {
      token_key(d, cfg, ca);
      continue;
    }
    const fs::path key = ca.key.file;
    if (ca.offline) {
      // offline = true: the key belongs on the ceremony machine only (offline_ca.h).
      if (fs::exists(key)) {
        d.warning("CA " + ca.id + ": key " + key.string() +
                  " is on this host although the CA is offline (the online signer never uses it)");
      } else {
        d.ok("CA " + ca.id + ": offline; its key is not here, as it should be");
      }
      continue;
    }
    if (!fs::exists(key)) {
      if (ca.role == CaRole::root) {
        d.warning("CA " + ca.id + ": key " + key.string() +
                  " is not here (an offline root: bring it for ceremonies only; mark it "
                  "offline = true)");
      } else {
        d.error("CA " + ca.id + ": key " + key.string() + " is missing",
                "restore it from the key backup, or fix key.file");
      }
      continue;
    }
    d.private_path(key, "CA " + ca.id + " key", 0600);
    key_protection(d, key, "CA " + ca.id + " key");
  }
  // The audit checkpoint key (audit/checkpoint.h): without it checkpoints go out unsigned.
  checkpoint_key(d, cfg);
  // Who can read the keys: the responder key folder its group's, the CA's the signer's alone.
  const fs::path responder_dir = cfg.ocsp.responder_key_dir;
  for (const DoctorFinding& f : check_key_access(cfg, ::geteuid())) {
    if (f.level == DoctorFinding::Level::error) {
      d.error(f.what, f.fix);
    } else if (f.level == DoctorFinding::Level::warning) {
      d.warning(f.what);
    } else {
      d.ok(f.what);
    }
  }
  if (!responder_dir.empty() && ::access(responder_dir.c_str(), R_OK | X_OK) == 0) {
    for (const auto& entry : fs::directory_iterator(responder_dir)) {
      if (entry.is_regular_file()) {
        key_protection(d, entry.path(), "responder key");
      }
    }
  }

  // The passphrase source.
  if (!cfg.repository.passphrase_file.empty()) {
    if (!fs::exists(cfg.repository.passphrase_file)) {
      d.error("repository.passphrase_file " + cfg.repository.passphrase_file.string() +
                  " does not exist",
              "create it (one line, mode 0400, the signer's user)");
    } else {
      d.private_path(cfg.repository.passphrase_file, "passphrase file", 0600);
    }
  } else if (std::getenv(cfg.repository.passphrase_env.c_str()) == nullptr) {
    d.warning("no passphrase: neither repository.passphrase_file nor $" +
              cfg.repository.passphrase_env + " is set (commands that sign will fail)");
  }
  if (cfg.ocsp.nonce == NonceMode::sign && !cfg.has_responder_passphrase() &&
      !cfg.responder_keys_in_token()) {
    d.error(
        "ocsp.nonce = \"sign\" without a responder passphrase: the responder ignores nonces "
        "rather than take the CA passphrase",
        "set ocsp.responder_passphrase_file, then `pkirepo-signer keys rewrap`");
  }

  // What the publisher reads.
  for (const auto& [what, path] : {std::pair<std::string, fs::path>{"site.source", cfg.site.source},
                                   {"site.templates", cfg.site.templates}}) {
    if (!fs::is_directory(path)) {
      d.error(what + " " + path.string() + " is not a directory",
              "set " + what + " (the package's templates are /usr/share/pkirepo/site-templates)");
    }
  }

  // The signer unit may write what `run` writes.
  if (fs::exists(kRunUnit)) {
    const std::vector<fs::path> writable = unit_writable_paths(kRunUnit);
    std::vector<std::pair<std::string, fs::path>> needs = {{"repository.store", store}};
    needs.emplace_back("responder keys", responder_dir.empty() && !cfg.cas.empty()
                                             ? cfg.responder_key_dir_of(cfg.cas.back())
                                             : responder_dir);
    for (const auto& [what, path] : needs) {
      if (!under(path, writable)) {
        d.error(std::string(kRunUnit) + " cannot write " + what + " " + path.string(),
                "set ocsp.responder_key_dir under /var/lib/pkirepo/responder-keys, or add the "
                "path to ReadWritePaths= in a drop-in");
      }
    }
  }
  std::cout << "doctor: " << (d.errors() == 0 ? "OK" : std::to_string(d.errors()) + " errors")
            << "\n";
  return d.errors() == 0 ? 0 : 1;
}

}  // namespace

void add_doctor_command(CLI::App& app, CommandRunner& runner) {
  CLI::App* cmd = app.add_subcommand(
      "doctor", "Check a deployment: paths, owners, modes, lock file, unit paths, clock");
  cmd->callback([&runner] { runner.exit_code = run_doctor(runner); });
}

}  // namespace pkirepo::signer
