// A CA's certificate records as `run` and `revoke --publish` read them from the `certs` database
// (core/store/schema.h): which keys belong to the CA, and what a record states in an OCSP
// response and on a CRL. Inline and allocation-free except crl_entry(): the scanner calls them
// for every certificate of a run.
#pragma once

#include <algorithm>
#include <cstddef>

#include "signer/crl_signing.h"
#include "signer/ocsp_signing.h"
#include "store/schema.h"
#include "x509/bytes.h"

namespace pkirepo::signer {

// `certs` keys are the issuing CA's key id (SHA-1 of its key bits, 20 bytes), then the serial.
inline constexpr size_t kKeyIdSize = 20;

// Whether the `certs` key `key` is a certificate of the CA whose key id is `key_id`.
[[nodiscard]] inline bool is_ca_cert_key(ByteView key, ByteView key_id) {
  return key.size() > kKeyIdSize && std::equal(key_id.begin(), key_id.end(), key.begin());
}

// The serial in a `certs` key.
[[nodiscard]] inline ByteView cert_key_serial(ByteView key) {
  return key.subspan(kKeyIdSize);
}

// A CRLReason as responses state it: unspecified (0) is left out, like no reason (-1).
[[nodiscard]] inline int normal_reason(int reason) {
  return reason <= 0 ? -1 : reason;
}

// What a response says about the certificate of `rec`.
[[nodiscard]] inline OcspStatus ocsp_status(const store::CertRecord& rec) {
  return {rec.status, normal_reason(rec.reason), rec.revocation_time};
}

// The CRL entry of the revoked certificate `rec`, serial `serial`.
[[nodiscard]] inline CrlEntry crl_entry(ByteView serial, const store::CertRecord& rec) {
  return CrlEntry{Bytes(serial.begin(), serial.end()), rec.revocation_time,
                  normal_reason(rec.reason), rec.invalidity_date, rec.not_after};
}

}  // namespace pkirepo::signer
