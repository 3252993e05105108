#include "signer/session.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "audit/audit_log.h"
#include "pkcs11/engine_key.h"
#include "pkcs11/token.h"
#include "pkcs11/token_uri.h"
#include "policy/profiles.h"
#include "x509/der.h"
#include "x509/key.h"
#include "x509/key_file.h"

namespace pkirepo::signer {

std::string login_name() {
  if (const char* user = std::getenv("USER"); user != nullptr && *user != '\0') {
    return user;
  }
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr) {
    return pw->pw_name;
  }
  return "uid-" + std::to_string(::geteuid());
}

void check_profile_dates(const Config& config, UnixTime now, bool refuse) {
  for (const policy::Finding& f : policy::profile_date_findings(config, now)) {
    if (refuse && f.severity == policy::Severity::error) {
      throw ConfigError(f.message);
    }
    std::cerr << "pkirepo-signer: warning: " << f.message << "\n";
  }
}

Session::Session(const Globals& globals, UnixTime now)
    : config_(load_config(globals.config_path)),
      now_(now),
      operator_(globals.operator_name.empty() ? login_name() : globals.operator_name) {}

store::WriteStore& Session::store() {
  if (!store_) {
    auto opened = std::make_unique<store::WriteStore>(config_.repository.store);
    // Only commands that write open the store here. A clock behind the newest audit record
    // refuses them before any work, rather than at their first audit record (run, for one,
    // commits OCSP batches before it appends the record that covers them).
    {
      store::ReadTxn txn = opened->begin_read();
      audit::check_clock(txn, now_);
    }
    store_ = std::move(opened);
  }
  return *store_;
}

const std::string& Session::passphrase() {
  if (passphrase_.empty()) {
    passphrase_ = config_.key_passphrase();
  }
  return passphrase_;
}

const std::string& Session::responder_passphrase() {
  if (responder_passphrase_.empty()) {
    responder_passphrase_ = config_.responder_key_passphrase();
  }
  return responder_passphrase_;
}

EvpPkeyPtr Session::load_key(const std::filesystem::path& file) {
  return read_encrypted_key(file, passphrase());
}

EvpPkeyPtr Session::load_responder_key_file(const std::filesystem::path& file) {
  if (!config_.has_responder_passphrase()) {
    return load_key(file);
  }
  // With a passphrase of its own a responder key may be the responder's group's too (0640).
  const KeyFileAccess access = KeyFileAccess::responder(config_.repository.store);
  try {
    return read_encrypted_key(file, responder_passphrase(), access);
  } catch (const std::runtime_error&) {
    // Throws the CA passphrase's error when that fails too.
    EvpPkeyPtr key = read_encrypted_key(file, passphrase(), access);
    std::cerr << "pkirepo-signer: warning: " << file.string()
              << " is still encrypted under the CA passphrase, not "
                 "ocsp.responder_passphrase_*: run `pkirepo-signer keys rewrap`\n";
    return key;
  }
}

namespace {

// `key` from `file`, if it is the private key of `cert_der`'s public key.
// `where` is the key's file or token URI.
EvpPkeyPtr matching(EvpPkeyPtr key, ByteView cert_der, const std::filesystem::path& where,
                    const std::string& whose) {
  X509Ptr cert = parse_cert_der(cert_der);
  if (!cert || X509_check_private_key(cert.get(), key.get()) != 1) {
    throw std::runtime_error(where.string() + ": does not hold the key of " + whose +
                             "'s certificate (check key.file or key.pkcs11 in the config)");
  }
  return key;
}

}  // namespace

EvpPkeyPtr Session::load_ca_key(const store::CaRecord& record) {
  const std::string whose = "CA " + record.id;
  if (const CaConfig* ca = config_.find_ca(record.id); ca != nullptr && ca->key.in_token()) {
    return matching(open_token_key(ca->key.pkcs11, config_.key_pin(ca->key, ca->id), whose),
                    record.cert_der, ca->key.pkcs11, whose);
  }
  if (pkcs11::is_token_reference(record.key_file) && config_.find_ca(record.id) == nullptr) {
    throw std::runtime_error(whose + ": its key is in a token (" + record.key_file +
                             ") but the CA is no longer in the config, which names its PIN");
  }
  const std::filesystem::path file = config_.ca_key_path(record.id, record.key_file);
  return matching(load_key(file), record.cert_der, file, whose);
}

EvpPkeyPtr Session::load_responder_key(const store::CaRecord& record) {
  const std::string whose = "CA " + record.id + "'s responder";
  if (pkcs11::is_token_reference(record.responder_key_file)) {
    return matching(open_token_key(record.responder_key_file, responder_pin(), whose),
                    record.responder_cert_der, record.responder_key_file, whose);
  }
  const std::filesystem::path file =
      config_.responder_key_path(record.id, record.responder_key_file);
  return matching(load_responder_key_file(file), record.responder_cert_der, file, whose);
}

const std::string& Session::responder_pin() {
  if (responder_pin_.empty()) {
    if (!config_.responder_keys_in_token()) {
      throw ConfigError(config_.file.string() +
                        ": a responder key is in a token but ocsp.responder_pkcs11 and its "
                        "responder_pin_file or responder_pin_env are not set");
    }
    responder_pin_ = config_.responder_pin();
  }
  return responder_pin_;
}

void Session::record_key_event(const std::string& event,
                               const std::map<std::string, std::string>& fields) {
  store().transact(
      [&](store::WriteTxn& txn) { audit::append(txn, now_, operator_, event, fields); });
}

EvpPkeyPtr Session::open_token_key(const std::string& uri_text, const std::string& pin,
                                   const std::string& whose) {
  pkcs11::TokenUri uri;
  try {
    uri = pkcs11::parse_token_uri(uri_text, true);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(whose + ": " + uri_text + ": " + e.what());
  }
  const std::string& module = config_.pkcs11_module;
  EvpPkeyPtr key;
  try {
    // The token's own answers first: the engine cannot tell a missing token from a wrong PIN.
    {
      pkcs11::TokenSession session(module, uri.token, pin);
      if (!session.has_private_key(uri.object)) {
        throw pkcs11::TokenError(
            pkcs11::TokenError::Kind::key_missing,
            "token \"" + uri.token + "\" holds no private key labelled \"" + uri.object + "\"");
      }
    }
    key = pkcs11::load_token_key(module, uri, pin);
  } catch (const pkcs11::TokenError& e) {
    record_key_event(pkcs11::token_error_event(e.kind()),
                     {{"key", whose}, {"uri", uri_text}, {"error", e.what()}});
    throw std::runtime_error(whose + ": " + e.what());
  } catch (const std::runtime_error& e) {
    record_key_event("token_failed", {{"key", whose}, {"uri", uri_text}, {"error", e.what()}});
    throw std::runtime_error(whose + ": " + e.what());
  }
  if (opened_tokens_keys_.insert(uri_text).second) {
    record_key_event("token_key_opened", {{"key", whose}, {"uri", uri_text}});
  }
  return key;
}

}  // namespace pkirepo::signer
