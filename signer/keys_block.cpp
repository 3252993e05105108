// `keys block`: put a public key on the compromised-key list (store/blocked_keys.h) from a
// report that comes with no certificate of ours yet (CPS 4.9.12: a key-compromise report from
// outside). From then on `issue` refuses every request for that key. Revoking a certificate
// with keyCompromise blocks its key by itself (revoke.cpp).
#include <openssl/pem.h>

#include <iostream>

#include "audit/audit_log.h"
#include "signer/commands.h"
#include "store/blocked_keys.h"
#include "x509/cert_info.h"
#include "x509/der.h"

namespace pkirepo::signer {
namespace {

struct BlockOptions {
  std::string spki_hex;
  std::string pem_file;
  std::string ticket;
};

// The SPKI SHA-256 of a PEM or DER public key, certificate or CSR in `file`.
Sha256Digest spki_of_file(const std::string& file) {
  const Bytes data = read_file(file);
  if (X509Ptr cert = parse_cert_any(data)) {
    return spki_sha256(cert.get());
  }
  if (X509ReqPtr req = parse_csr_any(data)) {
    if (EVP_PKEY* key = X509_REQ_get0_pubkey(req.get())) {
      return spki_sha256(key);
    }
  }
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  EvpPkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    const unsigned char* p = data.data();
    key.reset(d2i_PUBKEY(nullptr, &p, static_cast<long>(data.size())));
  }
  if (!key) {
    (void)openssl_error();
    throw std::runtime_error("--pem " + file +
                             ": holds no public key, certificate or certificate request");
  }
  return spki_sha256(key.get());
}

int run_block(CommandRunner& runner, const BlockOptions& opt) {
  if (opt.spki_hex.empty() == opt.pem_file.empty()) {
    throw std::runtime_error("keys block: give exactly one of --spki-sha256 and --pem");
  }
  if (opt.ticket.empty()) {
    throw std::runtime_error("keys block: --ticket is required (the report that names the key)");
  }
  Sha256Digest spki{};
  if (!opt.pem_file.empty()) {
    spki = spki_of_file(opt.pem_file);
  } else {
    Bytes raw;
    if (!from_hex(opt.spki_hex, raw) || raw.size() != spki.size()) {
      throw std::runtime_error("--spki-sha256 " + opt.spki_hex +
                               ": not 64 hexadecimal digits (the SHA-256 of a "
                               "SubjectPublicKeyInfo, as `list --json` and crt.sh show it)");
    }
    std::copy(raw.begin(), raw.end(), spki.begin());
  }
  Session session(runner.globals, runner.now);
  bool added = false;
  std::optional<store::BlockedKey> existing;
  session.store().transact([&](store::WriteTxn& txn) {
    existing = store::get_blocked_key(txn, spki);
    if (existing) {
      return;
    }
    added = store::block_key(txn, spki,
                             {session.now(), "reported: " + opt.ticket, session.operator_name()});
    audit::append(txn, session.now(), session.operator_name(), "key_blocked",
                  {{"spki_sha256", to_hex(spki)}, {"ticket", opt.ticket}, {"source", "report"}});
  });
  if (!added) {
    std::cout << "key " << to_hex(spki) << " is already blocked " << store::describe(*existing)
              << "; nothing changed\n";
    return 0;
  }
  std::cout << "blocked key " << to_hex(spki) << " (" << opt.ticket
            << "): issue refuses every request for it\n";
  return 0;
}

}  // namespace

void add_keys_block_command(CLI::App& keys, CommandRunner& runner) {
  auto opt = std::make_shared<BlockOptions>();
  CLI::App* block = keys.add_subcommand(
      "block", "Block a compromised public key: issue refuses every request for it from now on");
  block->add_option("--spki-sha256", opt->spki_hex,
                    "SHA-256 of the key's SubjectPublicKeyInfo, in hex");
  block->add_option("--pem", opt->pem_file,
                    "A file with the public key, a certificate or a CSR for it (PEM or DER)");
  block->add_option("--ticket", opt->ticket, "The report's ticket or reference")->required();
  block->callback([&runner, opt] { runner.exit_code = run_block(runner, *opt); });
}

}  // namespace pkirepo::signer
