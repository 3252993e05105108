// What a revoked certificate's record means on a CRL: see cert_records.h.
#include "signer/cert_records.h"

#include <stdexcept>
#include <string>

#include "store/revocation_index.h"
#include "store/store.h"

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

void for_each_revoked(const store::Txn& txn, ByteView key_id,
                      const std::function<void(ByteView, const store::CertRecord&)>& visit) {
  if (store::revocation_index_complete(txn)) {
    store::Cursor index(txn, store::Db::revocations);
    for (bool ok = index.seek(key_id); ok && is_ca_cert_key(index.key(), key_id);
         ok = index.next()) {
      auto value = txn.get(store::Db::certs, index.key());
      store::CertRecord r;
      if (!value || !store::decode_without_der(*value, r)) {
        throw std::runtime_error("revocations/" + to_hex(index.key()) +
                                 ": no readable certificate record for this revocation");
      }
      if (r.status == store::CertStatus::good) {
        (void)apply_revocation_index(r, index.value());
      }
      visit(index.key(), r);
    }
    return;
  }
  store::Cursor cursor(txn, store::Db::certs);
  for (bool ok = cursor.seek(key_id); ok && is_ca_cert_key(cursor.key(), key_id);
       ok = cursor.next()) {
    store::CertRecord r;
    if (!store::decode_without_der(cursor.value(), r)) {
      continue;
    }
    if (r.status == store::CertStatus::good) {
      if (auto index = txn.get(store::Db::revocations, cursor.key())) {
        (void)apply_revocation_index(r, *index);
      }
    }
    if (r.status == store::CertStatus::revoked) {
      visit(cursor.key(), r);
    }
  }
}

}  // namespace pkirepo::signer
