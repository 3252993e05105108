#include "signer/ca_lifecycle.h"

#include "policy/rules.h"
#include "store/store.h"
#include "x509/cert_info.h"
#include "x509/der.h"

namespace pkirepo::signer {

std::optional<std::string> ca_unusable_reason(const store::Txn& txn, std::string_view ca_id,
                                              UnixTime now) {
  std::string id(ca_id);
  // The chain is short (root, intermediate, issuing); the bound only guards a damaged store
  // whose parent links loop.
  for (int depth = 0; depth < 16 && !id.empty(); ++depth) {
    std::optional<store::CaRecord> ca = store::get_ca(txn, id);
    if (!ca) {
      return "CA " + id + " is not in the store";
    }
    X509Ptr cert = parse_cert_der(ca->cert_der);
    if (!cert) {
      return "CA " + id + "'s stored certificate does not parse";
    }
    if (now > not_after(cert.get())) {
      return "CA " + id + "'s certificate expired at " + rfc3339(not_after(cert.get()));
    }
    if (now < not_before(cert.get())) {
      return "CA " + id + "'s certificate is not valid before " + rfc3339(not_before(cert.get()));
    }
    if (ca->parent.empty()) {
      return std::nullopt;
    }
    std::optional<store::CaRecord> parent = store::get_ca(txn, ca->parent);
    X509Ptr parent_cert = parent ? parse_cert_der(parent->cert_der) : nullptr;
    if (!parent_cert) {
      return "CA " + id + "'s parent " + ca->parent + " is not in the store";
    }
    const std::optional<store::CertRecord> rec =
        store::get_cert(txn, key_id_sha1(parent_cert.get()), serial_bytes(cert.get()));
    if (rec && rec->status == store::CertStatus::revoked) {
      return "CA " + id + "'s certificate (serial " + serial_hex(cert.get()) + ") was revoked at " +
             rfc3339(rec->revocation_time) + " (" + policy::reason_name(rec->reason) + ")";
    }
    id = ca->parent;
  }
  return std::nullopt;
}

}  // namespace pkirepo::signer
