// One CA as `run` and `revoke --publish` work on it: see ca_context.h.
#include "signer/ca_context.h"

#include <stdexcept>
#include <utility>

#include "signer/due.h"
#include "x509/cert_info.h"
#include "x509/der.h"

namespace pkirepo::signer {

CaContext make_ca_context(const Config& cfg, store::CaRecord record) {
  CaContext ca;
  ca.record = std::move(record);
  ca.cert = parse_cert_der(ca.record.cert_der);
  if (!ca.cert) {
    throw std::runtime_error("CA " + ca.record.id + ": the stored CA certificate does not parse");
  }
  ca.key_id = key_id_sha1(ca.cert.get());
  ca.key_prefix.assign(ca.key_id.begin(), ca.key_id.end());
  ca.config = cfg.find_ca(ca.record.id);
  ca.sharded = crl_sharded(cfg, ca.record.role);
  ca.crl_validity = crl_validity(cfg, ca.record.role);
  return ca;
}

}  // namespace pkirepo::signer
