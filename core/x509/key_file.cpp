#include "x509/key_file.h"

#include <fcntl.h>
#include <grp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "x509/bytes.h"

namespace pkirepo {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& why) {
  throw std::runtime_error(path.string() + ": " + why);
}

// One PEM block: its type ("ENCRYPTED PRIVATE KEY"), its headers and its DER.
struct Pem {
  std::string name;
  std::string header;
  Bytes der;
};

Pem read_pem(const std::filesystem::path& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    fail(path, std::string("cannot read key file: ") + std::strerror(errno));
  }
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) {
    (void)openssl_error();
    fail(path, "not a PEM private key file");
  }
  OpenSslCharsPtr own_name(name);
  OpenSslCharsPtr own_header(header);
  OpenSslBytesPtr own_data(data);
  return {name, header, Bytes(data, data + len)};
}

std::string prf_name(const X509_ALGOR* prf) {
  switch (prf == nullptr ? NID_hmacWithSHA1 : OBJ_obj2nid(prf->algorithm)) {
    case NID_hmacWithSHA1:
      return "SHA1";
    case NID_hmacWithSHA256:
      return "SHA256";
    case NID_hmacWithSHA384:
      return "SHA384";
    case NID_hmacWithSHA512:
      return "SHA512";
    default:
      return "other";
  }
}

// PBES2's key derivation, from AlgorithmIdentifier parameters (RFC 8018 A.4).
void describe_pbes2(const X509_ALGOR* alg, KeyFileProtection& p) {
  Pbe2ParamPtr pbe2(static_cast<PBE2PARAM*>(
      ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter)));
  if (!pbe2 || pbe2->keyfunc == nullptr) {
    p.scheme = "PBES2 (unreadable parameters)";
    return;
  }
  const int kdf = OBJ_obj2nid(pbe2->keyfunc->algorithm);
  if (kdf == NID_id_scrypt) {
    p.scheme = "scrypt";
    p.strong = true;
    return;
  }
  Pbkdf2ParamPtr kdf_params(kdf == NID_id_pbkdf2
                                ? static_cast<PBKDF2PARAM*>(ASN1_TYPE_unpack_sequence(
                                      ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter))
                                : nullptr);
  if (!kdf_params || kdf_params->iter == nullptr) {
    p.scheme = "PBES2 (unknown key derivation)";
    return;
  }
  const std::string prf = prf_name(kdf_params->prf);
  p.scheme = "PBKDF2-HMAC-" + prf;
  p.iterations = ASN1_INTEGER_get(kdf_params->iter);
  p.strong = prf.starts_with("SHA") && prf != "SHA1" && p.iterations >= key_file_iterations();
}

std::string mode_text(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// "pkirepo" or, for a group without a name, "gid 1234".
std::string group_name(gid_t gid) {
  group entry{};
  group* found = nullptr;
  std::vector<char> buf(16384);
  if (::getgrgid_r(gid, &entry, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
    return found->gr_name;
  }
  return "gid " + std::to_string(gid);
}

void check_mode(const std::filesystem::path& path, const KeyFileAccess& access) {
  if (auto p = key_file_access_problem(path, access)) {
    fail(path, p->problem + ": " + p->fix);
  }
}

// The group a (re)written key file should have: a setgid folder's for a file its group may
// read (the package's responder-keys folder hands out the responder's group that way), else
// `current`.
gid_t wanted_group(const std::filesystem::path& dir, gid_t current, const KeyFileAccess& access) {
  struct stat st {};
  if (access.group_may_read && ::stat(dir.c_str(), &st) == 0 && (st.st_mode & S_ISGID) != 0) {
    return st.st_gid;
  }
  return current;
}

// Gives the new key file open as `fd` the mode `access` wants for its group (the folder's
// when the folder is setgid): open() made it 0600 at most, fchmod ignores the umask.
bool set_mode(int fd, const KeyFileAccess& access) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return false;
  }
  const mode_t want = access.mode_for(st.st_gid);
  return (st.st_mode & 0777) == want || ::fchmod(fd, want) == 0;
}

// The passphrase callback: OpenSSL must never prompt on a terminal in a cron job.
int passphrase_cb(char* buf, int size, int /*rwflag*/, void* u) {
  const std::string& p = *static_cast<const std::string*>(u);
  if (p.size() > static_cast<size_t>(size)) {
    return -1;
  }
  std::memcpy(buf, p.data(), p.size());
  return static_cast<int>(p.size());
}

EvpPkeyPtr decode_key(const std::filesystem::path& path, const std::string& passphrase,
                      const std::string* pem = nullptr) {
  BioPtr bio(pem != nullptr ? BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size()))
                            : BIO_new_file(path.c_str(), "r"));
  EvpPkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, passphrase_cb,
                                               const_cast<std::string*>(&passphrase))
                     : nullptr);
  if (!key) {
    (void)openssl_error();
    fail(path, "wrong passphrase or not an encrypted private key");
  }
  return key;
}

