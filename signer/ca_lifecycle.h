// Whether a CA may still issue certificates and sign new "good" status. A CA whose own
// certificate, or the certificate of any CA above it, is revoked, expired or not yet valid
// issues nothing and vouches for nothing new (BR 4.9.1.2 and 6.3.2; reference CPS 4.9, 5.7).
// One decision shared by `issue`, `run` and `status`, so they cannot disagree.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "store/lmdb.h"
#include "x509/time.h"

namespace pkirepo::signer {

// nullopt while `ca_id` and every CA above it are usable at `now`; otherwise one line naming
// the CA at fault and why: "CA int-2026's certificate (serial 1a2b…) was revoked at
// 2026-12-01T10:00:00Z (cACompromise)". A CA or parent missing from the store, or whose
// certificate does not parse, is unusable too (named in the line).
[[nodiscard]] std::optional<std::string> ca_unusable_reason(const store::Txn& txn,
                                                            std::string_view ca_id, UnixTime now);

}  // namespace pkirepo::signer
