// A CA certificate as the config describes it: built and checked by one function whether
// `init` signs it with a key at hand or `ceremony` signs it for a request the online host made
// (`ca request`), and recorded in the store by one function whether `init` or `import` stores
// it. So a subordinate created at a ceremony is byte for byte what `init` would have made.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "policy/rules.h"
#include "store/lmdb.h"
#include "store/schema.h"
#include "x509/openssl_ptr.h"
#include "x509/time.h"

namespace pkirepo::signer {

// Throws std::runtime_error "<what>: <rule>: <message>" for the first error among `findings`.
void throw_on_lint_errors(const std::vector<policy::Finding>& findings, const std::string& what);

// The certificate of `ca` for `public_key`: subject, validity and extensions from the config
// (policy::ca_extensions), notBefore `now`, a random serial, signed by `signing_key` under
// `parent_cert` (nullptr: self-signed by `signing_key`, a root). Refuses (std::runtime_error
// naming the CA) a key below CPS 6.1.5, a validity past the parent's notAfter (CPS 6.3.2) and
// any lint error.
[[nodiscard]] X509Ptr build_ca_certificate(const Config& cfg, const CaConfig& ca,
                                           EVP_PKEY* public_key, const X509* parent_cert,
                                           EVP_PKEY* signing_key, UnixTime now);

// Stores a new CA in `txn`: its `cas` record, for a subordinate the parent's `certs` record of
// its certificate (the parent's CRL and OCSP cover it), and the `ca_certificate_issued` audit
// record. `record.cert_der` is the certificate.
void record_ca_certificate(store::WriteTxn& txn, const store::CaRecord& record, UnixTime now,
                           const std::string& operator_name);

}  // namespace pkirepo::signer
