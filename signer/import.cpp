// `import FILE`: on the online host, store what an offline CA's ceremony signed (the bundle of
// ceremony_bundle.h). Every object is checked first (import_checks.h), against the store as it
// is now, in the same write transaction that then stores everything: new subordinate CAs, the
// CRL (its number and revoked-set meta keys, as `run` keeps them for its own CRLs, and the CCADB
// URL list) and the OCSP responses, with a `ca_certificate_issued` audit record per new CA and
// one `ceremony_imported` record. Any failed check: one line naming the file, the object and the
// reason, exit 1, and the transaction aborts: the store is byte for byte as before. The
// responder serves the imported bytes as they are.
#include <iostream>

#include "audit/audit_log.h"
#include "signer/ca_certificate.h"
#include "signer/ca_context.h"
#include "signer/ceremony_bundle.h"
#include "signer/commands.h"
#include "signer/crl_shards.h"
#include "signer/import_checks.h"
#include "store/meta_keys.h"
#include "store/store.h"
#include "x509/cert_info.h"
#include "x509/der.h"

namespace pkirepo::signer {
namespace {

void store_plan(Session& session, store::WriteTxn& txn, const ImportPlan& plan,
                const CeremonyBundle& bundle, const Bytes& file_bytes) {
  const UnixTime now = session.now();
  const std::string& id = plan.ca.id;
  nlohmann::json new_cas = nlohmann::json::array();
  for (const store::CaRecord& r : plan.new_cas) {
    record_ca_certificate(txn, r, now, session.operator_name());
    new_cas.push_back(r.id);
  }
  txn.put(store::Db::crls, store::crl_key(id, 0), store::encode(plan.crl));
  store::put_meta_u64(txn, store::meta::crl_number(id, 0), plan.crl.crl_number);
  txn.put(store::Db::meta, as_bytes(store::meta::crl_set(id, 0)), plan.crl_set);
  const CaContext ca = make_ca_context(session.config(), plan.ca);
  store::CrlRecord list;
  list.entries = 1;
  list.this_update = now;
  list.der = crl_url_list(session.config(), ca, 1);
  list.etag = "\"" + to_hex(sha256(list.der)) + "\"";
  txn.put(store::Db::crls, store::crl_list_key(id), store::encode(list));
  for (const auto& [key, record] : plan.responses) {
    txn.put(store::Db::ocsp, key, store::encode(record));
  }
  audit::append(txn, now, session.operator_name(), "ceremony_imported",
                {{"ca", id},
                 {"bundle_sha256", to_hex(sha256(file_bytes))},
                 {"signed_at", rfc3339(bundle.signed_at)},
                 {"ceremony_operator", bundle.operator_name},
                 {"new_cas", new_cas},
                 {"crl_number", plan.crl.crl_number},
                 {"crl_this_update", rfc3339(plan.crl.this_update)},
                 {"crl_next_update", rfc3339(plan.crl.next_update)},
                 {"crl_entries", plan.crl.entries},
                 {"crl_sha256", to_hex(sha256(plan.crl.der))},
                 {"ocsp_responses", plan.responses.size()}});
}

int run_import(CommandRunner& runner, const std::string& file) {
  Session session(runner.globals, runner.now);
  const auto& store_dir = session.config().repository.store;
  if (!std::filesystem::exists(store_dir / "data.mdb")) {
    throw std::runtime_error(store_dir.string() + ": no store here; nothing to import into");
  }
  const Bytes bytes = read_file(file);
  CeremonyBundle bundle;
  try {
    bundle =
        decode_bundle(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  } catch (const std::exception& e) {
    throw std::runtime_error(file + ": " + e.what());
  }
  ImportPlan plan;
  session.store().transact([&](store::WriteTxn& txn) {
    try {
      plan = check_bundle(session, txn, bundle);
    } catch (const std::exception& e) {
      throw std::runtime_error(file + ": " + e.what() + "; nothing imported");
    }
    store_plan(session, txn, plan, bundle, bytes);
  });
  std::cout << "imported " << file << " from the ceremony of CA " << plan.ca.id << " ("
            << rfc3339(bundle.signed_at) << "): CRL number " << plan.crl.crl_number
            << ", nextUpdate " << rfc3339(plan.crl.next_update) << "; " << plan.responses.size()
            << " OCSP responses";
  for (const store::CaRecord& r : plan.new_cas) {
    X509Ptr cert = parse_cert_der(r.cert_der);
    std::cout << "; new CA " << r.id << " serial " << serial_hex(cert.get()) << " sha256 "
              << to_hex(fingerprint_sha256(cert.get()), true, ':');
  }
  std::cout << "\n";
  if (!plan.new_cas.empty()) {
    std::cout << "next: `pkirepo-signer run` issues the new CAs' responder certificates and "
                 "signs their CRLs\n";
  }
  return 0;
}

}  // namespace

void add_import_command(CLI::App& app, CommandRunner& runner) {
  auto file = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "import", "Check and store a ceremony bundle (an offline CA's CRL, responses, new CAs)");
  cmd->add_option("file", *file, "The bundle `pkirepo-signer ceremony` wrote")->required();
  cmd->callback([&runner, file] { runner.exit_code = run_import(runner, *file); });
}

}  // namespace pkirepo::signer
