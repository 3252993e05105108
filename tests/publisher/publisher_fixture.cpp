#include "publisher_fixture.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <memory>

#include "store/store.h"
#include "x509/cert_info.h"
#include "x509/der.h"

namespace pkirepo::test {
namespace fs = std::filesystem;
namespace {

std::string config_text(const fs::path& store, const fs::path& keys, const fs::path& site_source,
                        const std::string& extra_site_keys) {
  return fixture("publisher-pki.toml",
                 {{"STORE", store.string()},
                  {"KEYS", keys.string()},
                  {"SITE_SOURCE", site_source.string()},
                  {"TEMPLATES", (source_dir() / "site-templates").string()}}) +
         extra_site_keys;
}

std::string issue(const DemoPki& pki, const std::string& profile, const std::string& ca,
                  const std::string& cn) {
  EvpPkeyPtr key = make_key("ec-p256");
  X509ReqPtr csr = make_csr(key.get(), cn, {cn});
  fs::path csr_file = pki.dir / (cn + ".csr");
  write_text(csr_file, to_pem(csr.get()));
  RunResult r = run(
      {binary("pkirepo-signer").string(), "-c", pki.config.string(), "issue", "--profile", profile,
       "--ca", ca, "--csr", csr_file.string(), "--out", (pki.dir / (cn + ".pem")).string()},
      signer_env());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // "issued <source> serial <hex> ca <id> subject ..."
  size_t at = r.out.find(" serial ");
  REQUIRE(at != std::string::npos);
  return r.out.substr(at + 8, r.out.find(' ', at + 8) - (at + 8));
}

// Until `pkirepo-signer run` signs CRLs: one full CRL per CA, issuer = the CA's subject,
// signed by a throwaway key (the publisher copies CRLs; it does not verify them).
void put_fixture_crls(const DemoPki& pki) {
  store::WriteStore st(pki.dir / "store");
  st.transact([&](store::WriteTxn& txn) {
    for (const store::CaRecord& ca : store::list_cas(txn)) {
      X509Ptr cert = parse_cert_der(ca.cert_der);
      X509CrlPtr crl(X509_CRL_new());
      X509_CRL_set_version(crl.get(), 1);
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(cert.get()));
      Asn1TimePtr tu = make_x509_time(*parse_rfc3339("2026-11-22T00:00:00Z"));
      Asn1TimePtr nu = make_x509_time(*parse_rfc3339("2026-11-29T00:00:00Z"));
      X509_CRL_set1_lastUpdate(crl.get(), tu.get());
      X509_CRL_set1_nextUpdate(crl.get(), nu.get());
      EvpPkeyPtr key = make_key("ec-p256");
      X509_CRL_sign(crl.get(), key.get(), EVP_sha256());
      store::CrlRecord rec;
      rec.crl_number = 1;
      rec.this_update = *parse_rfc3339("2026-11-22T00:00:00Z");
      rec.next_update = *parse_rfc3339("2026-11-29T00:00:00Z");
      rec.der = to_der(crl.get());
      txn.put(store::Db::crls, store::crl_key(ca.id, 0), store::encode(rec));
    }
  });
}

std::unique_ptr<TempDir> g_dir;
std::unique_ptr<DemoPki> g_pki;

}  // namespace

fs::path write_variant_config(const fs::path& dir, const fs::path& site_source,
                              const std::string& extra_site_keys) {
  const DemoPki& pki = demo_pki();
  fs::path cfg = dir / "pkirepo.toml";
  write_text(cfg, config_text(pki.dir / "store", pki.dir / "keys", site_source, extra_site_keys));
  return cfg;
}

fs::path write_store_copy_config(const fs::path& dir) {
  const DemoPki& pki = demo_pki();
  fs::copy(pki.dir / "store", dir / "store", fs::copy_options::recursive);
  fs::copy(pki.dir / "keys", dir / "keys", fs::copy_options::recursive);
  fs::remove(dir / "store" / "signer.lock");
  fs::path cfg = dir / "pkirepo.toml";
  write_text(cfg,
             config_text(dir / "store", dir / "keys", source_dir() / "examples/demo/site", ""));
  return cfg;
}

const DemoPki& demo_pki() {
  if (g_pki) {
    return *g_pki;
  }
  g_dir = std::make_unique<TempDir>();
  auto pki = std::make_unique<DemoPki>();
  pki->dir = g_dir->path();
  pki->config = pki->dir / "pkirepo.toml";
  const fs::path site = source_dir() / "examples/demo/site";
  write_text(pki->config, config_text(pki->dir / "store", pki->dir / "keys", site, ""));
  RunResult init =
      run({binary("pkirepo-signer").string(), "-c", pki->config.string(), "init"}, signer_env());
  INFO(init.err);
  REQUIRE(init.exit_code == 0);
  const std::string valid = issue(*pki, "tls-server", "tls-ec-2026", "valid.pki.example.com");
  const std::string revoked = issue(*pki, "tls-server", "tls-ec-2026", "revoked.pki.example.com");
  const std::string expired = issue(*pki, "test-short", "tls-ec-2026", "expired.pki.example.com");
  RunResult rv = run({binary("pkirepo-signer").string(), "-c", pki->config.string(), "revoke",
                      "--ca", "tls-ec-2026", "--serial", revoked, "--reason", "keyCompromise"},
                     signer_env());
  INFO(rv.err);
  REQUIRE(rv.exit_code == 0);
  // The signer's `run` signs the CRLs when it is there; otherwise the fixture puts them in.
  RunResult sr =
      run({binary("pkirepo-signer").string(), "-c", pki->config.string(), "run"}, signer_env());
  pki->crls_from_signer_run = sr.exit_code == 0;
  if (!pki->crls_from_signer_run) {
    WARN("pkirepo-signer run unavailable (exit " << sr.exit_code
                                                 << "): CRLs put into the store by the fixture");
    put_fixture_crls(*pki);
  }
  // Test certificates shown on the site: rewrite the config with them.
  write_text(
      pki->config,
      config_text(pki->dir / "store", pki->dir / "keys", site,
                  "\n[[site.test_certificates]]\nca = \"tls-ec-2026\"\n"
                  "valid = \"" +
                      valid + "\"\nrevoked = \"" + revoked + "\"\nexpired = \"" + expired + "\"\n" +
                      "valid_url = \"https://valid.pki.example.com/\"\n"
                      "revoked_url = \"https://revoked.pki.example.com:8444/\"\n"
                      "expired_url = \"https://expired.pki.example.com/\"\n"));
  g_pki = std::move(pki);
  return *g_pki;
}

RunResult publish(const fs::path& config, const std::vector<std::string>& args,
                  const std::string& now) {
  std::vector<std::string> argv = {binary("pkirepo-publisher").string(), "-c", config.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, {{"PKIREPO_NOW", now}});
}

std::map<std::string, std::string> read_tree(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) {
      std::ifstream in(e.path(), std::ios::binary);
      out[fs::relative(e.path(), root).generic_string()] =
          std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    }
  }
  return out;
}

}  // namespace pkirepo::test
