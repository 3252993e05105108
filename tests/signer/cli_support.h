// Helpers for the signer CLI tests: a test PKI in a temp dir and a snapshot of the store to
// prove that a refused command changed nothing.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "store/store.h"
#include "support/test_support.h"

namespace pkirepo::test {

struct TestPki : DemoRepo {
  explicit TestPki(const std::string& extra_config = "") : DemoRepo(extra_config) {}
  RunResult signer(std::vector<std::string> args) const;
  // Writes a CSR made with `algorithm` and returns its path.
  std::filesystem::path csr(const std::string& name, const std::string& algorithm = "ec-p256",
                            const std::vector<std::string>& dns = {}) const;  // empty: the CN
  // How many records the store's database `db` ("audit", "certs", ...) holds.
  size_t records(const std::string& db) const;
  // Writes the CA's certificate / current responder certificate from the store as PEM into
  // the test's folder; returns the path.
  std::string ca_pem(const std::string& ca_id) const;
  std::string responder_pem(const std::string& ca_id) const;
};

// Every key/value of the certs, cas and audit databases (and meta), for before/after checks.
using StoreSnapshot = std::map<std::string, std::map<Bytes, Bytes>>;
StoreSnapshot snapshot(const std::filesystem::path& store_dir);

}  // namespace pkirepo::test
