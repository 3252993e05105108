// Word-level differences between two versions of a document, for the redline pages. The diff
// runs on lines first (Myers, "An O(ND) Difference Algorithm", 1986) and then on the words
// of each changed run of lines, so a long document with small edits stays fast. Whitespace is
// kept as its own tokens so the redline reproduces the newer text exactly where unchanged.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pkirepo::publisher {

enum class DiffOp { same, insert, remove };

struct DiffChunk {
  DiffOp op = DiffOp::same;
  std::string text;
};

struct DiffStats {
  size_t inserted_words = 0;
  size_t removed_words = 0;
};

// Chunks in reading order; adjacent chunks of the same op are merged. Concatenating the
// `same` and `remove` chunks gives `old_text`, the `same` and `insert` chunks `new_text`.
[[nodiscard]] std::vector<DiffChunk> diff_words(std::string_view old_text,
                                                std::string_view new_text);
[[nodiscard]] DiffStats diff_stats(const std::vector<DiffChunk>& chunks);

// The chunks as escaped HTML: <del> for removed text, <ins> for inserted text. Meant for an
// element styled white-space: pre-wrap.
[[nodiscard]] std::string redline_html(const std::vector<DiffChunk>& chunks);

// The edit script between two token sequences (one op per token: `same` consumes one of each,
// `remove` one of `a`, `insert` one of `b`), or nullopt when they differ by more than `max_d`
// edits. Tokens compare as strings.
[[nodiscard]] std::optional<std::vector<DiffOp>> diff_sequence(
    const std::vector<std::string_view>& a, const std::vector<std::string_view>& b, long max_d);

// The whitespace that separates words (space, tab, CR, LF).
[[nodiscard]] bool is_word_space(char c);

// Splits into alternating runs of whitespace and non-whitespace (exposed for tests).
[[nodiscard]] std::vector<std::string_view> tokenize_words(std::string_view text);

}  // namespace pkirepo::publisher
