// Each signer command lives in its own file and registers itself here. A command's callback
// sets `exit_code`; exceptions are caught once in main() and become one line + exit 1.
#pragma once

#include <CLI/CLI.hpp>

#include "signer/session.h"

namespace pkirepo::signer {

struct CommandRunner {
  Globals globals;
  UnixTime now = 0;  // read once by main()
  int exit_code = 0;
};

void add_init_command(CLI::App& app, CommandRunner& runner);
void add_issue_command(CLI::App& app, CommandRunner& runner);
void add_revoke_command(CLI::App& app, CommandRunner& runner);
void add_inspect_commands(CLI::App& app, CommandRunner& runner);  // list, show
void add_lint_command(CLI::App& app, CommandRunner& runner);
void add_audit_command(CLI::App& app, CommandRunner& runner);   // audit verify|export
void add_run_command(CLI::App& app, CommandRunner& runner);     // run (OCSP + CRL signing)
void add_status_command(CLI::App& app, CommandRunner& runner);  // status (monitoring probe)
void add_export_command(CLI::App& app, CommandRunner& runner);  // export (compacted copy)
void add_doctor_command(CLI::App& app, CommandRunner& runner);  // doctor (deployment checks)
void add_keys_command(CLI::App& app, CommandRunner& runner);    // keys rewrap|block
void add_keys_block_command(CLI::App& keys, CommandRunner& runner);
void add_ca_command(CLI::App& app, CommandRunner& runner);        // ca list|show
void add_incident_command(CLI::App& app, CommandRunner& runner);  // incident select|revoke|report

// Offline CAs (offline_ca.h): `ca request ID` under `ca`, `ceremony` on the offline machine,
// `import FILE` of its bundle online.
void add_ca_request_command(CLI::App* ca, CommandRunner& runner);
void add_ceremony_command(CLI::App& app, CommandRunner& runner);
void add_import_command(CLI::App& app, CommandRunner& runner);

}  // namespace pkirepo::signer
