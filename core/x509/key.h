// Private keys: generation by algorithm name and the digest each signs with. Key files are in
// key_file.h.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "x509/openssl_ptr.h"

namespace pkirepo {

// "rsa-2048" … "rsa-8192", "ec-p256", "ec-p384", "ec-p521", "ed25519". ML-DSA names are known
// but refused on OpenSSL < 3.5. Throws std::invalid_argument naming the algorithm.
[[nodiscard]] bool is_known_key_algorithm(std::string_view algorithm, std::string& why_not);
[[nodiscard]] EvpPkeyPtr generate_key(std::string_view algorithm);

// The digest a signature with this key uses: SHA-256 for RSA and P-256, SHA-384 for P-384,
// SHA-512 for P-521, none (nullptr) for Ed25519. Never SHA-1 (Mozilla root store policy 5.1.3).
[[nodiscard]] const EVP_MD* signature_digest(const EVP_PKEY* key);

}  // namespace pkirepo
