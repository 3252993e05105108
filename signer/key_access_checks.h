// `doctor`'s checks of who can read the keys and the responder's secrets, against the layout
// of docs/operations.md ("Users, groups and modes"): the responder's user reads the responder
// key folder and the responder passphrase through a group of its own (pkirepo-ocsp in the
// Debian package), and nothing of the CA's — not the CA key folders, not the CA passphrase.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "config/config.h"

namespace pkirepo::signer {

struct DoctorFinding {
  enum class Level { ok, warning, error };
  Level level = Level::ok;
  std::string what;
  std::string fix;  // errors only: the command or change that repairs it
};

// Reads only: stat() of folders and files, the group database, the store's CA records (which
// responder keys are in use) and the two passphrases (to tell whether they are the same).
// `signer_uid` is the signer's user (doctor runs as it).
[[nodiscard]] std::vector<DoctorFinding> check_key_access(const Config& cfg, uid_t signer_uid);

}  // namespace pkirepo::signer
