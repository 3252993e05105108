// libFuzzer target over the publisher's front matter (publisher/front_matter.cpp): a whole
// site-source Markdown file → split_front_matter → parse_document_meta and
// parse_incident_meta on its TOML; the same bytes as an audit record (parse_audit_meta).
//
// What must hold, whatever the input:
// - Each step returns or throws SiteError; any other exception escapes and is reported.
// - Every error is one line and names the file ("x.md:..." / "a.toml:...").
// - No crash or stack overflow: front matter is bounded (64 KiB, 16 levels) before toml++.
// - split_front_matter gives back the input: body is a suffix of it, and body_line (for a
//   non-empty body after front matter) counts the lines before the body.
// - compare_versions is antisymmetric and reflexive on the versions seen.
//
// Seeds: fuzz/corpus/front_matter/ (the demo site's documents, an incident, an audit record).
// Dictionary: fuzz/toml.dict. Build: -DPKIREPO_FUZZ=ON with clang.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "config/toml_bounds.h"
#include "publisher/front_matter.h"

namespace {

using namespace pkirepo;
using namespace pkirepo::publisher;

[[noreturn]] void broken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "front_matter_fuzzer: %s: %s\n", what, one_line(detail).c_str());
  std::fflush(stderr);
  __builtin_trap();
}

void check_error(const SiteError& e, std::string_view file) {
  const std::string message = e.what();
  if (message.find('\n') != std::string::npos || message.find('\r') != std::string::npos) {
    broken("error message is not one line", message);
  }
  if (!message.starts_with(std::string(file) + ":")) {
    broken("error message does not name the file", message);
  }
}

void check_versions(std::string_view a, std::string_view b) {
  const int ab = compare_versions(a, b);
  const int ba = compare_versions(b, a);
  if (ab != -ba || compare_versions(a, a) != 0) {
    broken("compare_versions is not antisymmetric", std::string(a) + " vs " + std::string(b));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256 * 1024) {
    return 0;
  }
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string version;
  try {
    const SplitSource s = split_front_matter(text, "x.md");
    if (!text.ends_with(s.body)) {
      broken("body is not the end of the file", s.body);
    }
    const std::string_view before = text.substr(0, text.size() - s.body.size());
    const auto lines_before = static_cast<int>(std::count(before.begin(), before.end(), '\n'));
    if (!s.front.empty() && !s.body.empty() && s.body_line != lines_before + 1) {
      broken("body_line does not count the lines before the body", std::to_string(s.body_line));
    }
    if (!s.front.empty()) {
      try {
        version = parse_document_meta(s.front, "x.md", 2).version;
      } catch (const SiteError& e) {
        check_error(e, "x.md");
      }
      try {
        const IncidentMeta m = parse_incident_meta(s.front, "x.md", 2);
        (void)m.closed();
      } catch (const SiteError& e) {
        check_error(e, "x.md");
      }
    }
  } catch (const SiteError& e) {
    check_error(e, "x.md");
  }
  try {
    (void)parse_audit_meta(text, "a.toml");
  } catch (const SiteError& e) {
    check_error(e, "a.toml");
  }
  // Versions: the accepted one (if any) against a slice of the input.
  check_versions(version, text.substr(0, std::min<size_t>(text.size(), 32)));
  return 0;
}
