// The certificate profile rules of the reference CPS and the BRs (docs/issuance-rules.md lists them
// with their sources), as one implementation shared by issuance (refuse) and `lint` (report). Each
// Finding names the section it comes from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "x509/crl_reason.h"
#include "x509/openssl_ptr.h"
#include "x509/time.h"

namespace pkirepo::policy {

enum class CertType { root, subordinate_ca, issuing_ca, subscriber, ocsp_responder };
[[nodiscard]] const char* cert_type_name(CertType t);

enum class Severity { error, warning };

// CA/Browser Forum domain-validated certificate policy (BR 7.1.6.1).
inline constexpr const char* kDomainValidatedPolicy = "2.23.140.1.2.1";

struct Finding {
  Severity severity = Severity::error;
  std::string rule;     // "CPS 6.1.5", "BR 7.1", "RFC 5280 4.1.2.5", ...
  std::string message;  // one line
};

// One row of the CPS 6.1.5 key table, as data: check_public_key() applies these
// rows and the publisher renders them as the CPS's key-size table, so both say the same.
struct KeySizeRule {
  const char* certificate;          // "Root CA", "Subordinate / issuing CA", "Subscriber"
  const char* condition;            // "created after 2014-01-01", "expiring before 2030-12-31", ...
  int min_rsa_bits;                 // minimum RSA modulus size
  std::vector<std::string> curves;  // allowed ECDSA curves ("P-256", "P-384", "P-521")
  const char* ml_dsa;               // "ML-DSA-87", "ML-DSA-44 or stronger"
  bool ca = false;                  // row applies to root, subordinate and issuing CAs
  bool strong = false;              // row is the one for "created after 2014 / expiring after 2030"
};
// The whole table in the CPS's order. Static storage; never changes at run time.
[[nodiscard]] const std::vector<KeySizeRule>& key_size_table();

// CPS 6.1.5 key table: algorithm and size by certificate type, creation date (notBefore) and
// notAfter relative to 2030-12-31; plus the weak-key checks of BR 6.1.1.3/6.1.6 (RSA even
// modulus, small prime factors below 752, exponent outside 2^16+1..2^256-1; EC point not on
// the curve or at infinity).
[[nodiscard]] std::vector<Finding> check_public_key(const EVP_PKEY* key, CertType type,
                                                    UnixTime not_before, UnixTime not_after);

// CPS 6.3.2 maximum validity: root 25 years, subordinate CA 20, issuing (online) CA 6,
// subscriber 15 months; responder certificates at most 398 days (BR 7.1.2.8: short-lived).
[[nodiscard]] std::optional<Finding> check_validity(CertType type, UnixTime not_before,
                                                    UnixTime not_after);

// BR 6.3.2 (ballot SC-081) and BR 1.6.1 (ballot SC-063): how long a TLS server certificate may
// be valid, by its notBefore, as data: issuance, config checks, `status` and the publisher's CPS
// tables all read this one table. Validity counts inclusively (notAfter - notBefore + 1 s), so
// "200 days" allows at most 200 * 86400 seconds.
struct TlsValidityStep {
  UnixTime from = 0;             // applies to certificates whose notBefore is at or after this
  const char* from_text;         // "2026-03-15", or "before 2026-03-15" for the first row
  int64_t max_days = 0;          // maximum validity
  int64_t dcv_reuse_days = 0;    // domain-validation reuse period
  int64_t short_lived_days = 0;  // at most this long counts as short-lived (no status needed)
};
// The whole table, oldest step first. Static storage.
[[nodiscard]] const std::vector<TlsValidityStep>& tls_validity_table();
// The step in force for a certificate whose notBefore is `not_before`.
[[nodiscard]] const TlsValidityStep& tls_validity_at(UnixTime not_before);
// The first step that starts after `now`, or nullptr when none is scheduled.
[[nodiscard]] const TlsValidityStep* next_tls_validity_step(UnixTime now);
// A TLS server certificate's validity against the step in force at its notBefore.
[[nodiscard]] std::optional<Finding> check_tls_validity(UnixTime not_before, UnixTime not_after);
// Validity in seconds as the BRs count it: notAfter - notBefore + 1.
[[nodiscard]] constexpr int64_t inclusive_validity(UnixTime not_before, UnixTime not_after) {
  return not_after - not_before + 1;
}

// BR 7.1.3.1: the SubjectPublicKeyInfo's AlgorithmIdentifier is one of the exact encodings the
// BRs list (rsaEncryption with NULL parameters; id-ecPublicKey with the named curve P-256,
// P-384 or P-521), and an EC point is uncompressed (RFC 5480 2.2) with no unused bits.
// `algorithm` and `key_bits` are the two fields of a SubjectPublicKeyInfo (a request's or a
// certificate's); the finding names what differs.
[[nodiscard]] std::optional<Finding> check_key_encoding(const X509_ALGOR* algorithm,
                                                        const ASN1_BIT_STRING* key_bits);

// BR 7.1: serial positive, below 2^159, at least 64 bits of entropy for non-root certificates
// (we require at least 8 bytes of serial).
[[nodiscard]] std::optional<Finding> check_serial(const ASN1_INTEGER* serial, CertType type);

// Which type a certificate is, from its extensions (basicConstraints, EKU, self-issued).
[[nodiscard]] CertType classify(const X509* cert);

// Every rule above plus the structural ones (v3, no SHA-1 signature, RFC 5280 time encoding,
// CA keyUsage/basicConstraints critical, TLS EKU hygiene, responder certificate shape of
// BR 7.1.2.8, name chaining when `issuer` is given). Ordered errors first.
// `key_checked`: the caller already ran check_public_key() on this key with the same type and
// dates (issuance checks the request's key before signing): the key is neither decoded again
// nor are its findings repeated.
[[nodiscard]] std::vector<Finding> lint_certificate(const X509* cert, const X509* issuer = nullptr,
                                                    bool key_checked = false);

[[nodiscard]] bool has_errors(const std::vector<Finding>& findings);

// RFC 5280 5.3.1 reasons by name ("keyCompromise"; "unspecified" is none stated). false for
// an unknown name and for certificateHold and removeFromCRL (CPS 4.9.13: no suspension).
[[nodiscard]] bool parse_reason(std::string_view name, StatedReason& out);
[[nodiscard]] const char* reason_name(StatedReason reason);  // none -> "unspecified"
// BR 7.2.2 / CCADB 3.2: reasons allowed for subscriber certificates and, with cACompromise, for
// CAs.
[[nodiscard]] bool reason_allowed(StatedReason reason, bool for_ca_certificate);

}  // namespace pkirepo::policy
