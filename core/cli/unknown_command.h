// CLI11 answers a mistyped command ("pkirepo-signer runn") with "A subcommand is required",
// which does not say what was wrong. unknown_command() finds the word before parsing, so the
// programs can name it and list the commands. Header-only: only the programs' main() use it.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <set>
#include <string>

namespace pkirepo {

// The first argument that is neither an option nor the value of one of `value_options` (the
// global options that take a value), when it names none of `app`'s subcommands: one line to
// print, "unknown command \"WORD\" (commands: a, b, c)". nullopt when all is well.
inline std::optional<std::string> unknown_command(const CLI::App& app, int argc,
                                                  const char* const* argv,
                                                  const std::set<std::string>& value_options) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.starts_with("-")) {
      if (value_options.contains(arg)) {
        ++i;  // its value
      }
      continue;
    }
    std::string names;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->get_name() == arg) {
        return std::nullopt;
      }
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    return "unknown command \"" + arg + "\" (commands: " + names + ")";
  }
  return std::nullopt;
}

}  // namespace pkirepo
