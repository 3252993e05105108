// Where keys are: a CA's `key = { algorithm, file }` or `{ algorithm, pkcs11, pin_file |
// pin_env }`, and the [pkcs11] table naming the module that reaches the tokens.
#include <stdexcept>

#include "config/config_reader.h"
#include "pkcs11/token_uri.h"
#include "x509/key.h"

namespace pkirepo {

namespace {

// The engine signs with RSA and ECDSA keys only (libp11 0.4.12 has no EdDSA).
void check_token_algorithm(TableReader& r, const std::string& key, const std::string& algorithm) {
  if (!algorithm.starts_with("rsa-") && !algorithm.starts_with("ec-")) {
    r.fail(r.node(key), key,
           "\"" + algorithm +
               "\" cannot be used in a PKCS#11 token (OpenSSL's pkcs11 engine signs with RSA and "
               "ECDSA only); use rsa-N or ec-pN");
  }
}

void check_uri(TableReader& r, const std::string& key, const std::string& uri, bool need_object) {
  try {
    (void)pkcs11::parse_token_uri(uri, need_object);
  } catch (const std::invalid_argument& e) {
    r.fail(r.node(key), key, "\"" + uri + "\": " + e.what());
  }
}

}  // namespace

bool KeyConfig::in_token() const {
  return !pkcs11.empty();
}

KeyConfig read_key(TableReader& parent, const std::string& file, const std::filesystem::path& dir) {
  const toml::table* t = parent.subtable("key");
  if (t == nullptr) {
    parent.fail(nullptr, "key", "required key is missing");
  }
  TableReader r(*t, file, parent.prefix() + "key.");
  KeyConfig k;
  k.algorithm = *r.string("algorithm", true);
  std::string why;
  if (!is_known_key_algorithm(k.algorithm, why)) {
    r.fail(r.node("algorithm"), "algorithm", "\"" + k.algorithm + "\": " + why);
  }
  auto f = r.string("file");
  auto p11 = r.string("pkcs11");
  if (f.has_value() == p11.has_value()) {
    r.fail(nullptr, "file", "give exactly one of key.file and key.pkcs11");
  }
  auto pin_file = r.string("pin_file");
  auto pin_env = r.string("pin_env");
  if (f) {
    k.file = dir / *f;
    if (pin_file || pin_env) {
      r.fail(r.node(pin_file ? "pin_file" : "pin_env"), pin_file ? "pin_file" : "pin_env",
             "a PIN belongs to a key.pkcs11 token key; a key.file is opened with the passphrase");
    }
  } else {
    k.pkcs11 = *p11;
    check_uri(r, "pkcs11", k.pkcs11, true);
    check_token_algorithm(r, "algorithm", k.algorithm);
    if (pin_file.has_value() == pin_env.has_value()) {
      r.fail(r.node("pkcs11"), "pin_file",
             "a token key needs exactly one of pin_file and pin_env (the token's user PIN)");
    }
    if (pin_file) {
      k.pin_file = dir / *pin_file;
    } else {
      k.pin_env = *pin_env;
    }
  }
  r.finish();
  return k;
}

void read_pkcs11_table(TableReader& r, Config& cfg) {
  if (auto m = r.string("module")) {
    if (m->empty()) {
      r.fail(r.node("module"), "module", "must name a PKCS#11 module (a .so path)");
    }
    cfg.pkcs11_module = *m;
  }
}

void check_responder_token(TableReader& r, OcspConfig& o, const std::filesystem::path& dir) {
  auto uri = r.string("responder_pkcs11");
  auto pin_file = r.string("responder_pin_file");
  auto pin_env = r.string("responder_pin_env");
  if (!uri) {
    if (pin_file || pin_env) {
      r.fail(r.node(pin_file ? "responder_pin_file" : "responder_pin_env"),
             pin_file ? "responder_pin_file" : "responder_pin_env",
             "belongs to ocsp.responder_pkcs11 (responder keys in a token)");
    }
    return;
  }
  o.responder_pkcs11 = *uri;
  check_uri(r, "responder_pkcs11", o.responder_pkcs11, false);
  check_token_algorithm(r, "responder_key", o.responder_key_algorithm);
  for (const char* k :
       {"responder_key_dir", "responder_passphrase_file", "responder_passphrase_env"}) {
    if (r.node(k) != nullptr) {
      r.fail(r.node(k), k,
             "responder keys are in the token of ocsp.responder_pkcs11: no key folder or "
             "passphrase (give responder_pin_file or responder_pin_env)");
    }
  }
  if (pin_file.has_value() == pin_env.has_value()) {
    r.fail(r.node("responder_pkcs11"), "responder_pin_file",
           "responder keys in a token need exactly one of responder_pin_file and "
           "responder_pin_env");
  }
  if (pin_file) {
    o.responder_pin_file = dir / *pin_file;
  } else {
    o.responder_pin_env = *pin_env;
  }
}

}  // namespace pkirepo
