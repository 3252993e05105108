// What a revoked certificate's record means on a CRL: see cert_records.h.
#include "signer/cert_records.h"

#include <stdexcept>

namespace pkirepo::signer {

UnixTime crl_keep_until(const Config& cfg, const store::CertRecord& rec) {
  if (const ProfileConfig* p = cfg.find_profile(rec.profile)) {
    return rec.not_after + p->crl_retention.seconds;
  }
  int64_t longest = ProfileConfig{}.crl_retention.seconds;
  for (const ProfileConfig& p : cfg.profiles) {
    longest = std::max(longest, p.crl_retention.seconds);
  }
  return rec.not_after + longest;
}

CrlEntry crl_entry(const Config& cfg, ByteView serial, const store::CertRecord& rec) {
  return CrlEntry{Bytes(serial.begin(), serial.end()), rec.revocation_time, rec.reason,
                  rec.invalidity_date, crl_keep_until(cfg, rec)};
}

bool apply_revocation_index(store::CertRecord& rec, ByteView index_value) {
  store::RevocationRecord r;
  if (!store::decode(index_value, r)) {
    throw std::runtime_error("malformed record in the revocation index");
  }
  if (rec.status == store::CertStatus::revoked) {
    return false;
  }
  rec.status = store::CertStatus::revoked;
  rec.revocation_time = r.revocation_time;
  rec.reason = r.reason;
  rec.invalidity_date = r.invalidity_date;
  return true;
}

}  // namespace pkirepo::signer
