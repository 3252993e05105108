// RFC 5280 5.3.1 CRLReason, the one type for "why a certificate was revoked" in records, CRL
// entries and OCSP responses. A revocation states a reason or none: StatedReason is nullopt when
// no reasonCode is stated. unspecified (0) is not a member: RFC 5280 and BR 7.2.2 express it by
// leaving reasonCode out, so it becomes nullopt wherever a code enters (reason_from_code).
#pragma once

#include <cstdint>
#include <optional>

namespace pkirepo {

enum class CrlReason : uint8_t {
  key_compromise = 1,
  ca_compromise = 2,
  affiliation_changed = 3,
  superseded = 4,
  cessation_of_operation = 5,
  certificate_hold = 6,
  remove_from_crl = 8,
  privilege_withdrawn = 9,
  aa_compromise = 10,
};

using StatedReason = std::optional<CrlReason>;

// From a code as OpenSSL and the DER carry it: 0 (unspecified) and any negative value
// (OpenSSL's OCSP_REVOKED_STATUS_NOSTATUS) are "none stated".
[[nodiscard]] inline StatedReason reason_from_code(int code) {
  if (code <= 0 || code > 255) {
    return std::nullopt;
  }
  return static_cast<CrlReason>(code);
}

// The code to hand to OpenSSL: -1 (OCSP_REVOKED_STATUS_NOSTATUS) when none is stated.
[[nodiscard]] inline int reason_code(StatedReason reason) {
  return reason ? static_cast<int>(*reason) : -1;
}

}  // namespace pkirepo
