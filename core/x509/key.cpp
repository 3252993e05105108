#include "x509/key.h"

#include <fcntl.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include "x509/cert_info.h"

namespace pkirepo {

bool is_known_key_algorithm(std::string_view algorithm, std::string& why_not) {
  if (algorithm.starts_with("rsa-")) {
    int bits = 0;
    auto digits = algorithm.substr(4);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
    if (ec != std::errc() || p != digits.data() + digits.size() || bits < 2048 || bits > 8192 ||
        bits % 8 != 0) {
      why_not = "RSA key size must be a multiple of 8 between 2048 and 8192";
      return false;
    }
    return true;
  }
  if (algorithm == "ec-p256" || algorithm == "ec-p384" || algorithm == "ec-p521" ||
      algorithm == "ed25519") {
    return true;
  }
  if (algorithm.starts_with("ml-dsa")) {
    why_not = "ML-DSA needs OpenSSL 3.5 or later; this build has " +
              std::string(OpenSSL_version(OPENSSL_VERSION_STRING));
    return false;
  }
  why_not = "unknown key algorithm (use rsa-N, ec-p256, ec-p384, ec-p521 or ed25519)";
  return false;
}

EvpPkeyPtr generate_key(std::string_view algorithm) {
  std::string why;
  if (!is_known_key_algorithm(algorithm, why)) {
    throw std::invalid_argument(std::string(algorithm) + ": " + why);
  }
  EVP_PKEY* key = nullptr;
  if (algorithm.starts_with("rsa-")) {
    unsigned bits = static_cast<unsigned>(std::stoi(std::string(algorithm.substr(4))));
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits));
  } else if (algorithm == "ed25519") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  } else {
    const char* curve = algorithm == "ec-p256"   ? "P-256"
                        : algorithm == "ec-p384" ? "P-384"
                                                 : "P-521";
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve);
  }
  if (key == nullptr) {
    throw std::runtime_error(std::string(algorithm) +
                             ": key generation failed: " + openssl_error());
  }
  return EvpPkeyPtr(key);
}

const EVP_MD* signature_digest(const EVP_PKEY* key) {
  KeyDescription d = describe_key(key);
  if (d.type == KeyType::ed25519) {
    return nullptr;
  }
  if (d.type == KeyType::ec && d.curve == "P-384") {
    return EVP_sha384();
  }
  if (d.type == KeyType::ec && d.curve == "P-521") {
    return EVP_sha512();
  }
  return EVP_sha256();
}

}  // namespace pkirepo
