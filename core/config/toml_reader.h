// Typed, line-numbered reading of one TOML table, shared by pkirepo.toml (config.cpp) and the
// publisher's front matter and audit records. Every key read is remembered so finish() can
// refuse the rest: a typo is an error, never a silent default. Errors are thrown as `Error`
// (ConfigError, SiteError, ...) with the message "FILE:LINE: PREFIXKEY: reason".
//
// Lifetime: borrows the table; use it while the parsed toml::table lives.
#pragma once

#include <toml++/toml.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/duration.h"
#include "x509/time.h"

namespace pkirepo {

template <class Error>
class TomlTableReader {
 public:
  // `line_offset` is added to TOML's line numbers, for TOML embedded in a larger file
  // (front matter); `prefix` is put before key names ("ocsp.", "ca[1].").
  TomlTableReader(const toml::table& table, std::string file, std::string prefix = "",
                  int line_offset = 0)
      : table_(table), file_(std::move(file)), prefix_(std::move(prefix)), offset_(line_offset) {}

  [[noreturn]] void fail(const toml::node* node, std::string_view key,
                         const std::string& why) const {
    int line = (node ? static_cast<int>(node->source().begin.line)
                     : static_cast<int>(table_.source().begin.line)) +
               offset_;
    throw Error(file_ + ":" + std::to_string(line) + ": " + prefix_ + std::string(key) + ": " +
                why);
  }

  const toml::node* node(std::string_view key) {
    seen_.insert(std::string(key));
    return table_.get(key);
  }

  std::optional<std::string> string(std::string_view key, bool required = false) {
    const toml::node* n = present(key, required);
    if (n == nullptr) {
      return std::nullopt;
    }
    if (!n->is_string()) {
      fail(n, key, "must be a string");
    }
    return n->as_string()->get();
  }

  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max) {
    const toml::node* n = node(key);
    if (n == nullptr) {
      return std::nullopt;
    }
    if (!n->is_integer()) {
      fail(n, key, "must be an integer");
    }
    std::int64_t v = n->as_integer()->get();
    if (v < min || v > max) {
      fail(n, key,
           std::to_string(v) + " is outside " + std::to_string(min) + ".." + std::to_string(max));
    }
    return v;
  }

  std::optional<bool> boolean(std::string_view key) {
    const toml::node* n = node(key);
    if (n == nullptr) {
      return std::nullopt;
    }
    if (!n->is_boolean()) {
      fail(n, key, "must be true or false");
    }
    return n->as_boolean()->get();
  }

  std::optional<Duration> duration(std::string_view key, bool required = false) {
    auto s = string(key, required);
    if (!s) {
      return std::nullopt;
    }
    auto d = parse_duration(*s);
    if (!d) {
      fail(node(key), key, "\"" + *s + "\" is not a duration (e.g. 8h, 4d, 397d, 25y)");
    }
    return d;
  }

  // A TOML date (2026-03-01) or a string in RFC 3339 form.
  std::optional<UnixTime> date(std::string_view key, bool required = false) {
    const toml::node* n = present(key, required);
    if (n == nullptr) {
      return std::nullopt;
    }
    std::optional<UnixTime> t;
    if (const auto* d = n->as_date()) {
      char buf[16];
      const toml::date& v = d->get();
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(v.year),
                    static_cast<int>(v.month), static_cast<int>(v.day));
      t = parse_rfc3339(buf);
    } else if (n->is_string()) {
      t = parse_rfc3339(n->as_string()->get());
    }
    if (!t) {
      fail(n, key, "must be a date (YYYY-MM-DD)");
    }
    return t;
  }

  std::vector<std::string> strings(std::string_view key) {
    std::vector<std::string> out;
    const toml::node* n = node(key);
    if (n == nullptr) {
      return out;
    }
    const toml::array* arr = n->as_array();
    if (arr == nullptr) {
      fail(n, key, "must be an array of strings");
    }
    for (const toml::node& item : *arr) {
      if (!item.is_string()) {
        fail(&item, key, "must be an array of strings");
      }
      out.push_back(item.as_string()->get());
    }
    return out;
  }

  const toml::table* subtable(std::string_view key) {
    const toml::node* n = node(key);
    if (n == nullptr) {
      return nullptr;
    }
    if (!n->is_table()) {
      fail(n, key, "must be a table");
    }
    return n->as_table();
  }

  void finish() const {
    for (const auto& [k, v] : table_) {
      if (!seen_.count(std::string(k.str()))) {
        fail(&v, k.str(), "unknown key" + did_you_mean(k.str(), seen_));
      }
    }
  }

  [[nodiscard]] const std::string& prefix() const { return prefix_; }
  [[nodiscard]] const std::string& file() const { return file_; }

 private:
  // ", did you mean \"KEY\"?" for the one of `known` closest to `typo` (at most two edits
  // away), else "".
  static std::string did_you_mean(std::string_view typo, const std::set<std::string>& known) {
    std::string best;
    size_t best_distance = 3;
    for (const std::string& k : known) {
      const size_t d = edit_distance(typo, k);
      if (d < best_distance) {
        best = k;
        best_distance = d;
      }
    }
    return best.empty() ? std::string() : ", did you mean \"" + best + "\"?";
  }
  static size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) {
      row[j] = j;
    }
    for (size_t i = 1; i <= a.size(); ++i) {
      size_t diagonal = row[0];
      row[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        const size_t up = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
        diagonal = up;
      }
    }
    return row[b.size()];
  }

  const toml::node* present(std::string_view key, bool required) {
    const toml::node* n = node(key);
    if (n == nullptr && required) {
      // A required key missing beside an unknown key that is a typo of it: name the typo.
      for (const auto& [k, v] : table_) {
        if (!seen_.count(std::string(k.str())) && edit_distance(k.str(), key) <= 2) {
          fail(&v, k.str(), "unknown key, did you mean \"" + std::string(key) + "\"?");
        }
      }
      fail(nullptr, key, "required key is missing");
    }
    return n;
  }

  const toml::table& table_;
  std::string file_;
  std::string prefix_;
  int offset_;
  std::set<std::string> seen_;
};

}  // namespace pkirepo
