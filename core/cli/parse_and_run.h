// How the programs' main() ends: parse the command line (a usage error exits 2, --help and
// --version exit 0), then run; an exception that escapes is one line on stderr, "PROGRAM: what",
// and exit 1, so that every program fails the way the operator guide describes. Header-only,
// like unknown_command.h: only the programs' main() use it.
#pragma once

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <string_view>

namespace pkirepo {

template <class Run>
int parse_and_run(CLI::App& app, int argc, char** argv, std::string_view program, Run&& run) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    return run();
  } catch (const std::exception& e) {
    std::cerr << program << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace pkirepo
