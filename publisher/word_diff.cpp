#include "publisher/word_diff.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>

#include "publisher/html.h"

namespace pkirepo::publisher {
namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    end = end == std::string_view::npos ? text.size() : end + 1;
    out.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

enum class Edit : uint8_t { keep, del, add };

// Myers' greedy algorithm with the trace kept for the path back. `max_d` bounds the work
// (O((N+M)·D) time, O(D²) memory); nullopt when the sequences differ by more.
std::optional<std::vector<Edit>> myers(const std::vector<uint32_t>& a,
                                       const std::vector<uint32_t>& b, long max_d) {
  const long n = static_cast<long>(a.size());
  const long m = static_cast<long>(b.size());
  const long limit = std::min(n + m, max_d);
  std::vector<std::vector<long>> trace;
  std::vector<long> v(2, 0);  // v[k + d + 1] for the current d; grows by 2 each round
  long found = -1;
  for (long d = 0; d <= limit; ++d) {
    std::vector<long> next(static_cast<size_t>(2 * d + 3), 0);
    auto at = [&](const std::vector<long>& vec, long k, long dd) -> long {
      return vec[static_cast<size_t>(k + dd + 1)];
    };
    for (long k = -d; k <= d; k += 2) {
      long x;
      if (d == 0) {
        x = 0;
      } else if (k == -d || (k != d && at(v, k - 1, d - 1) < at(v, k + 1, d - 1))) {
        x = at(v, k + 1, d - 1);
      } else {
        x = at(v, k - 1, d - 1) + 1;
      }
      long y = x - k;
      while (x < n && y < m && a[static_cast<size_t>(x)] == b[static_cast<size_t>(y)]) {
        ++x;
        ++y;
      }
      next[static_cast<size_t>(k + d + 1)] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    trace.push_back(next);
    v = std::move(next);
    if (found >= 0) {
      break;
    }
  }
  if (found < 0) {
    return std::nullopt;
  }
  std::vector<Edit> edits;
  long x = n;
  long y = m;
  for (long d = found; d > 0; --d) {
    const std::vector<long>& prev = trace[static_cast<size_t>(d - 1)];
    auto at = [&](long k) { return prev[static_cast<size_t>(k + d)]; };  // index for d-1
    long k = x - y;
    long prev_k;
    if (k == -d || (k != d && at(k - 1) < at(k + 1))) {
      prev_k = k + 1;
    } else {
      prev_k = k - 1;
    }
    long prev_x = at(prev_k);
    long prev_y = prev_x - prev_k;
    while (x > prev_x && y > prev_y) {
      edits.push_back(Edit::keep);
      --x;
      --y;
    }
    edits.push_back(x == prev_x ? Edit::add : Edit::del);
    x = prev_x;
    y = prev_y;
  }
  while (x > 0 && y > 0) {
    edits.push_back(Edit::keep);
    --x;
    --y;
  }
  std::reverse(edits.begin(), edits.end());
  return edits;
}

// Interns tokens so the diff compares integers.
class Interner {
 public:
  std::vector<uint32_t> ids(const std::vector<std::string_view>& tokens) {
    std::vector<uint32_t> out;
    out.reserve(tokens.size());
    for (std::string_view t : tokens) {
      auto [it, inserted] = map_.try_emplace(t, static_cast<uint32_t>(map_.size()));
      out.push_back(it->second);
    }
    return out;
  }

 private:
  std::unordered_map<std::string_view, uint32_t> map_;
};

void emit(std::vector<DiffChunk>& out, DiffOp op, std::string_view text) {
  if (text.empty()) {
    return;
  }
  if (!out.empty() && out.back().op == op) {
    out.back().text += text;
  } else {
    out.push_back({op, std::string(text)});
  }
}

// Diff of token sequences; falls back to "all removed, all inserted" past the work bound.
void diff_tokens(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b,
                 long max_d, std::vector<DiffChunk>& out,
                 const std::function<void(std::string_view, std::string_view)>* refine) {
  Interner in;
  std::vector<uint32_t> ia = in.ids(a);
  std::vector<uint32_t> ib = in.ids(b);
  auto edits = myers(ia, ib, max_d);
  if (!edits) {
    std::string old_text;
    std::string new_text;
    for (auto t : a) {
      old_text += t;
    }
    for (auto t : b) {
      new_text += t;
    }
    emit(out, DiffOp::remove, old_text);
    emit(out, DiffOp::insert, new_text);
    return;
  }
  size_t x = 0;
  size_t y = 0;
  std::string removed;
  std::string added;
  auto flush = [&] {
    if (refine != nullptr && !removed.empty() && !added.empty()) {
      (*refine)(removed, added);
    } else {
      emit(out, DiffOp::remove, removed);
      emit(out, DiffOp::insert, added);
    }
    removed.clear();
    added.clear();
  };
  for (Edit e : *edits) {
    switch (e) {
      case Edit::keep:
        flush();
        emit(out, DiffOp::same, a[x]);
        ++x;
        ++y;
        break;
      case Edit::del:
        removed += a[x++];
        break;
      case Edit::add:
        added += b[y++];
        break;
    }
  }
  flush();
}

}  // namespace

std::optional<std::vector<DiffOp>> diff_sequence(const std::vector<std::string_view>& a,
                                                 const std::vector<std::string_view>& b,
                                                 long max_d) {
  Interner in;
  std::vector<uint32_t> ia = in.ids(a);
  std::vector<uint32_t> ib = in.ids(b);
  auto edits = myers(ia, ib, max_d);
  if (!edits) {
    return std::nullopt;
  }
  std::vector<DiffOp> out;
  out.reserve(edits->size());
  for (Edit e : *edits) {
    out.push_back(e == Edit::keep  ? DiffOp::same
                  : e == Edit::del ? DiffOp::remove
                                   : DiffOp::insert);
  }
  return out;
}

bool is_word_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::vector<std::string_view> tokenize_words(std::string_view text) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < text.size()) {
    bool space = is_word_space(text[pos]);
    size_t end = pos + 1;
    while (end < text.size() && is_word_space(text[end]) == space) {
      ++end;
    }
    out.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

std::vector<DiffChunk> diff_words(std::string_view old_text, std::string_view new_text) {
  std::vector<DiffChunk> out;
  // Changed runs of lines are refined word by word.
  std::function<void(std::string_view, std::string_view)> refine = [&](std::string_view o,
                                                                       std::string_view n) {
    diff_tokens(tokenize_words(o), tokenize_words(n), 2000, out, nullptr);
  };
  diff_tokens(split_lines(old_text), split_lines(new_text), 20000, out, &refine);
  // Re-merge neighbours that the two levels emitted separately.
  std::vector<DiffChunk> merged;
  for (auto& c : out) {
    emit(merged, c.op, c.text);
  }
  return merged;
}

DiffStats diff_stats(const std::vector<DiffChunk>& chunks) {
  DiffStats s;
  for (const auto& c : chunks) {
    if (c.op == DiffOp::same) {
      continue;
    }
    size_t words = 0;
    for (auto t : tokenize_words(c.text)) {
      words += is_word_space(t.front()) ? 0 : 1;
    }
    (c.op == DiffOp::insert ? s.inserted_words : s.removed_words) += words;
  }
  return s;
}

std::string redline_html(const std::vector<DiffChunk>& chunks) {
  std::string out;
  for (const auto& c : chunks) {
    switch (c.op) {
      case DiffOp::same:
        out += escape_html(c.text);
        break;
      case DiffOp::insert:
        out += "<ins>" + escape_html(c.text) + "</ins>";
        break;
      case DiffOp::remove:
        out += "<del>" + escape_html(c.text) + "</del>";
        break;
    }
  }
  return out;
}

}  // namespace pkirepo::publisher
