// OpenSSL 3.0 deprecates the ENGINE API, but Debian 12 packages libp11 as an engine only (no
// provider): this file is the one place that uses it.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "pkcs11/engine_key.h"

#include <openssl/engine.h>

#include <map>
#include <mutex>
#include <stdexcept>

namespace pkirepo::pkcs11 {

namespace {

struct EngineFree {
  void operator()(ENGINE* e) const {
    ENGINE_finish(e);
    ENGINE_free(e);
  }
};
using EnginePtr = std::unique_ptr<ENGINE, EngineFree>;

std::mutex engine_mutex;

// One initialized engine per module for the process: keys it loaded hold references to it.
ENGINE* engine_for(const std::string& module_path) {
  static std::map<std::string, EnginePtr> engines;
  if (auto it = engines.find(module_path); it != engines.end()) {
    return it->second.get();
  }
  ENGINE* e = ENGINE_by_id("pkcs11");
  if (e == nullptr) {
    throw std::runtime_error(
        "the OpenSSL pkcs11 engine is not installed (Debian: apt install "
        "libengine-pkcs11-openssl): " +
        openssl_error());
  }
  if (ENGINE_ctrl_cmd_string(e, "MODULE_PATH", module_path.c_str(), 0) != 1 ||
      ENGINE_init(e) != 1) {
    ENGINE_free(e);
    throw std::runtime_error("the pkcs11 engine cannot load module " + module_path + ": " +
                             openssl_error());
  }
  return engines.emplace(module_path, EnginePtr(e)).first->second.get();
}

}  // namespace

EvpPkeyPtr load_token_key(const std::string& module_path, const TokenUri& uri,
                          const std::string& pin) {
  const std::string text = format_key_uri(uri);
  // The engine keeps one PIN at a time: set and use it under one lock.
  std::lock_guard lock(engine_mutex);
  ENGINE* e = engine_for(module_path);
  if (ENGINE_ctrl_cmd_string(e, "PIN", pin.c_str(), 0) != 1) {
    throw std::runtime_error(text + ": the pkcs11 engine refused the PIN: " + openssl_error());
  }
  EVP_PKEY* key = ENGINE_load_private_key(e, text.c_str(), nullptr, nullptr);
  if (key == nullptr) {
    throw std::runtime_error(text + ": the pkcs11 engine cannot load the key: " + openssl_error());
  }
  return EvpPkeyPtr(key);
}

}  // namespace pkirepo::pkcs11
