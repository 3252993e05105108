// One signer command's environment: the loaded config, the operator, the moment the command
// runs (read once in main), the store (opened on first use, with the signer lock) and the key
// passphrase (read on first use, never printed).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "config/config.h"
#include "store/store.h"
#include "x509/openssl_ptr.h"
#include "x509/time.h"

namespace pkirepo::signer {

// Options every command shares, filled by CLI11 before a command runs.
struct Globals {
  std::filesystem::path config_path = "pkirepo.toml";
  std::string operator_name;  // default: the login name
};

class Session {
 public:
  // Loads the config (throws ConfigError). `now` comes from main().
  Session(const Globals& globals, UnixTime now);

  [[nodiscard]] const Config& config() const { return config_; }
  [[nodiscard]] UnixTime now() const { return now_; }
  [[nodiscard]] const std::string& operator_name() const { return operator_; }
  // Opens the store on first use (with the signer lock). Throws when `now` is behind the
  // newest audit record (audit::check_clock): every command that writes comes through here.
  [[nodiscard]] store::WriteStore& store();
  [[nodiscard]] const std::string& passphrase();
  // The responder keys' passphrase (Config::responder_key_passphrase), read on first use.
  [[nodiscard]] const std::string& responder_passphrase();
  // A responder key file: under the responder passphrase, or, while `keys rewrap` has not yet
  // moved it, under the CA passphrase (with a warning on stderr naming the fix).
  [[nodiscard]] EvpPkeyPtr load_responder_key_file(const std::filesystem::path& file);
  // The private key of a CA or responder key file; throws naming the file on a wrong
  // passphrase. Keys stay in memory for the command only.
  [[nodiscard]] EvpPkeyPtr load_key(const std::filesystem::path& file);
  // The key of the CA of `record`, from where the config says it is: its token (key.pkcs11)
  // or its file (Config::ca_key_path). Throws naming the file or URI when it does not hold the
  // key of the CA's certificate.
  [[nodiscard]] EvpPkeyPtr load_ca_key(const store::CaRecord& record);
  // The key of the CA's current delegated responder certificate: in the token its URI names,
  // or in its file (Config::responder_key_path). Throws like load_ca_key.
  [[nodiscard]] EvpPkeyPtr load_responder_key(const store::CaRecord& record);
  // A token key, logged in with `pin`. Every token event is an audit record in a transaction
  // of its own, also when the command then fails: the first use of each key in a command
  // (`token_key_opened`), a missing token, a wrong or locked PIN, a missing key. Throws
  // std::runtime_error starting with `whose`.
  [[nodiscard]] EvpPkeyPtr open_token_key(const std::string& uri, const std::string& pin,
                                          const std::string& whose);
  // A key event as an audit record in a transaction of its own (see open_token_key).
  void record_key_event(const std::string& event, const std::map<std::string, std::string>& fields);
  // The responder token's PIN (ocsp.responder_pin_*), read on first use.
  [[nodiscard]] const std::string& responder_pin();

 private:
  Config config_;
  UnixTime now_;
  std::string operator_;
  std::unique_ptr<store::WriteStore> store_;
  std::string passphrase_;
  std::string responder_passphrase_;
  std::string responder_pin_;
  std::set<std::string> opened_tokens_keys_;  // URIs whose first use is on record
};

// BR 6.3.2 by date (policy::profile_date_findings): prints each finding on stderr as a
// warning; with `refuse`, a TLS profile longer than today's limit throws ConfigError instead
// (commands that issue). Commands that only keep status running (`run`, `revoke`) never refuse
// for it: a profile mistake must not become a status outage.
void check_profile_dates(const Config& config, UnixTime now, bool refuse);

// The login name, for the audit log's operator field.
[[nodiscard]] std::string login_name();

}  // namespace pkirepo::signer
