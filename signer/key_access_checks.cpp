#include "signer/key_access_checks.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <set>

#include "store/store.h"
#include "x509/key_file.h"

namespace pkirepo::signer {
namespace {

namespace fs = std::filesystem;
using Level = DoctorFinding::Level;

class Findings {
 public:
  void ok(std::string what) { out_.push_back({Level::ok, std::move(what), {}}); }
  void warning(std::string what) { out_.push_back({Level::warning, std::move(what), {}}); }
  void error(std::string what, std::string fix) {
    out_.push_back({Level::error, std::move(what), std::move(fix)});
  }
  std::vector<DoctorFinding> take() { return std::move(out_); }

 private:
  std::vector<DoctorFinding> out_;
};

std::optional<struct stat> stat_of(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) {
    return std::nullopt;
  }
  return st;
}

// "2750", "700": as chmod takes it.
std::string mode_text(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%o", static_cast<unsigned>(mode & 07777));
  return text;
}

std::string group_name(gid_t gid) {
  const group* g = ::getgrgid(gid);  // doctor is single-threaded
  return g != nullptr ? g->gr_name : "gid " + std::to_string(gid);
}

// Who is in group `gid`: its listed members and every user whose primary group it is.
std::string group_members(gid_t gid) {
  std::set<std::string> names;
  if (const group* g = ::getgrgid(gid); g != nullptr) {
    for (char** m = g->gr_mem; *m != nullptr; ++m) {
      names.insert(*m);
    }
  }
  ::setpwent();
  while (const passwd* pw = ::getpwent()) {
    if (pw->pw_gid == gid) {
      names.insert(pw->pw_name);
    }
  }
  ::endpwent();
  std::string out;
  for (const std::string& n : names) {
    out += (out.empty() ? "" : ", ") + n;
  }
  return out.empty() ? "no members" : "members: " + out;
}

// The responder key files the store's CAs use now (older, rotated ones may stay 0600).
std::set<fs::path> responder_keys_in_use(const Config& cfg) {
  std::set<fs::path> out;
  try {
    store::ReadStore st(cfg.repository.store);
    store::ReadTxn txn = st.begin_read();
    for (const store::CaRecord& ca : store::list_cas(txn)) {
      if (!ca.responder_key_file.empty()) {
        out.insert(fs::weakly_canonical(cfg.responder_key_path(ca.id, ca.responder_key_file)));
      }
    }
  } catch (const std::exception&) {
    // No store yet: doctor reports that on its own.
  }
  return out;
}

// The responder key folder. Returns the group through which the responder reads it, if any.
std::optional<gid_t> check_responder_dir(Findings& f, const Config& cfg, uid_t signer_uid,
                                         std::optional<gid_t> store_group) {
  const fs::path dir = cfg.ocsp.responder_key_dir;
  const std::string name = "ocsp.responder_key_dir " + dir.string();
  const bool nonce = cfg.ocsp.nonce == NonceMode::sign;
  const std::optional<struct stat> st = stat_of(dir);
  if (!st || !S_ISDIR(st->st_mode)) {
    f.error(name + " does not exist",
            "install -d -m 2750 -o pkirepo-signer -g pkirepo-ocsp " + dir.string());
    return std::nullopt;
  }
  if (::access(dir.c_str(), W_OK) != 0) {
    f.error(name + " is not writable: responder-certificate rotation would fail",
            "chown it to the signer's user");
    return std::nullopt;
  }
  const std::string mode = " (mode " + mode_text(st->st_mode) + ")";
  if (st->st_uid != signer_uid) {
    f.error(name + " is owned by uid " + std::to_string(st->st_uid) + ", not this user (uid " +
                std::to_string(signer_uid) + ")",
            "chown pkirepo-signer " + dir.string());
  }
  if ((st->st_mode & 007) != 0) {
    f.error(name + " is open to others" + mode, "chmod o= " + dir.string());
  }
  if ((st->st_mode & 020) != 0) {
    f.error(name + " is writable by group " + group_name(st->st_gid) + mode,
            "chmod g-w " + dir.string());
  }
  if ((st->st_mode & 050) == 0) {
    if (nonce) {
      f.warning(name + " is the signer's alone" + mode +
                ": a responder running as its own user cannot load its keys for nonces; "
                "chgrp pkirepo-ocsp it and chmod 2750 it (docs/operations.md)");
    } else {
      f.ok(name + ": the signer's alone" + mode);
    }
    return std::nullopt;
  }
  if (store_group && st->st_gid == *store_group) {
    f.error(name + " is open to group " + group_name(st->st_gid) + mode +
                ", the store's group: the publisher could read responder keys",
            "chgrp pkirepo-ocsp " + dir.string() + " && chmod 2750 " + dir.string());
    return std::nullopt;
  }
  if ((st->st_mode & S_ISGID) == 0) {
    f.error(name + " (group " + group_name(st->st_gid) + mode +
                ") is not setgid: new responder keys would get the signer's group, which the "
                "responder cannot read them through",
            "chmod g+s " + dir.string());
  } else {
    f.ok(name + ": the signer's, readable by group " + group_name(st->st_gid) + " (" +
         group_members(st->st_gid) + ")" + mode);
  }
  return st->st_gid;
}

// Each responder key file against KeyFileAccess (key_file.h); the ones in use must be readable
// by the responder's group when nonces are signed.
void check_responder_files(Findings& f, const Config& cfg, std::optional<gid_t> responder_group) {
  const fs::path dir = cfg.ocsp.responder_key_dir;
  if (::access(dir.c_str(), R_OK | X_OK) != 0) {
    return;
  }
  const KeyFileAccess access = cfg.has_responder_passphrase()
                                   ? KeyFileAccess::responder(cfg.repository.store)
                                   : KeyFileAccess::ca();
  const std::set<fs::path> in_use = responder_keys_in_use(cfg);
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file()) {
      continue;
    }
    const fs::path& p = entry.path();
    try {
      if (auto problem = key_file_access_problem(p, access)) {
        f.error("responder key " + p.string() + " is " + problem->problem, problem->fix);
        continue;
      }
      const std::optional<struct stat> st = stat_of(p);
      if (st && responder_group && cfg.ocsp.nonce == NonceMode::sign && (st->st_mode & 040) == 0 &&
          in_use.count(fs::weakly_canonical(p)) != 0) {
        f.warning("responder key " + p.string() + " (mode " + mode_text(st->st_mode) +
                  ") is not readable by the responder's group " + group_name(*responder_group) +
                  ": run `pkirepo-signer keys rewrap`");
      }
    } catch (const std::exception& e) {
      f.error(e.what(), "restore the key file from the key backup");
    }
  }
}

