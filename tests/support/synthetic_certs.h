// Many certificate records straight into a store, for tests and benchmarks that need a large
// store and not the certificates: OCSP and CRL signing read only a record's fields, so each
// record's DER is a copy of its CA's certificate. Each gets the audit records `issue` and
// `revoke` would write (certificate_issued, certificate_revoked), timed at the newest record's
// time, so that `audit verify` finds the store and its log in agreement. Header-only: the
// benchmarks include it without linking the test support library (they link the signer for
// random_serial()).
#pragma once

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "audit/audit_log.h"
#include "policy/rules.h"
#include "signer/cert_builder.h"
#include "store/store.h"
#include "x509/cert_info.h"
#include "x509/der.h"

namespace pkirepo::test {

// Puts `count` records under `ca`, `batch` to a transaction. Each has a fresh random_serial(),
// the CA's id and certificate; fill(i, serial, record) sets the rest (times, profile, shard,
// revocation).
template <class Fill>
void put_synthetic_certs(store::WriteStore& st, const store::CaRecord& ca, size_t count,
                         size_t batch, Fill&& fill) {
  X509Ptr issuer = parse_cert_der(ca.cert_der);
  const Sha1Digest key_id = key_id_sha1(issuer.get());
  for (size_t begin = 0; begin < count; begin += batch) {
    // Built outside the transaction: transact() may run its body again after growing the map.
    std::vector<std::pair<Bytes, store::CertRecord>> records;
    for (size_t i = begin; i < std::min(count, begin + batch); ++i) {
      Bytes serial = signer::random_serial();
      store::CertRecord rec;
      rec.ca_id = ca.id;
      rec.der = ca.cert_der;
      fill(i, serial, rec);
      records.emplace_back(std::move(serial), std::move(rec));
    }
    st.transact([&](store::WriteTxn& txn) {
      for (const auto& [serial, rec] : records) {
        store::put_new_cert(txn, key_id, serial, rec, issuer.get());
        const auto head = audit::head_time(txn);
        const UnixTime t = head ? head->time : rec.issued_at;
        audit::append(txn, t, "synthetic", "certificate_issued",
                      {{"ca", ca.id}, {"serial", to_hex(serial)}});
        if (rec.status == store::CertStatus::revoked) {
          audit::append(txn, t, "synthetic", "certificate_revoked",
                        {{"ca", ca.id},
                         {"serial", to_hex(serial)},
                         {"reason", policy::reason_name(rec.reason)}});
        }
      }
    });
  }
}

}  // namespace pkirepo::test