// `key` as ENCRYPTED PRIVATE KEY PEM under `passphrase` (see key_file.h for the scheme).
std::string encrypt_pem(const std::filesystem::path& path, const EVP_PKEY* key,
                        const std::string& passphrase) {
  if (passphrase.size() < 8) {
    fail(path, "key passphrase must be at least 8 characters");
  }
  Pkcs8Ptr p8(EVP_PKEY2PKCS8(key));
  unsigned char salt[16];
  X509AlgorPtr pbe;
  if (p8 && RAND_bytes(salt, sizeof salt) == 1) {
    pbe.reset(PKCS5_pbe2_set_iv_ex(EVP_aes_256_cbc(), key_file_iterations(), salt, sizeof salt,
                                   nullptr, NID_hmacWithSHA256, nullptr));
  }
  X509SigPtr sig(pbe ? PKCS8_set0_pbe_ex(passphrase.data(), static_cast<int>(passphrase.size()),
                                         p8.get(), pbe.get(), nullptr, nullptr)
                     : nullptr);
  if (sig) {
    (void)pbe.release();  // owned by `sig` now
  }
  BioPtr mem(BIO_new(BIO_s_mem()));
  if (!sig || !mem || PEM_write_bio_PKCS8(mem.get(), sig.get()) != 1) {
    fail(path, "cannot encrypt key: " + openssl_error());
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(mem.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

// Writes all of `pem` to the new file `fd` and makes it durable; false on any failure.
bool write_all(int fd, const std::string& pem) {
  bool ok = ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size());
  ok = (::fsync(fd) == 0) && ok;
  return (::close(fd) == 0) && ok;
}

}  // namespace

int key_file_iterations() {
#ifdef PKIREPO_SIMULATED_CLOCK
  if (const char* v = std::getenv("PKIREPO_TEST_KDF_ITERATIONS"); v != nullptr && *v != '\0') {
    return std::atoi(v);
  }
#endif
  return kKeyFileIterations;
}

KeyFileAccess KeyFileAccess::responder(const std::filesystem::path& store_dir) {
  KeyFileAccess a;
  a.group_may_read = true;
  struct stat st {};
  if (::stat(store_dir.c_str(), &st) == 0) {
    a.store_group = st.st_gid;
  }
  return a;
}

mode_t KeyFileAccess::mode_for(gid_t file_group) const {
  const bool group_reads = group_may_read && store_group && file_group != *store_group;
  return group_reads ? 0640 : 0600;
}

std::optional<KeyFileAccessProblem> key_file_access_problem(const std::filesystem::path& path,
                                                            const KeyFileAccess& access) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    fail(path, std::string("cannot read key file: ") + std::strerror(errno));
  }
  const mode_t perm = st.st_mode & 0777;
  const std::string mode = "(mode " + mode_text(st.st_mode) + ")";
  if (!access.group_may_read) {
    if ((perm & 077) != 0) {
      return KeyFileAccessProblem{
          "readable by group or others " + mode + "; a key file must be its owner's alone",
          "chmod 600 " + path.string()};
    }
    return std::nullopt;
  }
  const std::string target = access.mode_for(st.st_gid) == 0640 ? "640 " : "600 ";
  if ((perm & 007) != 0) {
    return KeyFileAccessProblem{
        "readable by others " + mode + "; only its owner and the responder's group may read it",
        "chmod " + target + path.string()};
  }
  if ((perm & 030) != 0) {
    return KeyFileAccessProblem{
        "writable or executable by its group " + mode + "; the responder's group may only read it",
        "chmod " + target + path.string()};
  }
  if ((perm & 040) != 0 && access.mode_for(st.st_gid) != 0640) {
    if (!access.store_group) {
      return KeyFileAccessProblem{"readable by group " + group_name(st.st_gid) + " " + mode +
                                      ", and the store folder's group is unknown",
                                  "chmod 600 " + path.string()};
    }
    return KeyFileAccessProblem{
        "readable by group " + group_name(st.st_gid) + " " + mode +
            ", the store's group (the publisher is in it too); only the responder's own group "
            "may read it",
        "chgrp pkirepo-ocsp " + path.string() +
            " (the responder's group in the package), or chmod 600 " + path.string()};
  }
  return std::nullopt;
}

bool key_file_as_written(const std::filesystem::path& path, const KeyFileAccess& access) {
  if (key_file_access_problem(path, access)) {
    return false;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    fail(path, std::string("cannot read key file: ") + std::strerror(errno));
  }
  const std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
  const gid_t group = wanted_group(dir, st.st_gid, access);
  const mode_t want = access.mode_for(group);
  // 0400 is as good as 0600: only a file its group should read and cannot is rewritten.
  return group == st.st_gid && (want == 0600 || (st.st_mode & 0777) == want);
}

