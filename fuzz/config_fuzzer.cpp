// libFuzzer target over pkirepo.toml loading (core/config): untrusted text → parse_config, the
// bounds check before toml++ (config/toml_bounds.h) and every table reader and BR check after.
//
// What must hold, whatever the input:
// - parse_config returns a Config or throws ConfigError; any other exception escapes and the
//   fuzzer reports it (config.h: "Every error is a ConfigError").
// - The error is one line naming the file: "fuzz.toml:LINE:...".
// - No crash, no sanitizer report, no stack overflow (deep nesting is refused before toml++).
// - An accepted config answers the accessors the programs call at start-up.
//
// Seeds: fuzz/corpus/config/ (the demo config and small variants). Dictionary: fuzz/toml.dict.
// Build: -DPKIREPO_FUZZ=ON with clang.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/toml_bounds.h"

namespace {

[[noreturn]] void broken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "config_fuzzer: %s: %s\n", what, detail.c_str());
  std::fflush(stderr);
  __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pkirepo;
  // Anything above the limit is refused by size alone; a little above still checks that.
  if (size > kMaxConfigBytes + 16) {
    return 0;
  }
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const Config cfg = parse_config(text, "/fuzz/fuzz.toml");
    for (const CaConfig& ca : cfg.cas) {
      (void)cfg.root_of(ca);
      (void)cfg.ca_cert_url(ca.id);
      (void)cfg.crl_url(ca.id, -1);
      (void)cfg.crl_list_url(ca.id);
    }
    (void)cfg.cas_parent_first();
    (void)cfg.ocsp_url();
    for (const ProfileConfig& p : cfg.profiles) {
      (void)cfg.find_profile(p.id);
      (void)p.tls_server();
    }
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    if (message.find('\n') != std::string::npos || message.find('\r') != std::string::npos) {
      broken("error message is not one line", one_line(message));
    }
    if (!message.starts_with("/fuzz/fuzz.toml:")) {
      broken("error message does not start with the file name", one_line(message));
    }
  }
  return 0;
}
