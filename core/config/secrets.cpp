// The secrets the config points at (never the secrets themselves): key passphrases and token
// PINs, read from a file's first line or an environment variable when a command needs them.
#include <cstdlib>
#include <fstream>

#include "config/config.h"

namespace pkirepo {

namespace {

// A passphrase from the first line of `file` (when set) or the environment variable `env`.
std::string read_passphrase(const std::filesystem::path& file, const std::string& env,
                            const std::string& file_key, const std::string& env_key,
                            const std::filesystem::path& config,
                            const std::string& what = "the key passphrase") {
  if (!file.empty()) {
    std::ifstream in(file);
    std::string line;
    if (!in || !std::getline(in, line) || line.empty()) {
      throw ConfigError(file.string() + ": cannot read " + what + " (" + file_key + ")");
    }
    return line;
  }
  const char* v = std::getenv(env.c_str());
  if (v == nullptr || *v == '\0') {
    throw ConfigError(config.string() + ": " + env_key + ": environment variable " + env +
                      " is not set (it holds " + what + ")");
  }
  return v;
}

}  // namespace

std::string Config::key_passphrase() const {
  return read_passphrase(repository.passphrase_file, repository.passphrase_env,
                         "repository.passphrase_file", "repository.passphrase_env", file);
}

bool Config::has_responder_passphrase() const {
  return !ocsp.responder_passphrase_file.empty() || !ocsp.responder_passphrase_env.empty();
}

std::string Config::responder_key_passphrase() const {
  if (!has_responder_passphrase()) {
    return key_passphrase();
  }
  return read_passphrase(ocsp.responder_passphrase_file, ocsp.responder_passphrase_env,
                         "ocsp.responder_passphrase_file", "ocsp.responder_passphrase_env", file);
}

std::string Config::key_pin(const KeyConfig& key, std::string_view ca_id) const {
  const std::string prefix = "ca[" + std::string(ca_id) + "].key.";
  return read_passphrase(key.pin_file, key.pin_env, prefix + "pin_file", prefix + "pin_env", file,
                         "the token PIN");
}

bool Config::responder_keys_in_token() const {
  return !ocsp.responder_pkcs11.empty();
}

std::string Config::responder_pin() const {
  return read_passphrase(ocsp.responder_pin_file, ocsp.responder_pin_env, "ocsp.responder_pin_file",
                         "ocsp.responder_pin_env", file, "the responder token's PIN");
}

}  // namespace pkirepo
