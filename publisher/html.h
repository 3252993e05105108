// Small HTML helpers shared by every page the publisher writes. Everything that comes from a
// certificate, a CRL, front matter or the config goes through escape_html() (or a mustache
// {{variable}}, which escapes the same way) before it reaches a page.
#pragma once

#include <string>
#include <string_view>

namespace pkirepo::publisher {

// Escapes & < > " ' so the result is safe as element text and inside a quoted attribute.
[[nodiscard]] std::string escape_html(std::string_view text);
// Escapes for XML text/attributes (sitemap, Atom): & < > " '.
[[nodiscard]] std::string escape_xml(std::string_view text);

// A lowercase ASCII slug: letters and digits kept, runs of anything else become one '-'.
// "Subscriber Agreement (2026)" -> "subscriber-agreement-2026". Never empty ("section").
[[nodiscard]] std::string slugify(std::string_view text);

// `text` with ASCII letters in lowercase (the compliance checks compare case-insensitively).
[[nodiscard]] std::string ascii_lower(std::string_view text);

// The relative prefix from a page at `page_path` (relative to the site root, '/'-separated)
// back to the root: "index.html" -> "", "cps/3.2.html" -> "../".
[[nodiscard]] std::string root_prefix(std::string_view page_path);

}  // namespace pkirepo::publisher
