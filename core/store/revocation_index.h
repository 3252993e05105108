// Whether the revocation index (the `revocations` database, schema.h) is complete: every
// revoked certificate has its record (meta "revocation_index"). Then the `revocations` range of
// a CA's key id is its whole revoked set, and a CRL needs no walk of `certs`. A new store is
// complete from its first commit; a store from before the index lacks some records, and `run`
// adds them once (build_revocation_index).
#pragma once

#include <cstddef>

#include "store/lmdb.h"

namespace pkirepo::store {

[[nodiscard]] bool revocation_index_complete(const Txn& txn);
void mark_revocation_index_complete(WriteTxn& txn);
// Adds the missing records (certificates whose record says revoked) and marks the index
// complete; returns how many it added.
size_t build_revocation_index(WriteTxn& txn);

}  // namespace pkirepo::store
