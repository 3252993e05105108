// Bounds on TOML text, checked before toml++ sees it, and toml++'s parse errors as one line.
//
// Why before parsing: toml++ 3.3 builds a dotted key ("a.a.a.…= 1") as nested tables and
// recurses once per level when it later destroys, copies or walks them; 60,000 levels
// overflow the stack and kill the process (issue #19). Its own limit (TOML_MAX_NESTED_VALUES)
// covers arrays and inline tables only. Nothing here interprets TOML beyond what is needed to
// find strings and comments: the count is deliberately coarse and errs on the high side.
//
// Nesting depth, as counted here, at any point of the text = 1 + open '[' and '{' + the dots
// of the key being written (dots since the last '=', ',', bracket or line break, outside
// strings and comments). "a.b.c = 1" is 3; "[x.y]" then "k = { a = [1] }" is 3; a float value
// adds at most 1. Thread-safe, no allocation beyond the result.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace pkirepo {

// Front matter and the publisher's audit records: a few hundred bytes in practice.
inline constexpr size_t kMaxFrontMatterBytes = 64 * 1024;
// pkirepo.toml: a few KB in practice; a hierarchy with hundreds of CAs stays far below.
inline constexpr size_t kMaxConfigBytes = 1024 * 1024;
// Deepest the config and front matter ever need is 3 ("[[ca]]" + "key = { … }").
inline constexpr int kMaxTomlDepth = 16;

struct TomlBoundsViolation {
  bool found = false;
  int line = 0;        // 1-based, in `text`
  int column = 0;      // 1-based byte column
  std::string reason;  // "nesting deeper than 16 levels ..." (one line)
};

// The first place where `text` exceeds `max_bytes` (line 1, column 1) or `max_depth`.
[[nodiscard]] TomlBoundsViolation check_toml_bounds(std::string_view text, size_t max_bytes,
                                                    int max_depth);

// "LINE:COLUMN: reason" of a toml++ parse error (its source().begin and description()), on
// one line: control characters from the input that the description may quote become \xNN.
[[nodiscard]] std::string toml_error_text(long line, long column, std::string_view description);

// `text` with every byte below 0x20 and 0x7f written as \xNN: for error messages that quote
// input and must stay one line.
[[nodiscard]] std::string one_line(std::string_view text);

}  // namespace pkirepo
