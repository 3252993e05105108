// Markdown to HTML with cmark-gfm (tables, autolinks, strikethrough), plus what a policy
// repository needs on top: stable anchors for RFC 3647 section numbers, a table of contents,
// and generated fragments ({{pkirepo:NAME ARG}} on a line of its own). A fragment expands to
// Markdown (a GFM table), so the published Markdown of a document is its full text, the same
// text its HTML is rendered from and its redlines compare (expand_fragments).
//
// Anchors (section_anchor): a heading that starts with a section number gets that number as
// its id, so "## 4.9.7 CRL Issuance Frequency" is always #4.9.7 whatever its title says;
// other headings get a slug of their text. Duplicates get "-2", "-3", ... in document order.
//
// Heading levels: the page's title is its one <h1>, so a document that uses "#" headings has
// every heading moved down one level.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pkirepo::publisher {

struct TocEntry {
  int level = 2;       // HTML heading level after the shift (2..6)
  std::string anchor;  // id attribute, unescaped
  std::string text;    // heading text, unescaped
};

// One top-level block of a rendered document (a heading, a paragraph, a table, a list...):
// the redline compares documents block by block.
struct RenderedBlock {
  int first_line = 0;  // 1-based lines of the block in the rendered text
  int last_line = 0;
  bool heading = false;
  std::string title;  // a heading's text
  std::string kind;   // cmark's node type name: "heading", "paragraph", "table", ...
  std::string html;
};

struct RenderedMarkdown {
  std::string html;
  std::vector<TocEntry> toc;
  std::vector<RenderedBlock> blocks;  // `html` is their concatenation
};

// Returns the Markdown of fragment `name` with argument `arg` (may be empty), or nullopt when
// no such fragment exists (expansion then throws SiteError naming file and line). May throw
// SiteError for a known fragment with a bad argument.
using FragmentResolver =
    std::function<std::optional<std::string>(std::string_view name, std::string_view arg)>;

struct MarkdownOptions {
  bool safe = false;   // [site] safe: raw HTML and unsafe link schemes are dropped
  std::string where;   // file name for messages
  int first_line = 1;  // line of `text`'s first line in that file
  const FragmentResolver* fragments = nullptr;  // nullptr: fragment tags are an error
};

// `text` with every fragment tag paragraph replaced by its Markdown, blank lines around it.
// Throws SiteError naming file and line for an unknown fragment (or any tag when
// `options.fragments` is nullptr).
[[nodiscard]] std::string expand_fragments(std::string_view text, const MarkdownOptions& options);

// Expands the fragments first (expand_fragments), then renders. Throws SiteError for an
// unknown fragment tag.
[[nodiscard]] RenderedMarkdown render_markdown(std::string_view text,
                                               const MarkdownOptions& options);

// Text for a Markdown table cell or paragraph: Markdown's punctuation backslash-escaped, line
// breaks as spaces, so config and certificate text never turns into markup.
[[nodiscard]] std::string md_escape(std::string_view text);
// A code span holding `text` exactly (fence longer than any backtick run inside; `|` escaped
// for table cells, which GFM requires even inside code).
[[nodiscard]] std::string md_code(std::string_view text);

// The anchor a heading text gets before de-duplication ("4.9.7 CRL issuance" -> "4.9.7",
// "9.16.3. Severability" -> "9.16.3", "Change history" -> "change-history").
[[nodiscard]] std::string section_anchor(std::string_view heading_text);

// The plain text of a Markdown snippet (front matter values shown as text are never parsed as
// Markdown; this is for feed summaries). Collapses whitespace.
[[nodiscard]] std::string plain_text(std::string_view markdown);

// The plain text of section `number` ("1.5.2") of a policy document: from the heading whose
// anchor is that number through the next heading of the same or a higher level, with link
// targets (a mailto: or a URL counts as stated). nullopt when no heading has that number.
[[nodiscard]] std::optional<std::string> section_text(std::string_view markdown,
                                                      std::string_view number);

}  // namespace pkirepo::publisher