std::string KeyFileProtection::describe() const {
  return iterations > 0 ? scheme + ", " + std::to_string(iterations) + " iterations" : scheme;
}

KeyFileProtection inspect_key_file(const std::filesystem::path& path) {
  const Pem pem = read_pem(path);
  KeyFileProtection p;
  if (pem.name == PEM_STRING_PKCS8) {  // "ENCRYPTED PRIVATE KEY"
    const unsigned char* in = pem.der.data();
    X509SigPtr sig(d2i_X509_SIG(nullptr, &in, static_cast<long>(pem.der.size())));
    if (!sig) {
      fail(path, "malformed encrypted private key");
    }
    const X509_ALGOR* alg = nullptr;
    X509_SIG_get0(sig.get(), &alg, nullptr);
    p.encrypted = true;
    if (OBJ_obj2nid(alg->algorithm) == NID_pbes2) {
      describe_pbes2(alg, p);
    } else {
      p.scheme = "PBES1";
    }
    return p;
  }
  if (pem.name == PEM_STRING_PKCS8INF || pem.name == PEM_STRING_ECPRIVATEKEY ||
      pem.name == PEM_STRING_RSA) {
    p.encrypted = pem.header.find("ENCRYPTED") != std::string::npos;
    p.scheme = p.encrypted ? "legacy PEM encryption" : "clear";
    return p;
  }
  fail(path, "not a private key file (PEM type " + pem.name + ")");
}

void write_encrypted_key(const std::filesystem::path& path, const EVP_PKEY* key,
                         const std::string& passphrase, const KeyFileAccess& access) {
  const std::string pem = encrypt_pem(path, key, passphrase);
  // A key folder the signer creates is its own only (0700): the names of keys are not
  // everyone's business either.
  const std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
  if (!std::filesystem::exists(dir)) {
    std::filesystem::create_directories(dir);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace);
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    fail(path, std::string("cannot create key file: ") + std::strerror(errno));
  }
  if (!set_mode(fd, access)) {
    const int err = errno;
    ::close(fd);
    ::unlink(path.c_str());
    fail(path, std::string("cannot set the key file's mode: ") + std::strerror(err));
  }
  if (!write_all(fd, pem)) {
    ::unlink(path.c_str());
    fail(path, "cannot write key file");
  }
}

void rewrite_encrypted_key(const std::filesystem::path& path, const EVP_PKEY* key,
                           const std::string& passphrase, const KeyFileAccess& access) {
  const std::string pem = encrypt_pem(path, key, passphrase);
  // Read back before anything is replaced: the file must open to the very same key.
  if (EVP_PKEY_eq(decode_key(path, passphrase, &pem).get(), key) != 1) {
    fail(path, "the re-encrypted key does not read back to the same key; nothing replaced");
  }
  struct stat old {};
  if (::stat(path.c_str(), &old) != 0) {
    fail(path, std::string("cannot read key file: ") + std::strerror(errno));
  }
  const std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
  unsigned char nonce[8];
  if (RAND_bytes(nonce, sizeof nonce) != 1) {
    fail(path, "no randomness for a temporary name");
  }
  // An unpredictable name created with O_EXCL|O_NOFOLLOW: nothing planted in the folder is
  // opened or followed.
  const std::filesystem::path tmp =
      dir / ("." + path.filename().string() + ".rewrap." + to_hex(ByteView(nonce, sizeof nonce)));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    fail(tmp, std::string("cannot create key file: ") + std::strerror(errno));
  }
  // Keep the owner: root may run the rewrap of keys that a service user reads. A file that
  // its group may read takes the group of a setgid folder (the responder's), so a rewrap also
  // repairs a responder key that ended up in another group.
  const bool owned = ::fchown(fd, old.st_uid, wanted_group(dir, old.st_gid, access)) == 0 ||
                     ::geteuid() == old.st_uid;
  if (!owned || !set_mode(fd, access)) {
    ::close(fd);
    ::unlink(tmp.c_str());
    fail(path, "cannot give the re-encrypted key its owner and mode beside it");
  }
  if (!write_all(fd, pem)) {
    ::unlink(tmp.c_str());
    fail(path, "cannot write the re-encrypted key beside it");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail(path, std::string("cannot replace key file: ") + std::strerror(err));
  }
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
}

EvpPkeyPtr read_encrypted_key(const std::filesystem::path& path, const std::string& passphrase,
                              const KeyFileAccess& access) {
  check_mode(path, access);
  if (!inspect_key_file(path).encrypted) {
    fail(path, "the private key is stored in clear; encrypt it with `pkirepo-signer keys rewrap`");
  }
  return decode_key(path, passphrase);
}

EvpPkeyPtr read_key_for_rewrap(const std::filesystem::path& path, const std::string& passphrase) {
  (void)inspect_key_file(path);  // a private key, clear or encrypted
  return decode_key(path, passphrase);
}

}  // namespace pkirepo
