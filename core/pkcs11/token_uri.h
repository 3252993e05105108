// PKCS#11 URIs (RFC 7512) as the config names token keys: "pkcs11:token=NAME;object=LABEL".
// Parsed and formatted by p11-kit, so percent-encoding and padding follow the RFC.
#pragma once

#include <string>
#include <string_view>

namespace pkirepo::pkcs11 {

struct TokenUri {
  std::string token;   // the token's label (CK_TOKEN_INFO.label, without its space padding)
  std::string object;  // the key's label (CKA_LABEL); empty in a token-only URI
};

// `need_object`: a CA key names its object; the responder keys' URI names only the token (each
// key gets its own label at rotation). Throws std::invalid_argument with the reason: not a
// pkcs11 URI, no token, an object where none belongs, an attribute pkirepo does not use (id,
// serial, a PIN inside the URI, ...: a key is found by token and label only).
[[nodiscard]] TokenUri parse_token_uri(std::string_view text, bool need_object);

// The canonical "pkcs11:token=…;object=…;type=private" for `uri` (recorded in the store and
// given to the engine).
[[nodiscard]] std::string format_key_uri(const TokenUri& uri);

// True for a key reference that is a PKCS#11 URI rather than a file path.
[[nodiscard]] bool is_token_reference(std::string_view ref);

}  // namespace pkirepo::pkcs11
