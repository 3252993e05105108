// RFC 4648 §4 base64 with padding, for OCSP GET URLs in tests and benchmarks. Header-only: the
// benchmarks include it without linking the test support library.
#pragma once

#include <openssl/evp.h>

#include <string>

#include "x509/bytes.h"

namespace pkirepo::test {

inline std::string base64(ByteView data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                                static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace pkirepo::test
