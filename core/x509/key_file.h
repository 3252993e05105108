// Key files: a private key as encrypted PKCS#8 PEM (EncryptedPrivateKeyInfo, PBES2) with
// AES-256-CBC under a key derived by PBKDF2-HMAC-SHA256 at 600,000 iterations (the OWASP 2023
// figure for PBKDF2-SHA256). A CA key file is the signer's alone: mode 0600, in a 0700 folder.
// A delegated responder key file may also be read by its group (0640), the responder's own
// group (KeyFileAccess below). Reading refuses a key in clear and a file whose mode breaks
// that rule; a file protected by a weaker derivation (OpenSSL's PKCS#8 default of 2,048
// iterations, PBKDF2-SHA1, PBES1) is still read, so that an upgrade never stops signing, and
// reported by inspect_key_file for `doctor` until `keys rewrap` re-encrypts it.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "x509/openssl_ptr.h"

namespace pkirepo {

inline constexpr int kKeyFileIterations = 600'000;

// The iteration count new key files get and the least `inspect_key_file` calls strong:
// kKeyFileIterations. Test builds (PKIREPO_SIMULATED_CLOCK) honour PKIREPO_TEST_KDF_ITERATIONS
// so that a suite of hundreds of signer commands does not spend minutes deriving keys;
// production builds never read it.
[[nodiscard]] int key_file_iterations();

// How a key file is protected, read from the PEM and the PKCS#8 parameters without the
// passphrase.
struct KeyFileProtection {
  bool encrypted = false;
  std::string
      scheme;  // "PBKDF2-HMAC-SHA256", "PBKDF2-HMAC-SHA1", "scrypt", "PBES1", "legacy PEM", "clear"
  long iterations = 0;  // PBKDF2 only
  bool strong = false;  // PBKDF2 with an SHA-2 PRF at key_file_iterations() or more, or scrypt
  [[nodiscard]] std::string describe() const;  // "PBKDF2-HMAC-SHA1, 2048 iterations"
};
// Throws std::runtime_error naming the path when it cannot be read or holds no private key.
[[nodiscard]] KeyFileProtection inspect_key_file(const std::filesystem::path& path);

// Who besides its owner may read a key file (docs/operations.md, "Users, groups and modes").
//   CA keys: nobody. Mode 0600 (the owner may also lack write): any group or other bit refuses.
//   Delegated responder keys: also the members of the file's group, so that the responder's
//   user reads them through a group of its own (pkirepo-ocsp in the Debian package) and never
//   through the store's group, which every program of the repository (the publisher too) is
//   in. So: never anything for others, never group write or execute, and group read only
//   when the file's group is not the store folder's group. Mode 0640 or 0600.
// The same rule serves the responder passphrase file (`doctor`).
struct KeyFileAccess {
  bool group_may_read = false;
  // The store folder's group: the one group a responder key must not be readable by. Empty
  // when the store folder cannot be stat()ed: then no group may read (the strict side).
  std::optional<gid_t> store_group;

  [[nodiscard]] static KeyFileAccess ca() { return {}; }
  // Responder keys of the repository whose store folder is `store_dir` (its group is read
  // now, once).
  [[nodiscard]] static KeyFileAccess responder(const std::filesystem::path& store_dir);
  // The mode a key file written under this rule gets when its group is `file_group`: 0640 for
  // a responder key whose group may read it, else 0600.
  [[nodiscard]] mode_t mode_for(gid_t file_group) const;
};

// What is wrong with a file's mode or group under `access`, and the command that fixes it;
// nullopt when nothing is. `problem` names no path ("readable by others (mode 0644); ..."),
// `fix` does ("chmod 640 /var/lib/..."). Throws std::runtime_error naming the path when the
// file cannot be stat()ed.
struct KeyFileAccessProblem {
  std::string problem;
  std::string fix;
};
[[nodiscard]] std::optional<KeyFileAccessProblem> key_file_access_problem(
    const std::filesystem::path& path, const KeyFileAccess& access);

// Whether `path` already has the group and mode rewrite_encrypted_key would give it under
// `access` (`keys rewrap` leaves such a file alone when its encryption is strong too). Throws
// std::runtime_error naming the path when it cannot be stat()ed.
[[nodiscard]] bool key_file_as_written(const std::filesystem::path& path,
                                       const KeyFileAccess& access);

// Writes `key` encrypted under `passphrase` with access.mode_for(the new file's group),
// refusing to overwrite (O_EXCL): a key file is never replaced silently. The file's group is
// the folder's when the folder is setgid (how the package gives responder keys the
// responder's group), else the writer's. Creates a missing folder with mode 0700. Throws
// std::runtime_error naming the path.
void write_encrypted_key(const std::filesystem::path& path, const EVP_PKEY* key,
                         const std::string& passphrase,
                         const KeyFileAccess& access = KeyFileAccess::ca());
// Replaces the key file at `path` atomically (a new file beside it, fsync, rename, fsync of the
// folder) with `key` encrypted under `passphrase`; the owner and group of the old file keep
// it (a file its group may read takes the group of a setgid folder instead), with
// access.mode_for(that group).
void rewrite_encrypted_key(const std::filesystem::path& path, const EVP_PKEY* key,
                           const std::string& passphrase,
                           const KeyFileAccess& access = KeyFileAccess::ca());

// Throws std::runtime_error naming the path: wrong passphrase, not a private key, a key in
// clear, or a mode or group that breaks `access` (each with how to fix it).
[[nodiscard]] EvpPkeyPtr read_encrypted_key(const std::filesystem::path& path,
                                            const std::string& passphrase,
                                            const KeyFileAccess& access = KeyFileAccess::ca());
// For `keys rewrap` only: a key in clear is read as it is (the one way to protect it), an
// encrypted one as read_encrypted_key does, without the mode check (rewrap fixes the mode).
[[nodiscard]] EvpPkeyPtr read_key_for_rewrap(const std::filesystem::path& path,
                                             const std::string& passphrase);

}  // namespace pkirepo
