#include "signer/session.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "audit/audit_log.h"
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
EvpPkeyPtr matching(EvpPkeyPtr key, ByteView cert_der, const std::filesystem::path& file,
                    const std::string& whose) {
  X509Ptr cert = parse_cert_der(cert_der);
  if (!cert || X509_check_private_key(cert.get(), key.get()) != 1) {
    throw std::runtime_error(file.string() + ": does not hold the key of " + whose +
                             "'s certificate (check key.file in the config)");
  }
  return key;
}

}  // namespace

EvpPkeyPtr Session::load_ca_key(const store::CaRecord& record) {
  const std::filesystem::path file = config_.ca_key_path(record.id, record.key_file);
  return matching(load_key(file), record.cert_der, file, "CA " + record.id);
}

EvpPkeyPtr Session::load_responder_key(const store::CaRecord& record) {
  const std::filesystem::path file =
      config_.responder_key_path(record.id, record.responder_key_file);
  return matching(load_responder_key_file(file), record.responder_cert_der, file,
                  "CA " + record.id + "'s responder");
}

}  // namespace pkirepo::signer
