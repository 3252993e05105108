#include "store/freshness.h"

#include <algorithm>

#include "store/schema.h"
#include "store/store.h"
#include "x509/cert_info.h"
#include "x509/der.h"

namespace pkirepo::store {

ExpiredCertificates::ExpiredCertificates(const Txn& txn, UnixTime now) {
  for (const CaRecord& ca : list_cas(txn)) {
    X509Ptr cert = parse_cert_der(ca.cert_der);
    if (!cert) {
      continue;
    }
    const Sha1Digest id = key_id_sha1(cert.get());
    for (CertIdHash h : {CertIdHash::sha1, CertIdHash::sha256}) {
      issuers_.push_back({static_cast<uint8_t>(h), issuer_key_hash(cert.get(), h),
                          std::string(id.begin(), id.end())});
    }
  }
  Cursor c(txn, Db::by_expiry);
  constexpr size_t kTimeSize = 8;
  for (bool ok = c.first(); ok; ok = c.next()) {
    const ByteView key = c.key();
    if (key.size() <= kTimeSize ||
        !certificate_expired(static_cast<UnixTime>(read_be64(key.first(kTimeSize))), now)) {
      break;  // ordered by notAfter: the rest have not expired
    }
    expired_.emplace(reinterpret_cast<const char*>(key.data() + kTimeSize), key.size() - kTimeSize);
  }
}

bool ExpiredCertificates::covers(ByteView ocsp_key) const {
  if (ocsp_key.empty() || expired_.empty()) {
    return false;
  }
  // hash (1 B) ‖ issuerNameHash ‖ issuerKeyHash ‖ serial, both hashes of the CertID's size.
  const uint8_t hash = ocsp_key[0];
  const size_t digest = hash == static_cast<uint8_t>(CertIdHash::sha1) ? 20 : 32;
  if (ocsp_key.size() <= 1 + 2 * digest) {
    return false;
  }
  const ByteView key_hash = ocsp_key.subspan(1 + digest, digest);
  for (const Issuer& issuer : issuers_) {
    if (issuer.hash == hash && std::ranges::equal(issuer.key_hash, key_hash)) {
      const ByteView serial = ocsp_key.subspan(1 + 2 * digest);
      std::string id = issuer.key_id;
      id.append(reinterpret_cast<const char*>(serial.data()), serial.size());
      return expired_.contains(id);
    }
  }
  return false;
}

}  // namespace pkirepo::store
