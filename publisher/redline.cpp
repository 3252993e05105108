#include "publisher/redline.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "publisher/html.h"
#include "publisher/word_diff.h"

namespace pkirepo::publisher {
namespace {

// Past these many edits the comparison gives up on detail: the blocks are shown as removed
// and inserted whole (bounded time for any pair of documents).
constexpr long kMaxBlockEdits = 4000;
constexpr long kMaxTokenEdits = 2000;

std::string_view lines_of(std::string_view text, int first, int last) {
  size_t begin = 0;
  for (int l = 1; l < first && begin < text.size(); ++l) {
    size_t nl = text.find('\n', begin);
    begin = nl == std::string_view::npos ? text.size() : nl + 1;
  }
  size_t end = begin;
  for (int l = first; l <= last && end < text.size(); ++l) {
    size_t nl = text.find('\n', end);
    end = nl == std::string_view::npos ? text.size() : nl + 1;
  }
  return text.substr(begin, end - begin);
}

std::vector<std::string_view> block_sources(const RenderedMarkdown& md, std::string_view text) {
  std::vector<std::string_view> out;
  out.reserve(md.blocks.size());
  for (const RenderedBlock& b : md.blocks) {
    out.push_back(lines_of(text, b.first_line, b.last_line));
  }
  return out;
}

// Tags, runs of whitespace and words (text between them), in order.
std::vector<std::string_view> html_tokens(std::string_view html) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < html.size()) {
    size_t end = pos + 1;
    if (html[pos] == '<') {
      size_t close = html.find('>', pos);
      end = close == std::string_view::npos ? html.size() : close + 1;
    } else if (is_word_space(html[pos])) {
      while (end < html.size() && is_word_space(html[end])) {
        ++end;
      }
    } else {
      while (end < html.size() && !is_word_space(html[end]) && html[end] != '<') {
        ++end;
      }
    }
    out.push_back(html.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

bool is_tag(std::string_view t) {
  return !t.empty() && t.front() == '<';
}

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), is_word_space);
}

// A block shown whole as removed: its heading id and self-link would clash with the newer
// version's, so both go.
std::string without_anchors(std::string html) {
  if (size_t a = html.find(" <a class=\"anchor\" href=\"#"); a != std::string::npos) {
    if (size_t e = html.find("</a>", a); e != std::string::npos) {
      html.erase(a, e + 4 - a);
    }
  }
  size_t tag_end = html.find('>');
  if (size_t id = html.find(" id=\""); id != std::string::npos && id < tag_end) {
    if (size_t q = html.find('"', id + 5); q != std::string::npos) {
      html.erase(id, q + 1 - id);
    }
  }
  return html;
}

std::string whole(const char* tag, const std::string& html) {
  return std::string("<") + tag + " class=\"block\">" + html + "</" + tag + ">\n";
}

std::string summary_of(const RenderedMarkdown& md, size_t from, size_t to) {
  std::vector<std::string> titles;
  for (size_t i = from; i < to; ++i) {
    if (md.blocks[i].heading) {
      titles.push_back(md.blocks[i].title);
    }
  }
  std::string s =
      std::to_string(to - from) + (to - from == 1 ? " unchanged block" : " unchanged blocks");
  if (titles.size() == 1) {
    s += ": " + titles.front();
  } else if (titles.size() > 1) {
    s += ": " + titles.front() + " … " + titles.back();
  }
  return s;
}

}  // namespace

