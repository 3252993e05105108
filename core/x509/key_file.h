// Key files: a private key as encrypted PKCS#8 PEM (EncryptedPrivateKeyInfo, PBES2) with
// AES-256-CBC under a key derived by PBKDF2-HMAC-SHA256 at 600,000 iterations (the OWASP 2023
// figure for PBKDF2-SHA256). A file is the signer's alone: mode 0600, in a 0700 folder.
// Reading refuses a key in clear and a file that group or others can read; a file protected by
// a weaker derivation (OpenSSL's PKCS#8 default of 2,048 iterations, PBKDF2-SHA1, PBES1) is
// still read, so that an upgrade never stops signing, and reported by inspect_key_file for
// `doctor` until `keys rewrap` re-encrypts it.
#pragma once

#include <filesystem>
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

// Writes `key` encrypted under `passphrase`, mode 0600, refusing to overwrite (O_EXCL): a key
// file is never replaced silently. Creates a missing folder with mode 0700. Throws
// std::runtime_error naming the path.
void write_encrypted_key(const std::filesystem::path& path, const EVP_PKEY* key,
                         const std::string& passphrase);
// Replaces the key file at `path` atomically (a new file beside it, fsync, rename, fsync of the
// folder) with `key` encrypted under `passphrase`; the owner of the old file keeps it.
void rewrite_encrypted_key(const std::filesystem::path& path, const EVP_PKEY* key,
                           const std::string& passphrase);

// Throws std::runtime_error naming the path: wrong passphrase, not a private key, a key in
// clear, or a file readable by group or others (each with how to fix it).
[[nodiscard]] EvpPkeyPtr read_encrypted_key(const std::filesystem::path& path,
                                            const std::string& passphrase);
// For `keys rewrap` only: a key in clear is read as it is (the one way to protect it), an
// encrypted one as read_encrypted_key does, without the mode check (rewrap fixes the mode).
[[nodiscard]] EvpPkeyPtr read_key_for_rewrap(const std::filesystem::path& path,
                                             const std::string& passphrase);

}  // namespace pkirepo
