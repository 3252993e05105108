#include "cli_support.h"

#include "run_support.h"
#include "x509/der.h"

namespace pkirepo::test {

RunResult TestPki::signer(std::vector<std::string> args) const {
  args.insert(args.begin(),
              {binary("pkirepo-signer").string(), "-c", config.string(), "--operator", "tester"});
  return run(args, env);
}

std::filesystem::path TestPki::csr(const std::string& name, const std::string& algorithm,
                                   const std::vector<std::string>& dns) const {
  EvpPkeyPtr key = make_key(algorithm);
  // A TLS server certificate names its host in the SAN too (BR 7.1.2.7.12): the CN by default.
  X509ReqPtr req = make_csr(key.get(), name, dns.empty() ? std::vector<std::string>{name} : dns);
  std::filesystem::path p = dir / ("csr/" + name + ".csr");
  write_text(p, to_pem(req.get()));
  return p;
}

size_t TestPki::records(const std::string& db) const {
  return snapshot(dir / "store")[db].size();
}

std::string TestPki::ca_pem(const std::string& ca_id) const {
  return write_ca_pem(dir / "store", ca_id, CaCert::ca, dir / (ca_id + ".pem"));
}

std::string TestPki::responder_pem(const std::string& ca_id) const {
  return write_ca_pem(dir / "store", ca_id, CaCert::responder, dir / (ca_id + "-ocsp.pem"));
}

StoreSnapshot snapshot(const std::filesystem::path& store_dir) {
  StoreSnapshot out;
  store::ReadStore st(store_dir);
  store::ReadTxn txn = st.begin_read();
  for (store::Db db :
       {store::Db::meta, store::Db::cas, store::Db::certs, store::Db::by_expiry, store::Db::ocsp,
        store::Db::crls, store::Db::audit, store::Db::revocations, store::Db::blocked_keys,
        store::Db::by_spki, store::Db::by_domain, store::Db::cert_names}) {
    auto& m = out[store::db_name(db)];
    store::Cursor c(txn, db);
    for (bool ok = c.first(); ok; ok = c.next()) {
      m[Bytes(c.key().begin(), c.key().end())] = Bytes(c.value().begin(), c.value().end());
    }
  }
  return out;
}

}  // namespace pkirepo::test
