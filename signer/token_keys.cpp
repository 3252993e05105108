// Keys created inside a token: see token_keys.h.
#include "signer/token_keys.h"

#include "pkcs11/token.h"
#include "pkcs11/token_uri.h"

namespace pkirepo::signer {

TokenKey ensure_token_key(Session& session, const std::string& uri_text,
                          const std::string& algorithm, const std::string& pin,
                          const std::string& whose) {
  const pkcs11::TokenUri uri = pkcs11::parse_token_uri(uri_text, true);
  TokenKey out;
  try {
    pkcs11::TokenSession token(session.config().pkcs11_module, uri.token, pin);
    if (!token.has_private_key(uri.object)) {
      token.generate_key_pair(algorithm, uri.object);
      out.generated = true;
    } else if (token.private_key_extractable(uri.object)) {
      throw pkcs11::TokenError(pkcs11::TokenError::Kind::other,
                               "token \"" + uri.token + "\": key \"" + uri.object +
                                   "\" is extractable or not sensitive; a CA key must never "
                                   "leave its token (generate a new one)");
    }
  } catch (const pkcs11::TokenError& e) {
    session.record_key_event(pkcs11::token_error_event(e.kind()),
                             {{"key", whose}, {"uri", uri_text}, {"error", e.what()}});
    throw std::runtime_error(whose + ": " + e.what());
  }
  if (out.generated) {
    session.record_key_event(
        "token_key_generated",
        {{"key", whose}, {"uri", uri_text}, {"algorithm", algorithm}, {"extractable", "false"}});
  }
  out.key = session.open_token_key(uri_text, pin, whose);
  return out;
}

std::string responder_token_key_uri(const Config& config, const std::string& ca_id,
                                    const std::string& stamp) {
  pkcs11::TokenUri uri = pkcs11::parse_token_uri(config.ocsp.responder_pkcs11, false);
  uri.object = ca_id + "-ocsp-" + stamp;
  return pkcs11::format_key_uri(uri);
}

}  // namespace pkirepo::signer
