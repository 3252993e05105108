#include "run_support.h"

#include <openssl/pem.h>

#include <catch2/catch.hpp>
#include <ctime>

#include "policy/profiles.h"
#include "signer/cert_builder.h"
#include "support/synthetic_certs.h"
#include "x509/der.h"

namespace pkirepo::test {

UnixTime wall_clock() {
  return static_cast<UnixTime>(std::time(nullptr));
}

RunRepo::RunRepo(UnixTime at, const std::string& extra) : now(at) {
  // These tests are about what `run` signs: new certificates' first responses wait for it
  // (issue_ocsp_test.cpp covers OCSP at issuance).
  std::string with_run_signing = extra;
  const std::string key = "sign_at_issuance = false\n";
  if (const size_t at_ocsp = with_run_signing.find("[ocsp]\n"); at_ocsp != std::string::npos) {
    with_run_signing.insert(at_ocsp + 7, key);
  } else {
    with_run_signing += "\n[ocsp]\n" + key;
  }
  config = write_demo_config(dir.path(), with_run_signing);
  RunResult r = signer({"init"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
}

RunResult RunRepo::signer(const std::vector<std::string>& args, std::optional<UnixTime> at) const {
  std::vector<std::string> argv{binary("pkirepo-signer").string(), "-c", config.string(),
                                "--operator", "test"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto env = signer_env();
  env["PKIREPO_NOW"] = rfc3339(at.value_or(now));
  return run(argv, env);
}

std::string RunRepo::issue(const std::string& cn, std::optional<UnixTime> at) const {
  EvpPkeyPtr key = make_key("ec-p256");
  X509ReqPtr csr = make_csr(key.get(), cn, {cn});
  std::filesystem::path csr_path = dir.path() / ("csr-" + cn + ".pem");
  write_text(csr_path, to_pem(csr.get()));
  std::filesystem::path out = dir.path() / ("issued-" + cn + ".pem");
  RunResult r = signer(
      {"issue", "--profile", "tls-server", "--csr", csr_path.string(), "--out", out.string()}, at);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  X509Ptr cert = parse_cert_any(read_file(out));
  REQUIRE(cert);
  std::string serial = serial_hex(cert.get());
  std::filesystem::rename(out, cert_pem(serial));
  return serial;
}

std::string RunRepo::ca_pem(const std::string& ca_id) const {
  return write_ca_pem(store_dir(), ca_id, CaCert::ca, dir.path() / (ca_id + "-ca.pem"));
}

std::string RunRepo::responder_pem(const std::string& ca_id) const {
  return write_ca_pem(store_dir(), ca_id, CaCert::responder,
                      dir.path() / (ca_id + "-responder.pem"));
}

std::optional<store::CaRecord> ca_record(const std::filesystem::path& store_dir,
                                         const std::string& ca_id) {
  store::ReadStore st(store_dir);
  store::ReadTxn txn = st.begin_read();
  return store::get_ca(txn, ca_id);
}

std::string write_ca_pem(const std::filesystem::path& store_dir, const std::string& ca_id,
                         CaCert which, const std::filesystem::path& path) {
  auto rec = ca_record(store_dir, ca_id);
  REQUIRE(rec);
  X509Ptr cert = parse_cert_der(which == CaCert::ca ? rec->cert_der : rec->responder_cert_der);
  REQUIRE(cert);
  write_text(path, to_pem(cert.get()));
  return path.string();
}

std::optional<store::OcspRecord> ocsp_record(const std::filesystem::path& store_dir,
                                             const std::string& ca_id,
                                             const std::string& serial_hex_text, CertIdHash hash) {
  store::ReadStore st(store_dir);
  store::ReadTxn txn = st.begin_read();
  auto ca = store::get_ca(txn, ca_id);
  REQUIRE(ca);
  X509Ptr issuer = parse_cert_der(ca->cert_der);
  Bytes serial;
  REQUIRE(parse_serial_hex(serial_hex_text, serial));
  return store::get_ocsp(txn, store::ocsp_key(hash, issuer_name_hash(issuer.get(), hash),
                                              issuer_key_hash(issuer.get(), hash), serial));
}

std::optional<store::CrlRecord> crl_record(const std::filesystem::path& store_dir,
                                           const std::string& ca_id, int shard) {
  store::ReadStore st(store_dir);
  store::ReadTxn txn = st.begin_read();
  return store::get_crl(txn, ca_id, shard);
}

size_t count_ocsp(const std::filesystem::path& store_dir, const std::string& ca_id,
                  CertIdHash hash) {
  store::ReadStore st(store_dir);
  store::ReadTxn txn = st.begin_read();
  auto ca = store::get_ca(txn, ca_id);
  REQUIRE(ca);
  X509Ptr issuer = parse_cert_der(ca->cert_der);
  Bytes prefix = store::ocsp_key(hash, issuer_name_hash(issuer.get(), hash),
                                 issuer_key_hash(issuer.get(), hash), {});
  size_t n = 0;
  store::Cursor c(txn, store::Db::ocsp);
  for (bool ok = c.seek(prefix); ok; ok = c.next()) {
    ByteView k = c.key();
    if (k.size() < prefix.size() || !std::equal(prefix.begin(), prefix.end(), k.begin())) {
      break;
    }
    ++n;
  }
  return n;
}

std::string write_der(const std::filesystem::path& path, ByteView der) {
  write_text(path, std::string(der.begin(), der.end()));
  return path.string();
}

std::string write_crl_pem(const std::filesystem::path& path, ByteView der) {
  X509CrlPtr crl = parse_crl_der(der);
  REQUIRE(crl);
  write_text(path, to_pem(crl.get()));
  return path.string();
}

std::vector<std::string> add_synthetic_certs(const std::filesystem::path& store_dir,
                                             const std::string& ca_id, size_t count,
                                             size_t revoke_every, UnixTime not_before,
                                             UnixTime not_after, int shards) {
  std::vector<std::string> serials;
  store::WriteStore st(store_dir);
  std::optional<store::CaRecord> ca;
  {
    store::ReadTxn txn = st.begin_read();
    ca = store::get_ca(txn, ca_id);
  }
  REQUIRE(ca);
  put_synthetic_certs(st, *ca, count, 2000,
                      [&](size_t i, const Bytes& serial, store::CertRecord& rec) {
                        rec.not_before = not_before;
                        rec.not_after = not_after;
                        rec.issued_at = not_before;
                        rec.profile = "tls-server";
                        rec.shard = static_cast<uint16_t>(policy::shard_of(serial, shards));
                        if (revoke_every != 0 && i % revoke_every == revoke_every - 1) {
                          rec.status = store::CertStatus::revoked;
                          rec.reason = CrlReason::key_compromise;
                          rec.revocation_time = not_before;
                        }
                        serials.push_back(to_hex(serial));
                      });
  return serials;
}

}  // namespace pkirepo::test
