// A PKCS#11 token through its module (loaded with p11-kit): find the token by label, log in,
// find a key by label, generate a key pair inside the token. Signing goes through OpenSSL's
// pkcs11 engine instead (engine_key.h); this is for what the engine cannot do (generation) and
// for telling the operator *why* a key cannot be opened (no token, wrong PIN).
#pragma once

#include <p11-kit/pkcs11.h>

#include <stdexcept>
#include <string>

namespace pkirepo::pkcs11 {

class TokenError : public std::runtime_error {
 public:
  enum class Kind { module, token_missing, wrong_pin, pin_locked, key_missing, other };
  TokenError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  [[nodiscard]] Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// The audit log's name of a failure kind: "token_missing", "wrong_pin", ...
[[nodiscard]] const char* token_error_event(TokenError::Kind kind);

// A logged-in read/write session on one token. The module stays loaded and initialized for
// the life of the process: the engine shares it (one C_Initialize per process), so finalizing
// it here would pull it from under the engine.
class TokenSession {
 public:
  // Throws TokenError: module (cannot load), token_missing, wrong_pin, pin_locked.
  TokenSession(const std::string& module_path, const std::string& token, const std::string& pin);
  ~TokenSession();
  TokenSession(const TokenSession&) = delete;
  TokenSession& operator=(const TokenSession&) = delete;

  // Whether the token holds a private key labelled `label`; throws when it holds two.
  [[nodiscard]] bool has_private_key(const std::string& label);
  // A key pair labelled `label` (both halves, with one random CKA_ID so the engine pairs them):
  // the private half token-resident, private, sensitive and never extractable. `algorithm` as
  // in key.h ("ec-p384", "rsa-3072"); Ed25519 is refused (the engine cannot sign with it).
  void generate_key_pair(const std::string& algorithm, const std::string& label);
  // Whether the private key may leave the token (CKA_EXTRACTABLE or not CKA_SENSITIVE): for
  // tests and doctor.
  [[nodiscard]] bool private_key_extractable(const std::string& label);

 private:
  CK_OBJECT_HANDLE find_private_key(const std::string& label);
  CK_FUNCTION_LIST* fn_ = nullptr;
  CK_SESSION_HANDLE session_ = 0;
  std::string token_;
};

}  // namespace pkirepo::pkcs11
