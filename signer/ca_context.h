// One CA as `run` and `revoke --publish` work on it: its store record, its parsed certificate
// and what follows from them, worked out once per CA and command: the key id that begins its
// `certs` keys, whether its CRLs are partitioned and how long they run. Owns its certificate;
// `config` points into the Session's config (which outlives every command's CaContext).
#pragma once

#include "config/config.h"
#include "store/schema.h"
#include "x509/bytes.h"
#include "x509/openssl_ptr.h"
#include "x509/time.h"

namespace pkirepo::signer {

struct CaContext {
  store::CaRecord record;
  X509Ptr cert;
  Sha1Digest key_id{};
  Bytes key_prefix;
  const CaConfig* config = nullptr;  // nullptr when the CA is no longer in the config
  bool sharded = false;              // partitioned CRLs (issuing CAs with crl.shards > 1)
  UnixTime crl_validity = 0;
};

// Throws std::runtime_error when the stored CA certificate does not parse.
[[nodiscard]] CaContext make_ca_context(const Config& cfg, store::CaRecord record);

}  // namespace pkirepo::signer
