// The store against its audit log: a certificate or a revocation that no record accounts for
// was put there behind the log's back, and a record whose certificate is gone means the
// `certs` table was cut. `audit verify` runs it after the chain checks out.
//
// Which records account for what (grep audit::append):
//   certificate_issued       (ca, serial)            a leaf issued by `issue`
//   ca_certificate_issued    (parent, serial)        a CA certificate under a parent (`init`,
//                                                    ceremony import); a root has no certs row
//   certificate_revoked,     (ca, serial, reason)    `revoke`, `incident revoke`; the newest
//   revocation_reason_changed                        one gives the reason the store must show
// Every other event (OCSP/CRL signing, keys, incidents' summaries, imports' summaries) names
// no certificate of its own.
#pragma once

#include <string>

#include "store/lmdb.h"

namespace pkirepo::audit {

struct CrossCheckResult {
  bool ok = true;
  std::string reason;  // the first mismatch, one line
  uint64_t certificates = 0;
  uint64_t revoked = 0;
};

// Reads the whole `certs` table and every audit record. Call on a log that verify() passed.
[[nodiscard]] CrossCheckResult cross_check(const store::Txn& txn);

}  // namespace pkirepo::audit
