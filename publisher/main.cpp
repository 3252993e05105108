// pkirepo-publisher: renders the CA's public repository as a static site. Composition root:
// parse arguments, read the clock once, load the config, build. Exit codes: 0 success,
// 1 failure (one line naming the input and the reason) or compliance findings under
// --strict, 2 usage.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/parse_and_run.h"
#include "cli/unknown_command.h"
#include "config/config.h"
#include "publisher/builder.h"
#include "x509/time.h"

int main(int argc, char** argv) {
  using namespace pkirepo;
  CLI::App app{"pkirepo-publisher: the CA's public repository as a static site"};
  app.set_version_flag("--version", std::string("pkirepo-publisher ") + PKIREPO_VERSION +
                                        pkirepo::clock_build_note());
  app.require_subcommand(1);
  std::string config_path = "pkirepo.toml";
  std::string operator_name;
  app.add_option("-c,--config", config_path, "Config file")->capture_default_str();
  app.add_option("--operator", operator_name, "Who runs this (accepted for symmetry; unused)");
  CLI::App* build = app.add_subcommand("build", "Build the site into [site] output or --out");
  std::string out;
  bool strict = false;
  bool quiet = false;
  build->add_option("--out", out, "Output folder (default: [site] output)");
  build->add_flag("--quiet", quiet, "No summary line (findings still go to stderr)");
  build->add_flag("--strict", strict, "Compliance warnings fail the build (exit 1)");
  if (auto unknown = unknown_command(app, argc, argv, {"-c", "--config", "--operator"})) {
    std::cerr << "pkirepo-publisher: " << *unknown << "\n";
    return 2;
  }
  return parse_and_run(app, argc, argv, "pkirepo-publisher", [&] {
    const UnixTime now = clock_now();
    const Config config = load_config(config_path);
    publisher::BuildOptions options;
    options.output = out.empty() ? config.site.output : std::filesystem::path(out);
    options.strict = strict;
    publisher::BuildResult r = publisher::build_site(config, options, now);
    for (const auto& f : r.findings) {
      std::cerr << (strict ? "error: " : "warning: ") << f.subject << ": " << f.message << " ["
                << f.rule << "]\n";
    }
    if (r.refused) {
      std::cerr << "pkirepo-publisher: " << r.findings.size()
                << " compliance finding(s) with --strict; nothing written\n";
      return 1;
    }
    if (quiet) {
      return 0;
    }
    if (r.stats.changed) {
      std::cout << "built " << r.files << " files into " << options.output.string() << ": "
                << r.stats.written << " written, " << r.stats.unchanged << " unchanged, "
                << r.stats.removed << " removed\n";
    } else {
      std::cout << "no change: " << r.files << " files in " << options.output.string()
                << " already up to date\n";
    }
    return 0;
  });
}
