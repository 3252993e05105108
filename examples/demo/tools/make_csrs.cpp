// pkirepo-demo-csrs OUT_DIR COUNT ALGORITHM [KEYS [DOMAIN [PREFIX]]]: writes COUNT PEM CSRs
// (CN=host<i>.<DOMAIN>, default bench.example.com, one DNS SAN; files <PREFIX><i>.csr) signed by
// KEYS distinct keys of ALGORITHM (default 64), on every core. Key generation is not what the
// issuance bench measures, so a pool of keys is reused across requests; each CSR still carries its
// own signature for the signer to verify.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "x509/der.h"
#include "x509/key.h"

using namespace pkirepo;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: pkirepo-demo-csrs OUT_DIR COUNT ALGORITHM [KEYS [DOMAIN [PREFIX]]]\n";
    return 2;
  }
  std::filesystem::path out = argv[1];
  const size_t count = std::stoul(argv[2]);
  const std::string algorithm = argv[3];
  const size_t nkeys = argc > 4 ? std::stoul(argv[4]) : 64;
  const std::string domain = argc > 5 ? argv[5] : "bench.example.com";
  const std::string prefix = argc > 6 ? argv[6] : "";
  std::filesystem::create_directories(out);
  std::vector<EvpPkeyPtr> keys(nkeys);
  std::atomic<size_t> next{0};
  auto gen = [&] {
    for (size_t i = next++; i < nkeys; i = next++) {
      keys[i] = generate_key(algorithm);
    }
  };
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  {
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < cores; ++t) {
      pool.emplace_back(gen);
    }
    for (auto& t : pool) {
      t.join();
    }
  }
  next = 0;
  auto work = [&] {
    for (size_t i = next++; i < count; i = next++) {
      EVP_PKEY* key = keys[i % nkeys].get();
      X509ReqPtr req(X509_REQ_new());
      std::string cn = "host" + std::to_string(i) + "." + domain;
      X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req.get()), "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
      X509_REQ_set_pubkey(req.get(), key);
      STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
      sk_X509_EXTENSION_push(
          exts, X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, ("DNS:" + cn).c_str()));
      X509_REQ_add_extensions(req.get(), exts);
      sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
      X509_REQ_sign(req.get(), key, EVP_sha256());
      char number[32];
      std::snprintf(number, sizeof number, "%08zu.csr", i);
      std::string name = prefix + number;
      std::string pem = to_pem(req.get());
      write_file_atomic(out / name, as_bytes(pem));
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < cores; ++t) {
    pool.emplace_back(work);
  }
  for (auto& t : pool) {
    t.join();
  }
  return 0;
}
