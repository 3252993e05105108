// The redline between two versions of a document, as the reader sees the document: the newer
// version rendered, with inserted text in <ins> and deleted text in <del> where it changed,
// and the unchanged stretches collapsed (<details>) so the changes stand out. Both versions are
// compared as their full published Markdown (generated fragments expanded), so a change inside
// a generated table (a profile, a fingerprint) shows like any other.
//
// The comparison runs on top-level blocks first (headings, paragraphs, tables, lists: Myers on
// their Markdown source), then word by word inside a changed block whose kind did not change
// (its HTML tokenized into tags and words; the newer block's tags are kept, so the result is
// well formed). A block removed or added whole is shown whole, with its anchors taken out so
// the page's ids stay unique.
#pragma once

#include <string>
#include <string_view>

#include "publisher/markdown.h"

namespace pkirepo::publisher {

struct RedlineHtml {
  std::string html;
  size_t changed_blocks = 0;  // blocks inserted, removed or changed
};

// `older_text` and `newer_text` are the Markdown each rendering was made from.
[[nodiscard]] RedlineHtml redline_document(const RenderedMarkdown& older,
                                           std::string_view older_text,
                                           const RenderedMarkdown& newer,
                                           std::string_view newer_text);

// Word-level redline of two HTML fragments of the same kind of block (exposed for tests).
[[nodiscard]] std::string redline_block_html(std::string_view older_html,
                                             std::string_view newer_html);

}  // namespace pkirepo::publisher
