#include "store/revocation_index.h"

#include <cerrno>

#include "store/meta_keys.h"
#include "store/store.h"

namespace pkirepo::store {

bool revocation_index_complete(const Txn& txn) {
  return txn.env().has(Db::revocations) &&
         get_meta_u64(txn, meta::kRevocationIndex).value_or(0) == 1;
}

void mark_revocation_index_complete(WriteTxn& txn) {
  txn.put(Db::meta, as_bytes(meta::kRevocationIndex), be64(1));
}

size_t build_revocation_index(WriteTxn& txn) {
  size_t added = 0;
  Cursor c(txn, Db::certs);
  for (bool ok = c.first(); ok; ok = c.next()) {
    CertRecord rec;
    if (!decode_without_der(c.value(), rec)) {
      throw StoreError("certs/" + to_hex(c.key()) + ": malformed record", EINVAL);
    }
    if (rec.status != CertStatus::revoked || txn.get(Db::revocations, c.key())) {
      continue;
    }
    txn.put(Db::revocations, c.key(),
            encode(RevocationRecord{rec.revocation_time, rec.reason, rec.invalidity_date}));
    ++added;
  }
  mark_revocation_index_complete(txn);
  return added;
}

}  // namespace pkirepo::store
