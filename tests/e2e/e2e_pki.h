// The PKI every end-to-end test runs against: a root (EC P-384), two issuing CAs (EC P-384 and
// RSA 4096) and a CRL-only one (EC P-384), and under each a good and a revoked (keyCompromise)
// certificate (and a short-lived one under the CRL-only CA), created by the
// real pkirepo-signer (init, issue, revoke, run) on the wall clock, and served by the real
// pkirepo-responder on 127.0.0.1. repository.base_url points at the responder's port, so the
// AIA and CDP URLs inside the certificates reach it: clients that follow them by themselves
// (NSS, openssl -crl_download, ocsptool --ask) need nothing else.
//
// Built once per test process (E2ePki::shared()); the responder is stopped and the directory
// removed when the process exits. Files in dir(): <ca>.pem/.der (CA certificates, fetched
// from the responder's caIssuers URLs), <ca>-<kind>.pem/.der (leaf certificates).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/server_process.h"
#include "support/test_support.h"

namespace pkirepo::test {

// URLs from a certificate's AIA and CDP extensions, as `openssl x509` prints them.
struct CertUrls {
  std::string ocsp;
  std::string ca_issuers;
  std::vector<std::string> crl;
};
[[nodiscard]] CertUrls cert_urls(const std::filesystem::path& pem);

class E2ePki {
 public:
  // Throws std::runtime_error (with the failing command's output) when setup fails.
  static E2ePki& shared();

  // The issuing CAs with OCSP, each with a good and a revoked certificate.
  static constexpr const char* kIssuingCas[] = {"tls", "tls-rsa"};
  // A CRL-only issuing CA (ocsp = false): a good and a revoked certificate without an OCSP URL,
  // and a "short" one of a short-lived profile, with neither an OCSP URL nor a CDP.
  static constexpr const char* kCrlOnlyCa = "tls-crl";

  [[nodiscard]] const std::filesystem::path& dir() const { return dir_.path(); }
  [[nodiscard]] std::filesystem::path file(const std::string& name) const { return dir_ / name; }
  [[nodiscard]] const std::filesystem::path& config() const { return config_; }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url(const std::string& path = "") const;
  // "tls", "good" → <dir>/tls-good.pem; the CA's files are <dir>/<ca>.pem / .der.
  [[nodiscard]] std::filesystem::path leaf_pem(const std::string& ca,
                                               const std::string& kind) const;
  [[nodiscard]] std::filesystem::path leaf_der(const std::string& ca,
                                               const std::string& kind) const;
  [[nodiscard]] std::filesystem::path ca_pem(const std::string& ca) const;
  [[nodiscard]] std::filesystem::path ca_der(const std::string& ca) const;
  [[nodiscard]] const std::string& serial(const std::string& ca, const std::string& kind) const;

  // Sum of pkirepo_responder_requests_total for `route` (all outcomes) of the responder at
  // `base_url` (default: this PKI's), read from /metrics.
  [[nodiscard]] uint64_t requests(const std::string& route, const std::string& base_url = "") const;

  // pkirepo-signer -c config --operator e2e ARGS, on the wall clock.
  RunResult signer(std::vector<std::string> args) const;
  // The responder's environment: the inherited one without PKIREPO_NOW (wall clock).
  static std::vector<std::string> unset_env() { return {"PKIREPO_NOW"}; }

 private:
  E2ePki();
  TempDir dir_;
  int port_ = 0;
  std::filesystem::path config_;
  std::map<std::string, std::string> env_;
  std::map<std::string, std::string> serials_;
  std::unique_ptr<ServerProcess> responder_;
};

// Helpers shared by the client tests.
[[nodiscard]] std::string slurp(const std::filesystem::path& path);
[[nodiscard]] bool contains(const std::string& haystack, const std::string& needle);
// curl -sS --max-time 10 ARGS (no shell).
RunResult curl(const std::vector<std::string>& args);
// The path of a GET OCSP request for `request_der`: base64 (RFC 4648 §4), URL-encoded.
[[nodiscard]] std::string ocsp_get_path(const std::filesystem::path& request_der);

}  // namespace pkirepo::test