std::string redline_block_html(std::string_view older_html, std::string_view newer_html) {
  std::vector<std::string_view> a = html_tokens(older_html);
  std::vector<std::string_view> b = html_tokens(newer_html);
  std::optional<std::vector<DiffOp>> ops = diff_sequence(a, b, kMaxTokenEdits);
  if (!ops) {
    return whole("del", without_anchors(std::string(older_html))) +
           whole("ins", std::string(newer_html));
  }
  std::string out;
  std::string removed;
  std::string inserted;
  auto flush = [&] {
    if (!blank(removed)) {
      out += "<del>" + removed + "</del>";
    }
    if (!inserted.empty()) {
      out += blank(inserted) ? inserted : "<ins>" + inserted + "</ins>";
    }
    removed.clear();
    inserted.clear();
  };
  size_t x = 0;
  size_t y = 0;
  for (DiffOp op : *ops) {
    switch (op) {
      case DiffOp::same:
        flush();
        out += b[y];
        ++x;
        ++y;
        break;
      case DiffOp::remove:
        // The older version's tags are dropped: the newer block's structure is the page's.
        if (!is_tag(a[x])) {
          removed += a[x];
        }
        ++x;
        break;
      case DiffOp::insert:
        if (is_tag(b[y])) {
          flush();
          out += b[y];
        } else {
          inserted += b[y];
        }
        ++y;
        break;
    }
  }
  flush();
  return out;
}

RedlineHtml redline_document(const RenderedMarkdown& older, std::string_view older_text,
                             const RenderedMarkdown& newer, std::string_view newer_text) {
  std::vector<std::string_view> a = block_sources(older, older_text);
  std::vector<std::string_view> b = block_sources(newer, newer_text);
  std::optional<std::vector<DiffOp>> ops = diff_sequence(a, b, kMaxBlockEdits);
  if (!ops) {
    ops.emplace();
    ops->insert(ops->end(), a.size(), DiffOp::remove);
    ops->insert(ops->end(), b.size(), DiffOp::insert);
  }
  RedlineHtml out;
  size_t x = 0;
  size_t y = 0;
  size_t k = 0;
  while (k < ops->size()) {
    if ((*ops)[k] == DiffOp::same) {
      const size_t from = y;
      while (k < ops->size() && (*ops)[k] == DiffOp::same) {
        ++k;
        ++x;
        ++y;
      }
      // The heading nearest before the next change stays visible: it says where the change is.
      size_t visible = y;
      if (k < ops->size()) {
        for (size_t i = y; i > from; --i) {
          if (newer.blocks[i - 1].heading) {
            visible = i - 1;
            break;
          }
        }
        if (y - visible > 3) {  // the heading is far back: the block before the change is enough
          visible = y - 1;
        }
      }
      if (visible - from >= 2) {
        out.html += "<details class=\"unchanged\"><summary>" +
                    escape_html(summary_of(newer, from, visible)) + "</summary>\n";
        for (size_t i = from; i < visible; ++i) {
          out.html += newer.blocks[i].html;
        }
        out.html += "</details>\n";
      } else {
        visible = from;
      }
      for (size_t i = visible; i < y; ++i) {
        out.html += newer.blocks[i].html;
      }
      continue;
    }
    std::vector<size_t> removed;
    std::vector<size_t> inserted;
    while (k < ops->size() && (*ops)[k] != DiffOp::same) {
      if ((*ops)[k] == DiffOp::remove) {
        removed.push_back(x++);
      } else {
        inserted.push_back(y++);
      }
      ++k;
    }
    out.changed_blocks += std::max(removed.size(), inserted.size());
    const size_t paired = std::min(removed.size(), inserted.size());
    for (size_t i = 0; i < paired; ++i) {
      const RenderedBlock& o = older.blocks[removed[i]];
      const RenderedBlock& n = newer.blocks[inserted[i]];
      if (o.kind == n.kind) {
        out.html += "<div class=\"changed\">" + redline_block_html(o.html, n.html) + "</div>\n";
      } else {
        out.html += whole("del", without_anchors(o.html)) + whole("ins", n.html);
      }
    }
    for (size_t i = paired; i < removed.size(); ++i) {
      out.html += whole("del", without_anchors(older.blocks[removed[i]].html));
    }
    for (size_t i = paired; i < inserted.size(); ++i) {
      out.html += whole("ins", newer.blocks[inserted[i]].html);
    }
  }
  return out;
}

}  // namespace pkirepo::publisher
