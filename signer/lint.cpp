// `lint FILE...`: the issuance profile checks, run on any certificate.
#include <iostream>
#include <memory>

#include "policy/rules.h"
#include "signer/commands.h"
#include "x509/der.h"

namespace pkirepo::signer {
namespace {

struct LintOptions {
  std::vector<std::string> files;
  std::string issuer;
};

int run_lint(const LintOptions& opt) {
  X509Ptr issuer;
  if (!opt.issuer.empty()) {
    issuer = parse_cert_any(read_file(opt.issuer));
    if (!issuer) {
      throw std::runtime_error("--issuer " + opt.issuer + ": not a certificate (PEM or DER)");
    }
  }
  bool any_error = false;
  for (const auto& file : opt.files) {
    X509Ptr cert;
    try {
      cert = parse_cert_any(read_file(file));
    } catch (const std::exception& e) {
      std::cout << file << ": error: " << e.what() << "\n";
      any_error = true;
      continue;
    }
    if (!cert) {
      (void)openssl_error();
      std::cout << file << ": error: not a certificate (PEM or DER)\n";
      any_error = true;
      continue;
    }
    auto findings = policy::lint_certificate(cert.get(), issuer.get());
    std::cout << file << ": " << policy::cert_type_name(policy::classify(cert.get())) << ", "
              << findings.size() << " findings\n";
    for (const auto& f : findings) {
      std::cout << file << ": " << (f.severity == policy::Severity::error ? "error" : "warning")
                << ": " << f.rule << ": " << f.message << "\n";
    }
    any_error = any_error || policy::has_errors(findings);
  }
  return any_error ? 1 : 0;
}

}  // namespace

void add_lint_command(CLI::App& app, CommandRunner& runner) {
  auto opt = std::make_shared<LintOptions>();
  CLI::App* cmd = app.add_subcommand("lint", "Check certificates against the CPS profile rules");
  cmd->add_option("files", opt->files, "Certificate files (PEM or DER)")->required();
  cmd->add_option("--issuer", opt->issuer, "Issuer certificate, for name chaining checks");
  cmd->callback([&runner, opt] { runner.exit_code = run_lint(*opt); });
}

}  // namespace pkirepo::signer
