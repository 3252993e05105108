// Test PKI for the responder's tests: CAs with delegated responder certificates, OCSP
// responses signed here with OpenSSL (what `pkirepo-signer run` stores), OCSP requests as
// clients build them, and a store holding them. Time is always passed in.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "store/schema.h"
#include "store/store.h"
#include "support/base64.h"
#include "x509/bytes.h"
#include "x509/cert_info.h"
#include "x509/openssl_ptr.h"
#include "x509/time.h"

namespace pkirepo::test {

// 2026-11-22T00:00:00Z, the signer tests' pinned clock.
inline constexpr UnixTime kT0 = 1795305600;

struct FixtureCa {
  std::string id;
  X509Ptr cert;
  EvpPkeyPtr key;
  X509Ptr responder_cert;  // id-kp-OCSPSigning, signed by `key`
  EvpPkeyPtr responder_key;
};

// A self-signed CA named "CN=<id>" with `algorithm` keys ("ec-p256", "rsa-2048", ...).
FixtureCa make_fixture_ca(const std::string& id, const std::string& algorithm);

struct SignedStatus {
  store::CertStatus status = store::CertStatus::good;
  StatedReason reason;
  UnixTime revoked_at = 0;
};

// A pre-signed response for (ca, serial) with the given CertID hash, signed by the CA's
// delegated responder (byKey, responder certificate included), producedAt = thisUpdate.
store::OcspRecord sign_ocsp(const FixtureCa& ca, ByteView serial, CertIdHash hash,
                            const SignedStatus& status, UnixTime this_update, UnixTime next_update);

// An OCSPRequest for `serials` (usually one), optionally with a nonce of `nonce_len` bytes.
Bytes make_request(const FixtureCa& ca, const std::vector<Bytes>& serials, CertIdHash hash,
                   size_t nonce_len = 0);
inline Bytes make_request(const FixtureCa& ca, ByteView serial, CertIdHash hash,
                          size_t nonce_len = 0) {
  return make_request(ca, std::vector<Bytes>{Bytes(serial.begin(), serial.end())}, hash, nonce_len);
}

// Puts `ca` into the `cas` database and responses for `serials` (both hashes) into `ocsp`.
void put_ca(store::WriteStore& store, const FixtureCa& ca);
void put_response(store::WriteStore& store, const FixtureCa& ca, ByteView serial,
                  const SignedStatus& status, UnixTime this_update, UnixTime next_update);

Bytes serial_of(uint64_t n);

}  // namespace pkirepo::test
