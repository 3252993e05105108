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
  ~KeyFileGuard();
  KeyFileGuard(const KeyFileGuard&) = delete;
  KeyFileGuard& operator=(const KeyFileGuard&) = delete;
  void add(const std::filesystem::path& p) { files_.push_back(p); }
  void keep() { files_.clear(); }

 private:
  std::vector<std::filesystem::path> files_;
};

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
