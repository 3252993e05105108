// Builds and signs X.509 v3 certificates from a CertSpec. Extensions are given in OpenSSL's
// config syntax ("critical,CA:TRUE,pathlen:0") and built by OpenSSL's X509V3 code with the
// issuer and subject set, so SKI/AKI come out right. Used by init (CAs, responder
// certificates) and issue (subscribers).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "x509/bytes.h"
#include "x509/openssl_ptr.h"
#include "x509/time.h"

namespace pkirepo::signer {

struct CertSpec {
  const X509_NAME* subject = nullptr;
  EVP_PKEY* public_key = nullptr;  // the subject's key (borrowed)
  // Or the subject's SubjectPublicKeyInfo as a request carried it, copied field by field
  // (borrowed; takes precedence over public_key). OpenSSL 3.0 sets an EVP_PKEY by running
  // it through its encoder and decoder, 175 us a certificate; copying costs nothing and keeps
  // the exact bytes the requester signed. The certificate then has no decoded key: callers
  // that need one use their own (lint_certificate with key_checked).
  const X509_ALGOR* public_key_algorithm = nullptr;
  const ASN1_BIT_STRING* public_key_bits = nullptr;
  UnixTime not_before = 0;
  UnixTime not_after = 0;
  Bytes serial;                  // magnitude, big-endian
  const X509* issuer = nullptr;  // nullptr: self-signed (issuer = subject, signed by `signing_key`)
  EVP_PKEY* signing_key = nullptr;  // the issuer's private key (borrowed)
  // Optional: a SigningTemplate for signing_key, so a batch does not set up a signing context
  // (provider fetches) for every certificate. Not shared between threads.
  const class SigningTemplate* signing_template = nullptr;
  std::vector<std::pair<int, std::string>> extensions;  // NID, OpenSSL conf value
  std::vector<X509_EXTENSION*> extra_extensions;  // borrowed, added as they are (SAN from a CSR)
};

// A DigestSign context initialised once with a key and its digest, copied for each signature
// (a context cannot sign twice). One per thread.
class SigningTemplate {
 public:
  explicit SigningTemplate(EVP_PKEY* key);  // throws std::runtime_error
  // A fresh context ready to sign; throws std::runtime_error.
  [[nodiscard]] EvpMdCtxPtr context() const;

 private:
  EvpMdCtxPtr template_;
};

// Throws std::runtime_error naming the extension or step that failed.
[[nodiscard]] X509Ptr build_certificate(const CertSpec& spec);

// The extensions of `list` as OpenSSL objects, built once against `issuer` (for the AKI) so a
// batch reuses them for every certificate it signs (CertSpec::extra_extensions). Only for
// extensions that do not depend on the subject (no SKI). Throws like build_certificate().
[[nodiscard]] std::vector<X509ExtensionPtr> build_extensions(
    const std::vector<std::pair<int, std::string>>& list, const X509* issuer);

// BR 7.1: 16 bytes from the CSPRNG (128 bits ≥ the 64 required), top bit cleared so the
// INTEGER is positive and < 2^159, first byte non-zero so the length is always 16 bytes.
[[nodiscard]] Bytes random_serial();

}  // namespace pkirepo::signer
