#include "config/toml_bounds.h"

namespace pkirepo {
namespace {

// Walks the text once, skipping strings and comments (TOML 1.0 §String, §Comment) so that
// brackets and dots inside them are not counted.
class Scanner {
 public:
  Scanner(std::string_view text, int max_depth) : text_(text), max_depth_(max_depth) {}

  TomlBoundsViolation run() {
    while (pos_ < text_.size() && !out_.found) {
      const char c = text_[pos_];
      switch (c) {
        case '#':
          skip_until_newline();
          continue;
        case '"':
        case '\'':
          skip_string(c);
          continue;
        case '[':
        case '{':
          ++open_;
          dots_ = 0;
          check();
          break;
        case ']':
        case '}':
          open_ = open_ > 0 ? open_ - 1 : 0;
          dots_ = 0;
          break;
        case '=':
        case ',':
          dots_ = 0;
          break;
        case '.':
          ++dots_;
          check();
          break;
        default:
          break;
      }
      advance();
    }
    return out_;
  }

 private:
  void advance() {
    if (text_[pos_] == '\n') {
      ++line_;
      line_start_ = pos_ + 1;
      dots_ = 0;
    }
    ++pos_;
  }

  void check() {
    const long depth = 1L + open_ + dots_;
    if (depth > max_depth_) {
      out_.found = true;
      out_.line = line_;
      out_.column = static_cast<int>(pos_ - line_start_) + 1;
      out_.reason = "nesting deeper than " + std::to_string(max_depth_) +
                    " levels (tables, dotted keys, arrays, inline tables); refused before parsing";
    }
  }

  bool at(std::string_view s) const { return text_.substr(pos_, s.size()) == s; }

  void skip_until_newline() {
    while (pos_ < text_.size() && text_[pos_] != '\n') {
      ++pos_;
    }
  }

  // At an opening quote: past the string's closing quote (or the end of the text / line for an
  // unterminated one; toml++ reports those).
  void skip_string(char quote) {
    const bool basic = quote == '"';
    const std::string_view triple = basic ? "\"\"\"" : "'''";
    const bool multi = at(triple);
    pos_ += multi ? 3 : 1;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (basic && c == '\\') {
        advance();
        if (pos_ < text_.size()) {
          advance();
        }
        continue;
      }
      if (!multi && c == '\n') {
        return;  // unterminated single-line string
      }
      if (multi && at(triple)) {
        pos_ += 3;
        // Up to two more quotes belong to the content (TOML 1.0: """a"""" is a" + "").
        for (int extra = 0; extra < 2 && pos_ < text_.size() && text_[pos_] == quote; ++extra) {
          ++pos_;
        }
        return;
      }
      if (!multi && c == quote) {
        ++pos_;
        return;
      }
      advance();
    }
  }

  std::string_view text_;
  int max_depth_;
  size_t pos_ = 0;
  size_t line_start_ = 0;
  int line_ = 1;
  long open_ = 0;
  long dots_ = 0;
  TomlBoundsViolation out_;
};

}  // namespace

TomlBoundsViolation check_toml_bounds(std::string_view text, size_t max_bytes, int max_depth) {
  if (text.size() > max_bytes) {
    TomlBoundsViolation v;
    v.found = true;
    v.line = 1;
    v.column = 1;
    v.reason =
        "larger than the limit of " + std::to_string(max_bytes) + " bytes; refused before parsing";
    return v;
  }
  return Scanner(text, max_depth).run();
}

std::string one_line(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0x0f];
    } else {
      out += ch;
    }
  }
  return out;
}

std::string toml_error_text(long line, long column, std::string_view description) {
  return std::to_string(line) + ":" + std::to_string(column) + ": " + one_line(description);
}

}  // namespace pkirepo