// The folders of the CA key files: the signer's alone, never the responder's group's.
void check_ca_key_dirs(Findings& f, const Config& cfg, std::optional<gid_t> responder_group) {
  std::set<fs::path> dirs;
  for (const CaConfig& ca : cfg.cas) {
    if (!ca.key.file.empty() && fs::exists(ca.key.file)) {
      dirs.insert(fs::weakly_canonical(ca.key.file).parent_path());
    }
  }
  for (const fs::path& dir : dirs) {
    const std::optional<struct stat> st = stat_of(dir);
    if (!st) {
      continue;
    }
    const std::string name = "CA key folder " + dir.string();
    const std::string mode = " (mode " + mode_text(st->st_mode) + ")";
    if ((st->st_mode & 007) != 0) {
      f.error(name + " is open to others" + mode + ": the responder's user can enter it",
              "chmod 700 " + dir.string());
    } else if ((st->st_mode & 070) != 0 && responder_group && st->st_gid == *responder_group) {
      f.error(
          name + " is open to group " + group_name(st->st_gid) + mode + ", the responder's group",
          "chmod 700 " + dir.string());
    } else if ((st->st_mode & 070) != 0) {
      f.warning(name + " is open to group " + group_name(st->st_gid) + mode +
                ": CA keys are the signer's alone; chmod 700 " + dir.string());
    } else {
      f.ok(name + ": the signer's alone" + mode);
    }
  }
  if (cfg.ocsp.nonce == NonceMode::sign && cfg.ocsp.responder_key_dir.empty()) {
    f.warning(
        "ocsp.nonce = \"sign\" without ocsp.responder_key_dir: responder keys are written beside "
        "the CA keys, which the responder's user must not read; set ocsp.responder_key_dir "
        "(docs/operations.md)");
  }
}

// The responder passphrase: a file the signer owns and the responder's group reads, and never
// the CA passphrase.
void check_responder_passphrase(Findings& f, const Config& cfg, uid_t signer_uid) {
  if (!cfg.has_responder_passphrase()) {
    return;  // doctor reports nonce = "sign" without it
  }
  const fs::path file = cfg.ocsp.responder_passphrase_file;
  if (!file.empty()) {
    const std::string name = "ocsp.responder_passphrase_file " + file.string();
    const std::optional<struct stat> st = stat_of(file);
    if (!st) {
      f.error(name + " does not exist",
              "create it: one line, owner pkirepo-signer, group pkirepo-ocsp, mode 0440");
      return;
    }
    if (st->st_uid != signer_uid) {
      f.error(name + " is owned by uid " + std::to_string(st->st_uid) + ", not this user (uid " +
                  std::to_string(signer_uid) + ")",
              "chown pkirepo-signer " + file.string());
    }
    if (!cfg.repository.passphrase_file.empty() && fs::exists(cfg.repository.passphrase_file) &&
        fs::equivalent(file, cfg.repository.passphrase_file)) {
      f.error(name + " is repository.passphrase_file: the responder would read the CA passphrase",
              "give the responder a passphrase file of its own, then `pkirepo-signer keys rewrap`");
      return;
    }
    if (auto problem =
            key_file_access_problem(file, KeyFileAccess::responder(cfg.repository.store))) {
      f.error(name + " is " + problem->problem, problem->fix);
    }
  }
  try {
    if (cfg.responder_key_passphrase() == cfg.key_passphrase()) {
      f.error("the responder passphrase is the CA passphrase: the responder would hold it",
              "choose another responder passphrase, then `pkirepo-signer keys rewrap`");
    }
  } catch (const std::exception&) {
    // A passphrase that cannot be read is reported with its source elsewhere.
  }
}

}  // namespace

std::vector<DoctorFinding> check_key_access(const Config& cfg, uid_t signer_uid) {
  Findings f;
  std::optional<gid_t> store_group;
  if (auto st = stat_of(cfg.repository.store)) {
    store_group = st->st_gid;
  }
  std::optional<gid_t> responder_group;
  if (!cfg.ocsp.responder_key_dir.empty()) {
    responder_group = check_responder_dir(f, cfg, signer_uid, store_group);
    check_responder_files(f, cfg, responder_group);
  }
  check_ca_key_dirs(f, cfg, responder_group);
  check_responder_passphrase(f, cfg, signer_uid);
  return f.take();
}

}  // namespace pkirepo::signer
