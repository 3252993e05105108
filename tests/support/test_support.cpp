#include "support/test_support.h"

#include <fcntl.h>
#include <openssl/pem.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <thread>

#include "x509/key.h"

extern char** environ;

namespace pkirepo::test {

TempDir::TempDir() {
  std::string templ = (std::filesystem::temp_directory_path() / "pkirepo-test-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

namespace {
std::string slurp_fd(int fd) {
  std::string out;
  char buf[65536];
  ssize_t n = 0;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) {
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}
}  // namespace

std::vector<std::string> environment_with(const std::map<std::string, std::string>& env,
                                          const std::vector<std::string>& unset) {
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) {
      merged[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  for (const auto& name : unset) {
    merged.erase(name);
  }
  for (const auto& [k, v] : env) {
    merged[k] = v;
  }
  std::vector<std::string> out;
  for (const auto& [k, v] : merged) {
    out.push_back(k + "=" + v);
  }
  return out;
}

CStrings::CStrings(std::vector<std::string> strings) : strings_(std::move(strings)) {
  for (auto& s : strings_) {
    pointers_.push_back(s.data());
  }
  pointers_.push_back(nullptr);
}

RunResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe(out_pipe) != 0 || ::pipe(err_pipe) != 0) {
    throw std::runtime_error("pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
  posix_spawn_file_actions_addclose(&actions, err_pipe[0]);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);

  const CStrings envp(environment_with(env));
  const CStrings args(argv);

  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, args.data()[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    throw std::runtime_error("cannot start " + argv[0]);
  }
  RunResult result;
  std::thread err_reader([&] { result.err = slurp_fd(err_pipe[0]); });
  result.out = slurp_fd(out_pipe[0]);
  err_reader.join();
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string header_value(const std::string& headers, const std::string& name) {
  std::string lower;
  for (char c : headers) {
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::string key = "\n";
  for (char c : name) {
    key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  key += ":";
  size_t at = lower.rfind(key);
  if (at == std::string::npos) {
    return "";
  }
  size_t begin = at + key.size();
  size_t end = headers.find('\n', begin);
  std::string value = headers.substr(begin, end == std::string::npos ? end : end - begin);
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
    value.pop_back();
  }
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) {
    value.erase(value.begin());
  }
  return value;
}

std::filesystem::path binary(const std::string& name) {
  std::string folder = name.substr(std::string("pkirepo-").size());
  return std::filesystem::path(PKIREPO_BINARY_DIR) / folder / name;
}

std::filesystem::path source_dir() {
  return PKIREPO_SOURCE_DIR;
}

EvpPkeyPtr make_key(const std::string& algorithm) {
  if (algorithm == "rsa-1024") {  // below our generate_key() floor on purpose: refusal tests
    return EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024}));
  }
  if (algorithm == "ec-secp256k1") {
    return EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp256k1"));
  }
  return generate_key(algorithm);
}

X509ReqPtr make_csr(EVP_PKEY* key, const std::string& cn,
                    const std::vector<std::string>& dns_names) {
  X509ReqPtr req(X509_REQ_new());
  X509_REQ_set_version(req.get(), 0);
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_REQ_set_pubkey(req.get(), key);
  if (!dns_names.empty()) {
    std::string san;
    for (const auto& d : dns_names) {
      san += (san.empty() ? "DNS:" : ",DNS:") + d;
    }
    STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, san.c_str());
    sk_X509_EXTENSION_push(exts, ext);
    X509_REQ_add_extensions(req.get(), exts);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  }
  const EVP_MD* md = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  if (X509_REQ_sign(req.get(), key, md) <= 0) {
    throw std::runtime_error("CSR signing failed");
  }
  return req;
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string fixture(const std::string& name) {
  const std::filesystem::path p = source_dir() / "tests/fixtures" / name;
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    throw std::runtime_error(p.string() + ": cannot read test fixture");
  }
  return {std::istreambuf_iterator<char>(in), {}};
}

std::string fixture(const std::string& name, const std::map<std::string, std::string>& vars) {
  const std::string text = fixture(name);
  std::string out;
  size_t from = 0;
  for (size_t at = 0; (at = text.find('@', from)) != std::string::npos;) {
    const size_t end = text.find('@', at + 1);
    const auto value =
        end == std::string::npos ? vars.end() : vars.find(text.substr(at + 1, end - at - 1));
    if (value == vars.end()) {
      throw std::runtime_error(name + ": no value for the placeholder at offset " +
                               std::to_string(at));
    }
    out += text.substr(from, at - from) + value->second;
    from = end + 1;
  }
  return out + text.substr(from);
}

std::filesystem::path write_demo_config(const std::filesystem::path& dir,
                                        const std::string& extra) {
  std::filesystem::path cfg = dir / "pkirepo.toml";
  write_text(cfg, fixture("pki.toml") + extra);
  return cfg;
}

std::map<std::string, std::string> signer_env() {
  return {{"PKIREPO_TEST_PASSPHRASE", "correct horse battery staple"},
          {"PKIREPO_NOW", "2026-11-22T00:00:00Z"}};
}

DemoRepo::DemoRepo(const std::string& extra) : config(write_demo_config(dir.path(), extra)) {}

}  // namespace pkirepo::test
