// pkirepo-signer: the batch job. Composition root: parse arguments, read the clock once, run
// one command. Exit codes: 0 success, 1 refused or failed (one line on stderr), 2 usage.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/unknown_command.h"
#include "signer/commands.h"
#include "signer/process_hardening.h"

int main(int argc, char** argv) {
  using namespace pkirepo::signer;
  harden_process();
  CLI::App app{"pkirepo-signer: CA hierarchy, issuance, revocation, OCSP and CRL pre-signing"};
  app.set_version_flag(
      "--version", std::string("pkirepo-signer ") + PKIREPO_VERSION + pkirepo::clock_build_note());
  app.require_subcommand(1);
  CommandRunner runner;
  app.add_option("-c,--config", runner.globals.config_path, "Config file")->capture_default_str();
  app.add_option("--operator", runner.globals.operator_name,
                 "Who runs this, for the audit log (default: login name)");
  add_init_command(app, runner);
  add_issue_command(app, runner);
  add_revoke_command(app, runner);
  add_inspect_commands(app, runner);
  add_lint_command(app, runner);
  add_audit_command(app, runner);
  add_run_command(app, runner);
  add_status_command(app, runner);
  add_export_command(app, runner);
  add_doctor_command(app, runner);
  add_keys_command(app, runner);
  add_ca_command(app, runner);
  add_incident_command(app, runner);
  add_ceremony_command(app, runner);
  add_import_command(app, runner);
  if (auto unknown = pkirepo::unknown_command(app, argc, argv, {"-c", "--config", "--operator"})) {
    std::cerr << "pkirepo-signer: " << *unknown << "\n";
    return 2;
  }
  try {
    runner.now = pkirepo::clock_now();
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  } catch (const std::exception& e) {
    std::cerr << "pkirepo-signer: " << e.what() << "\n";
    return 1;
  }
  return runner.exit_code;
}
