// `audit verify` and `audit export`: the auditor's view of the hash-chained log.
#include <iostream>
#include <memory>

#include "audit/audit_log.h"
#include "signer/commands.h"
#include "store/store.h"

namespace pkirepo::signer {
namespace {

int run_verify(CommandRunner& runner) {
  Config cfg = load_config(runner.globals.config_path);
  store::ReadStore st(cfg.repository.store);
  store::ReadTxn txn = st.begin_read();
  audit::VerifyResult r = audit::verify(txn);
  if (!r.ok) {
    std::cerr << "pkirepo-signer: audit verify: " << cfg.repository.store.string()
              << ": broken at record " << r.first_bad << ": " << r.reason << "\n";
    return 1;
  }
  std::cout << "audit log intact: " << r.records << " records, head " << r.head_hex << "\n";
  return 0;
}

int run_export(CommandRunner& runner, const std::string& format) {
  if (format != "jsonl") {
    throw std::runtime_error("--format " + format + ": only jsonl is supported");
  }
  Config cfg = load_config(runner.globals.config_path);
  store::ReadStore st(cfg.repository.store);
  store::ReadTxn txn = st.begin_read();
  audit::export_jsonl(txn, std::cout);
  return 0;
}

}  // namespace

void add_audit_command(CLI::App& app, CommandRunner& runner) {
  CLI::App* audit = app.add_subcommand("audit", "Audit log (CPS 5.4)");
  audit->require_subcommand(1);
  CLI::App* verify = audit->add_subcommand("verify", "Walk the hash chain; exit 1 if broken");
  verify->callback([&runner] { runner.exit_code = run_verify(runner); });
  auto format = std::make_shared<std::string>("jsonl");
  CLI::App* exp = audit->add_subcommand("export", "Print every audit record");
  exp->add_option("--format", *format, "jsonl");
  exp->callback([&runner, format] { runner.exit_code = run_export(runner, *format); });
}

}  // namespace pkirepo::signer
