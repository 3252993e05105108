#include "x509/openssl_ptr.h"

#include <openssl/err.h>

namespace pkirepo {

X509Ptr up_ref(X509* cert) {
  X509_up_ref(cert);
  return X509Ptr(cert);
}

EvpPkeyPtr up_ref(EVP_PKEY* key) {
  EVP_PKEY_up_ref(key);
  return EvpPkeyPtr(key);
}

std::string openssl_error() {
  std::string out;
  unsigned long code = 0;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!out.empty()) {
      out += "; ";
    }
    out += buf;
  }
  return out;
}

}  // namespace pkirepo
