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

void write_encrypted_key(const std::filesystem::path& path, const EVP_PKEY* key,
                         const std::string& passphrase) {
  if (passphrase.size() < 8) {
    throw std::runtime_error(path.string() + ": key passphrase must be at least 8 characters");
  }
  BioPtr mem(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PKCS8PrivateKey(mem.get(), key, EVP_aes_256_cbc(), passphrase.data(),
                                    static_cast<int>(passphrase.size()), nullptr, nullptr) != 1) {
    throw std::runtime_error(path.string() + ": cannot encrypt key: " + openssl_error());
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(mem.get(), &data);
  // A key folder the signer creates is its own only (0700): the names of keys are not
  // everyone's business either.
  const std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
  if (!std::filesystem::exists(dir)) {
    std::filesystem::create_directories(dir);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace);
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw std::runtime_error(path.string() + ": cannot create key file: " + std::strerror(errno));
  }
  bool ok = ::write(fd, data, static_cast<size_t>(len)) == len;
  ok = (::fsync(fd) == 0) && ok;
  ok = (::close(fd) == 0) && ok;
  if (!ok) {
    ::unlink(path.c_str());
    throw std::runtime_error(path.string() + ": cannot write key file");
  }
}

EvpPkeyPtr read_encrypted_key(const std::filesystem::path& path, const std::string& passphrase) {
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    throw std::runtime_error(path.string() + ": cannot read key file: " + std::strerror(errno));
  }
  // An explicit passphrase callback: OpenSSL must never prompt on a terminal in a cron job.
  struct Pass {
    const std::string* value;
  } pass{&passphrase};
  auto cb = [](char* buf, int size, int, void* u) -> int {
    const std::string& p = *static_cast<Pass*>(u)->value;
    if (p.size() > static_cast<size_t>(size)) {
      return -1;
    }
    std::memcpy(buf, p.data(), p.size());
    return static_cast<int>(p.size());
  };
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, cb, &pass));
  if (!key) {
    (void)openssl_error();
    throw std::runtime_error(path.string() + ": wrong passphrase or not an encrypted private key");
  }
  return key;
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
