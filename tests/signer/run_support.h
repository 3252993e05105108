// Fixtures for the `run`, `status`, `export` and `revoke --publish` tests: a repository in a
// TempDir driven through the real pkirepo-signer binary, with the clock pinned by PKIREPO_NOW,
// plus read-only peeks into the store and a fast way to fill it with many certificates.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"
#include "support/test_support.h"
#include "x509/cert_info.h"
#include "x509/time.h"

namespace pkirepo::test {

// The real clock, whole seconds: tests that hand responses to the openssl CLI need times
// openssl accepts (it checks validity against its own clock).
[[nodiscard]] UnixTime wall_clock();

struct RunRepo {
  // write_demo_config() + `extra` config (with ocsp.sign_at_issuance = false: `run` signs every
  // response), initialised at `now` (init runs in the constructor).
  explicit RunRepo(UnixTime now, const std::string& extra = "");

  TempDir dir;
  std::filesystem::path config;
  UnixTime now;

  // Runs pkirepo-signer -c CONFIG ARGS with PKIREPO_NOW = `at` (default: `now`).
  RunResult signer(const std::vector<std::string>& args, std::optional<UnixTime> at = {}) const;
  // Issues one certificate for `cn` under tls-server; returns its serial (lowercase hex).
  std::string issue(const std::string& cn, std::optional<UnixTime> at = {}) const;
  [[nodiscard]] std::filesystem::path store_dir() const { return dir.path() / "store"; }
  [[nodiscard]] std::filesystem::path cert_pem(const std::string& serial) const {
    return dir.path() / ("cert-" + serial + ".pem");
  }
  // Writes the CA's certificate / current responder certificate as PEM; returns the path.
  std::string ca_pem(const std::string& ca_id) const;
  std::string responder_pem(const std::string& ca_id) const;
};

// Read-only peeks (ReadStore; no signer may be running).
[[nodiscard]] std::optional<store::OcspRecord> ocsp_record(const std::filesystem::path& store_dir,
                                                           const std::string& ca_id,
                                                           const std::string& serial_hex,
                                                           CertIdHash hash);
[[nodiscard]] std::optional<store::CrlRecord> crl_record(const std::filesystem::path& store_dir,
                                                         const std::string& ca_id, int shard);
[[nodiscard]] std::optional<store::CaRecord> ca_record(const std::filesystem::path& store_dir,
                                                       const std::string& ca_id);
// Which certificate of a CA record: the CA's own or its current OCSP responder's.
enum class CaCert { ca, responder };
// Writes that certificate as PEM to `path`; returns the path as a string.
std::string write_ca_pem(const std::filesystem::path& store_dir, const std::string& ca_id,
                         CaCert which, const std::filesystem::path& path);
// Every OCSP record whose CertID names `ca_id` as issuer with `hash`.
[[nodiscard]] size_t count_ocsp(const std::filesystem::path& store_dir, const std::string& ca_id,
                                CertIdHash hash);
// Writes `der` to `path` and returns the path as a string.
std::string write_der(const std::filesystem::path& path, ByteView der);
std::string write_crl_pem(const std::filesystem::path& path, ByteView der);

// Adds `count` synthetic certificate records under `ca_id` straight into the store (OCSP and
// CRL signing read only the record's fields, not its DER, which is a copy of the CA's
// certificate here). Every `revoke_every`-th one (0: none) is revoked with keyCompromise.
// Returns the serials (hex). Fast: thousands per second even under ASan.
std::vector<std::string> add_synthetic_certs(const std::filesystem::path& store_dir,
                                             const std::string& ca_id, size_t count,
                                             size_t revoke_every, UnixTime not_before,
                                             UnixTime not_after, int shards = 1);

}  // namespace pkirepo::test
