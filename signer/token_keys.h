// Keys created inside a PKCS#11 token (`init` for a CA with key.pkcs11, responder keys with
// ocsp.responder_pkcs11): generated in the token when the object is absent, adopted when it is
// there, never written anywhere else.
#pragma once

#include <string>

#include "signer/session.h"
#include "x509/openssl_ptr.h"

namespace pkirepo::signer {

struct TokenKey {
  EvpPkeyPtr key;
  bool generated = false;  // false: the token already held it
};

// The key `uri` ("pkcs11:token=…;object=…") names, generated as `algorithm` when the token
// holds no private key of that label. The generation is an audit record of its own
// (`token_key_generated`) the moment it happens, since the key outlives a failed command; a
// later run of the command uses it. Throws std::runtime_error starting with `whose`.
[[nodiscard]] TokenKey ensure_token_key(Session& session, const std::string& uri,
                                        const std::string& algorithm, const std::string& pin,
                                        const std::string& whose);

// The URI of a new responder key of CA `ca_id` in the token of ocsp.responder_pkcs11,
// labelled "<ca>-ocsp-<stamp>".
[[nodiscard]] std::string responder_token_key_uri(const Config& config, const std::string& ca_id,
                                                  const std::string& stamp);

}  // namespace pkirepo::signer
