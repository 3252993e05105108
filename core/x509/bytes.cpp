#include "x509/bytes.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <utility>

#include "x509/openssl_ptr.h"

namespace pkirepo {

Bytes read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error(path.string() + ": cannot read: " + std::strerror(errno));
  }
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string read_text_file(const std::filesystem::path& path) {
  Bytes b = read_file(path);
  return std::string(b.begin(), b.end());
}

namespace {

// Closes on every path out; close() errors matter only where write_file_atomic checks them.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }
  [[nodiscard]] int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

int create_temporary_beside(const std::filesystem::path& target, unsigned mode,
                            std::filesystem::path& tmp_out) {
  const std::filesystem::path dir =
      target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  // mkstemp's guarantees (a random name, O_EXCL) plus O_NOFOLLOW, with the caller's mode
  // (mkstemp fixes 0600) still subject to the umask as a plain open() would be. The name starts
  // with '.' so that nothing scanning the folder (the CSR spool, the site loader) takes it.
  for (int attempt = 0; attempt < 16; ++attempt) {
    unsigned char nonce[12];
    if (RAND_bytes(nonce, sizeof nonce) != 1) {
      throw std::runtime_error(target.string() + ": no randomness for a temporary name");
    }
    tmp_out =
        dir / ("." + target.filename().string() + ".tmp-" + to_hex(ByteView(nonce, sizeof nonce)));
    const int fd = ::open(tmp_out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                          static_cast<mode_t>(mode));
    if (fd >= 0) {
      return fd;
    }
    if (errno != EEXIST) {
      break;
    }
  }
  throw std::runtime_error(target.string() +
                           ": cannot create a temporary file beside it: " + std::strerror(errno));
}

void fsync_directory_of(const std::filesystem::path& path) {
  const std::filesystem::path dir =
      path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  // EINVAL: a file system that cannot sync folders (some FUSE ones); nothing more to do there.
  if (dfd.get() < 0 || (::fsync(dfd.get()) != 0 && errno != EINVAL)) {
    throw std::runtime_error(dir.string() + ": cannot sync folder: " + std::strerror(errno));
  }
}

void write_file_atomic(const std::filesystem::path& path, ByteView data, unsigned mode,
                       bool durable) {
  std::filesystem::path tmp;
  Fd fd(create_temporary_beside(path, mode, tmp));
  const auto fail = [&](const std::string& what, int err) {
    if (fd.get() >= 0) {
      ::close(fd.release());
    }
    ::unlink(tmp.c_str());
    throw std::runtime_error(path.string() + ": " + what + ": " + std::strerror(err));
  };
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      fail("cannot write", errno);
    }
    done += static_cast<size_t>(n);
  }
  if (durable && ::fsync(fd.get()) != 0) {
    fail("cannot write", errno);
  }
  if (::close(fd.release()) != 0) {
    fail("cannot write", errno);
  }
  // rename() replaces whatever is at `path`, a planted symlink included, without following it.
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    fail("cannot rename into place", errno);
  }
  if (durable) {
    fsync_directory_of(path);
  }
}

namespace {
constexpr char kLowerHex[] = "0123456789abcdef";
constexpr char kUpperHex[] = "0123456789ABCDEF";

void hex_digits(ByteView data, const char* digits, size_t step, char* p) {
  for (uint8_t b : data) {
    p[0] = digits[b >> 4];
    p[1] = digits[b & 0x0f];
    p += step;
  }
}
}  // namespace

std::string to_hex(ByteView data, bool uppercase, char separator) {
  if (data.empty()) {
    return {};
  }
  const size_t step = separator ? 3 : 2;
  std::string out(data.size() * step - (separator ? 1 : 0), separator);
  hex_digits(data, uppercase ? kUpperHex : kLowerHex, step, out.data());
  return out;
}

void to_hex_into(ByteView data, char* out) {
  hex_digits(data, kLowerHex, 2, out);
}

bool from_hex(std::string_view text, Bytes& out) {
  out.clear();
  if (text.starts_with("0x") || text.starts_with("0X")) {
    text.remove_prefix(2);
  }
  int high = -1;
  for (char c : text) {
    int v = 0;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else if (c == ':') {
      continue;
    } else {
      return false;
    }
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  return high < 0 && !out.empty();
}

namespace {
// OpenSSL 3's one-shot SHA1()/SHA256() fetch the algorithm from the provider on every call,
// under a lock; the signer hashes every response it signs, so fetch each digest once.
const EVP_MD* fetched_digest(const char* name) {
  const EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) {
    throw std::runtime_error(std::string(name) + ": not available: " + openssl_error());
  }
  return md;  // kept for the life of the process
}

// One context per thread, reused: EVP_Digest allocates and frees a context (and the provider's
// state inside it) on every call, a third of hashing a 1 KB OCSP response.
template <size_t N>
void digest_into(ByteView data, const EVP_MD* md, std::array<uint8_t, N>& out) {
  thread_local const EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 || len != N) {
    throw std::runtime_error("digest failed: " + openssl_error());
  }
}
}  // namespace

Sha1Digest sha1(ByteView data) {
  static const EVP_MD* const md = fetched_digest("SHA1");
  Sha1Digest d;
  digest_into(data, md, d);
  return d;
}

Sha256Digest sha256(ByteView data) {
  static const EVP_MD* const md = fetched_digest("SHA256");
  Sha256Digest d;
  digest_into(data, md, d);
  return d;
}

}  // namespace pkirepo
