// `ca request ID --out FILE`: on the online host, the key and PKCS#10 request of a subordinate
// CA whose parent is offline. The parent's key never comes here; the request goes to the
// parent's ceremony (`ceremony --new-ca ID --csr FILE`), whose bundle `import` brings back.
// The key is made where it will be used, exactly as `init` makes CA keys (key.file, encrypted,
// mode 0600, never overwritten); a second run for the same CA reuses that key, so a lost request
// can be made again.
#include <iostream>

#include "audit/audit_log.h"
#include "policy/profiles.h"
#include "policy/rules.h"
#include "signer/ca_certificate.h"
#include "signer/ca_setup.h"
#include "signer/commands.h"
#include "signer/token_keys.h"
#include "x509/bytes.h"
#include "x509/cert_info.h"
#include "x509/der.h"
#include "x509/key.h"
#include "x509/key_file.h"

namespace pkirepo::signer {
namespace {

struct CaRequestOptions {
  std::string id;
  std::string out;
};

// The request: the config's subject and the key, signed with it (proof of possession).
X509ReqPtr make_request(const CaConfig& ca, EVP_PKEY* key) {
  X509ReqPtr req(X509_REQ_new());
  X509NamePtr subject = parse_name(ca.subject);
  if (!req || X509_REQ_set_version(req.get(), 0) != 1 ||
      X509_REQ_set_subject_name(req.get(), subject.get()) != 1 ||
      X509_REQ_set_pubkey(req.get(), key) != 1 ||
      X509_REQ_sign(req.get(), key, signature_digest(key)) <= 0) {
    throw std::runtime_error("CA " + ca.id + ": cannot build the request: " + openssl_error());
  }
  return req;
}

int run_ca_request(CommandRunner& runner, const CaRequestOptions& opt) {
  Session session(runner.globals, runner.now);
  const Config& cfg = session.config();
  const CaConfig* ca = cfg.find_ca(opt.id);
  if (ca == nullptr) {
    throw std::runtime_error("ca request " + opt.id + ": unknown CA (not in " + cfg.file.string() +
                             ")");
  }
  const CaConfig* parent = ca->parent.empty() ? nullptr : cfg.find_ca(ca->parent);
  if (parent == nullptr || !parent->offline) {
    throw std::runtime_error("ca request " + opt.id +
                             ": only a CA whose parent is offline is requested; `pkirepo-signer "
                             "init` creates this one");
  }
  if (std::filesystem::exists(opt.out)) {
    throw std::runtime_error("--out " + opt.out + ": already exists; refusing to overwrite it");
  }
  store::WriteStore& st = session.store();
  {
    store::ReadTxn txn = st.begin_read();
    if (store::get_ca(txn, ca->id)) {
      throw std::runtime_error("ca request " + opt.id + ": the CA is already in the store");
    }
    if (!store::get_ca(txn, parent->id)) {
      throw std::runtime_error("ca request " + opt.id + ": parent " + parent->id +
                               " is not in the store (import the root's store first)");
    }
  }
  KeyFileGuard guard;
  EvpPkeyPtr key;
  bool reused = false;
  if (ca->key.in_token()) {
    // Generated inside its token (or the token's key of that label used as it is).
    TokenKey token = ensure_token_key(session, ca->key.pkcs11, ca->key.algorithm,
                                      cfg.key_pin(ca->key, ca->id), "CA " + ca->id);
    key = std::move(token.key);
    reused = !token.generated;
  } else if (std::filesystem::exists(ca->key.file)) {
    reused = true;
    key = session.load_key(ca->key.file);
  } else {
    key = generate_key(ca->key.algorithm);
  }
  const std::string key_ref = ca->key.in_token() ? ca->key.pkcs11 : ca->key.file.string();
  // CPS 6.1.5 before anything is written: a weak key would only be refused at the ceremony.
  throw_on_lint_errors(
      policy::check_public_key(key.get(), policy::cert_type_of(ca->role), session.now(),
                               session.now() + ca->validity.seconds),
      "CA " + ca->id);
  if (!reused && !ca->key.in_token()) {
    write_encrypted_key(ca->key.file, key.get(), session.passphrase());
    guard.add(ca->key.file);
  }
  X509ReqPtr req = make_request(*ca, key.get());
  const std::string pem = to_pem(req.get());
  guard.add(opt.out);
  try {
    // Never through a symlink planted at --out, never half a request on disk.
    write_file_atomic(opt.out, as_bytes(pem));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("--out " + std::string(e.what()));
  }
  const Sha256Digest spki_digest = spki_sha256(key.get());
  const std::string spki = to_hex(spki_digest);
  st.transact([&](store::WriteTxn& txn) {
    audit::append(txn, session.now(), session.operator_name(),
                  reused ? "ca_request_created" : "ca_key_generated",
                  {{"ca", ca->id},
                   {"algorithm", ca->key.algorithm},
                   {"key_file", key_ref},
                   {"spki_sha256", spki},
                   {"parent", parent->id},
                   {"request_sha256", to_hex(sha256(to_der(req.get())))}});
  });
  guard.keep();
  std::cout << "CA " << ca->id << ": " << (reused ? "reused" : "generated") << " key " << key_ref
            << " (SPKI SHA-256 " << to_hex(spki_digest, true, ':') << "); request " << opt.out
            << " for the ceremony of " << parent->id << " (`pkirepo-signer ceremony --ca "
            << parent->id << " --new-ca " << ca->id << " --csr FILE`)\n";
  return 0;
}

}  // namespace

void add_ca_request_command(CLI::App* ca, CommandRunner& runner) {
  auto opt = std::make_shared<CaRequestOptions>();
  CLI::App* cmd = ca->add_subcommand(
      "request", "Key and request of a CA whose parent is offline, for the parent's ceremony");
  cmd->add_option("id", opt->id, "CA id (in the config, not yet in the store)")->required();
  cmd->add_option("--out", opt->out, "Where to write the request (PEM)")->required();
  cmd->callback([&runner, opt] { runner.exit_code = run_ca_request(runner, *opt); });
}

}  // namespace pkirepo::signer
