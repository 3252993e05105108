// `ca list` and `ca show`: the CA certificates straight from the store, for relying parties,
// root programs and the operator, without building the site (after `init` the root to hand
// out is here). Reads only: no signer lock, no key.
#include <iostream>
#include <nlohmann/json.hpp>

#include "signer/ca_lifecycle.h"
#include "signer/commands.h"
#include "store/store.h"
#include "x509/der.h"

namespace pkirepo::signer {
namespace {

struct CaOptions {
  std::string id;
  bool json = false;
  bool pem = false;
  bool der = false;
  bool chain = false;
};

nlohmann::json describe(const store::Txn& txn, const store::CaRecord& ca, UnixTime now) {
  X509Ptr cert = parse_cert_der(ca.cert_der);
  if (!cert) {
    throw std::runtime_error("CA " + ca.id + ": its certificate in the store does not parse");
  }
  const Sha256Digest sha256 = fingerprint_sha256(cert.get());
  const Sha1Digest sha1 = fingerprint_sha1(cert.get());
  const std::optional<std::string> unusable = ca_unusable_reason(txn, ca.id, now);
  // As `openssl x509 -fingerprint` and the root programs print them: "AB:CD:…".
  return {{"id", ca.id},
          {"role", ca_role_name(ca.role)},
          {"parent", ca.parent},
          {"subject", subject_string(cert.get())},
          {"serial", to_hex(serial_bytes(cert.get()))},
          {"not_before", rfc3339(not_before(cert.get()))},
          {"not_after", rfc3339(not_after(cert.get()))},
          {"state", unusable ? "unusable" : "active"},
          {"state_reason", unusable.value_or("")},
          {"sha256_fingerprint", to_hex(sha256, true, ':')},
          {"sha1_fingerprint", to_hex(sha1, true, ':')}};
}

const store::CaRecord& find(const std::vector<store::CaRecord>& cas, const std::string& id) {
  for (const store::CaRecord& ca : cas) {
    if (ca.id == id) {
      return ca;
    }
  }
  throw std::runtime_error("ca show " + id + ": no CA with this id in the store");
}

int run_list(CommandRunner& runner, const CaOptions& opt) {
  Session session(runner.globals, runner.now);
  store::ReadStore st(session.config().repository.store);
  store::ReadTxn txn = st.begin_read();
  for (const store::CaRecord& ca : store::list_cas(txn)) {
    const nlohmann::json j = describe(txn, ca, session.now());
    if (opt.json) {
      std::cout << j.dump() << "\n";
      continue;
    }
    std::cout << j["id"].get<std::string>() << "  " << j["role"].get<std::string>() << "  "
              << j["state"].get<std::string>() << "  " << j["subject"].get<std::string>()
              << "\n  SHA-256 " << j["sha256_fingerprint"].get<std::string>() << "\n  SHA-1   "
              << j["sha1_fingerprint"].get<std::string>() << "\n";
  }
  return 0;
}

int run_show(CommandRunner& runner, const CaOptions& opt) {
  Session session(runner.globals, runner.now);
  store::ReadStore st(session.config().repository.store);
  store::ReadTxn txn = st.begin_read();
  const std::vector<store::CaRecord> cas = store::list_cas(txn);
  const store::CaRecord& ca = find(cas, opt.id);
  if (opt.der) {
    std::cout.write(reinterpret_cast<const char*>(ca.cert_der.data()),
                    static_cast<std::streamsize>(ca.cert_der.size()));
    return 0;
  }
  if (opt.pem || opt.chain) {
    // The chain runs from this CA up to its root, the order TLS and `openssl verify
    // -untrusted` expect.
    for (const store::CaRecord* c = &ca; c != nullptr;) {
      std::cout << to_pem(parse_cert_der(c->cert_der).get());
      if (!opt.chain || c->parent.empty()) {
        break;
      }
      c = &find(cas, c->parent);
    }
    return 0;
  }
  std::cout << describe(txn, ca, session.now()).dump(2) << "\n";
  return 0;
}

}  // namespace

void add_ca_command(CLI::App& app, CommandRunner& runner) {
  auto opt = std::make_shared<CaOptions>();
  CLI::App* ca = app.add_subcommand("ca", "The CA certificates in the store");
  ca->require_subcommand(1);
  CLI::App* list = ca->add_subcommand("list", "Every CA: id, role, state, subject, fingerprints");
  list->add_flag("--json", opt->json, "One JSON object per line");
  list->callback([&runner, opt] { runner.exit_code = run_list(runner, *opt); });
  CLI::App* show = ca->add_subcommand("show", "One CA's facts, or its certificate");
  show->add_option("id", opt->id, "CA id")->required();
  auto* pem = show->add_flag("--pem", opt->pem, "The certificate as PEM");
  auto* der = show->add_flag("--der", opt->der, "The certificate as DER (binary, to stdout)");
  auto* chain =
      show->add_flag("--chain", opt->chain, "PEM of the certificate and every CA above it");
  pem->excludes(der)->excludes(chain);
  der->excludes(chain);
  show->callback([&runner, opt] { runner.exit_code = run_show(runner, *opt); });
  add_ca_request_command(ca, runner);
}

}  // namespace pkirepo::signer
