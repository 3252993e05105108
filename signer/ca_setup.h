// Creating CAs and their delegated OCSP responder certificates (`init`, and responder
// rotation in `run`). Keys are written to their files before the store transaction commits;
// KeyFileGuard removes them again when the command fails, so a failed init leaves nothing.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "signer/session.h"
#include "store/schema.h"

namespace pkirepo::signer {

class KeyFileGuard {
 public:
  KeyFileGuard() = default;
  // With a journal (key_journal()): every file is named in it before it is created, so the key
  // files of a signer killed (SIGKILL, power loss) before its commit are found by the next one
  // (recover_interrupted_key_files) instead of blocking it with "already exists".
  explicit KeyFileGuard(std::filesystem::path journal) : journal_(std::move(journal)) {}
  ~KeyFileGuard();
  KeyFileGuard(const KeyFileGuard&) = delete;
  KeyFileGuard& operator=(const KeyFileGuard&) = delete;
  // Names `p` in the journal (fsynced) before the caller creates it; nothing without a journal.
  // Throws when the journal cannot be written (nothing has been created yet then).
  void will_create(const std::filesystem::path& p);
  void add(const std::filesystem::path& p) { files_.push_back(p); }
  // After the commit: the files belong to the store; the journal goes.
  void keep();

 private:
  std::filesystem::path journal_;
  bool journal_written_ = false;
  std::vector<std::filesystem::path> files_;
};

// <store>/keys.pending: the key files a running init or responder rotation is creating.
[[nodiscard]] std::filesystem::path key_journal(const Config& cfg);

// Key files named in the journal that no CA of the store uses (as its key or its responder's)
// were left by a signer killed between creating them and its commit. Each is renamed to
// "<file>.interrupted-<time>" (key material is never deleted unasked) with a line on stderr, and
// the journal is removed. Nothing when there is no journal. Runs before init or a rotation
// creates keys.
void recover_interrupted_key_files(Session& session);

struct ResponderIssue {
  Bytes cert_der;
  std::string key_file;
  std::string serial_hex;
  UnixTime not_after = 0;
};

// Generates a responder key (config ocsp.responder_key), writes it next to the CA's key and
// issues its certificate, signed by `ca_key`, valid from `now` for ocsp.responder_validity (never
// past the CA's notAfter). Checked by the same lint as everything else; throws on a finding.
[[nodiscard]] ResponderIssue issue_responder_certificate(Session& session, const CaConfig& ca,
                                                         const X509* ca_cert, EVP_PKEY* ca_key,
                                                         KeyFileGuard& guard);

}  // namespace pkirepo::signer
