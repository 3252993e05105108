// libFuzzer target over the publisher's Markdown rendering (publisher/markdown.cpp): cmark-gfm
// with the table, autolink and strikethrough extensions, heading anchors and the table of
// contents, and the site's own {{pkirepo:NAME ARG}} tags expanded by the real resolver
// (publisher/fragments.cpp) over the demo config and an empty store snapshot; plain_text() on
// the same bytes (feed summaries).
//
// Input: the first byte picks the options (bit 0: [site] safe; bit 1: no fragment resolver, so
// every tag is an error), the rest is the Markdown.
//
// What must hold, whatever the input:
// - render_markdown returns, or throws SiteError naming the file ("x.md:LINE: ...") on one line
//   (an unknown tag, a bad argument); nothing else escapes.
// - Table of contents: levels 2..6 (the page title is the one <h1>), anchors unique.
// - Safe mode: no raw HTML and no javascript: link reaches the page ("<script" or
//   href="javascript:" in any case would be one).
// - plain_text() is one line without doubled spaces.
// - The redline (publisher/redline.cpp) of the document against itself marks nothing; against
//   the document cut at its middle line it returns (under ASan: within bounds).
//
// Seeds: fuzz/corpus/markdown/ (demo documents, GFM tables, tags). Dictionary:
// fuzz/markdown.dict. Build: -DPKIREPO_FUZZ=ON with clang.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/toml_bounds.h"
#include "publisher/fragments.h"
#include "publisher/front_matter.h"
#include "publisher/html.h"
#include "publisher/markdown.h"
#include "publisher/redline.h"
#include "publisher/store_snapshot.h"

namespace {

using namespace pkirepo;
using namespace pkirepo::publisher;

[[noreturn]] void broken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "markdown_fuzzer: %s: %s\n", what, one_line(detail).c_str());
  std::fflush(stderr);
  __builtin_trap();
}

struct World {
  Config config;
  StoreSnapshot snapshot;
  FragmentResolver resolver;
  World()
      : config(load_config(PKIREPO_FUZZ_DEMO_CONFIG)),
        resolver(make_fragment_resolver(config, snapshot)) {}
};

const World& world() {
  static const World w;
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 64 * 1024) {
    return 0;
  }
  const World& w = world();
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  MarkdownOptions options;
  options.safe = (data[0] & 1) != 0;
  options.where = "x.md";
  options.first_line = 7;
  options.fragments = (data[0] & 2) != 0 ? nullptr : &w.resolver;
  try {
    const RenderedMarkdown r = render_markdown(text, options);
    std::set<std::string> anchors;
    for (const TocEntry& e : r.toc) {
      if (e.level < 2 || e.level > 6) {
        broken("heading level outside 2..6", std::to_string(e.level));
      }
      if (!anchors.insert(e.anchor).second) {
        broken("duplicate anchor", e.anchor);
      }
    }
    const std::string expanded =
        options.fragments != nullptr ? expand_fragments(text, options) : std::string(text);
    if (redline_document(r, expanded, r, expanded).changed_blocks != 0) {
      broken("the redline of a document against itself marks a change", expanded);
    }
    const size_t cut = expanded.find('\n', expanded.size() / 2);
    if (cut != std::string::npos) {
      MarkdownOptions plain = options;
      plain.fragments = nullptr;
      const std::string head = expanded.substr(0, cut + 1);
      const RenderedMarkdown h = render_markdown(head, plain);
      (void)redline_document(h, head, r, expanded);
      (void)redline_document(r, expanded, h, head);
    }
    if (options.safe) {
      const std::string html = ascii_lower(r.html);
      if (html.find("<script") != std::string::npos ||
          html.find("href=\"javascript:") != std::string::npos) {
        broken("safe mode let raw HTML or a javascript: link through", r.html);
      }
    }
  } catch (const SiteError& e) {
    const std::string message = e.what();
    if (message.find('\n') != std::string::npos || !message.starts_with("x.md:")) {
      broken("error message is not one line naming the file", message);
    }
  }
  const std::string plain = plain_text(text);
  if (plain.find('\n') != std::string::npos || plain.find("  ") != std::string::npos) {
    broken("plain_text is not one line of single spaces", plain);
  }
  return 0;
}
