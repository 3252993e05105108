// Signing with a token-resident key through OpenSSL's pkcs11 engine (Debian's
// libengine-pkcs11-openssl, libp11): the EVP_PKEY it returns signs certificates, CRLs and OCSP
// responses like any other, while the private key never leaves the token.
#pragma once

#include <string>

#include "pkcs11/token_uri.h"
#include "x509/openssl_ptr.h"

namespace pkirepo::pkcs11 {

// The key `uri` names, logged in with `pin`. Throws std::runtime_error naming the URI when
// the engine cannot be loaded or the key not found; call TokenSession first to tell a missing
// token or a wrong PIN apart (the engine's errors do not).
[[nodiscard]] EvpPkeyPtr load_token_key(const std::string& module_path, const TokenUri& uri,
                                        const std::string& pin);

}  // namespace pkirepo::pkcs11
