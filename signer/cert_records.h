// A CA's certificate records as `run`, `status` and `revoke --publish` read them from the
// `certs` database (core/store/schema.h): which keys belong to the CA, and what a record states
// in an OCSP response and on a CRL. Inline and allocation-free except the ones defined in
// cert_records.cpp, which only revoked certificates reach: the scanner calls the rest for every
// certificate of a run.
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>

#include "config/config.h"
#include "signer/crl_signing.h"
#include "signer/ocsp_signing.h"
#include "store/lmdb.h"
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

// What a response says about the certificate of `rec`.
[[nodiscard]] inline OcspStatus ocsp_status(const store::CertRecord& rec) {
  return {rec.status, rec.reason, rec.revocation_time};
}

// Until when a revoked certificate stays on its CA's CRLs: notAfter plus its profile's
// crl_retention. A CA certificate, or a profile no longer in the config, keeps the longest
// retention any profile configures (at least the default day): dropping an entry early is the
// one mistake that cannot be taken back.
[[nodiscard]] UnixTime crl_keep_until(const Config& cfg, const store::CertRecord& rec);

// The CRL entry of the revoked certificate `rec`, serial `serial`.
[[nodiscard]] CrlEntry crl_entry(const Config& cfg, ByteView serial, const store::CertRecord& rec);

// A revocation is never undone: when the revocation index (schema.h RevocationRecord) holds
// `index_value` for a certificate whose record says good, `rec` takes the index's revocation
// and this returns true (the store disagreed with itself: the caller reports it). Throws
// std::runtime_error on a malformed index record.
[[nodiscard]] bool apply_revocation_index(store::CertRecord& rec, ByteView index_value);

// Calls `visit` with the `certs` key and record (DER not copied) of every revoked certificate
// of the CA whose key id is `key_id`, as `txn` sees it, the revocation index overriding a
// record that says good. With a complete revocation index (store.h) this reads only the CA's
// revoked certificates; on an older store it walks all of the CA's records.
void for_each_revoked(const store::Txn& txn, ByteView key_id,
                      const std::function<void(ByteView, const store::CertRecord&)>& visit);

}  // namespace pkirepo::signer
