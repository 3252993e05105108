#include "publisher/markdown.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm-extension_api.h>
#include <cmark-gfm.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>

#include "publisher/front_matter.h"
#include "publisher/html.h"

namespace pkirepo::publisher {
namespace {

struct ParserDeleter {
  void operator()(cmark_parser* p) const noexcept { cmark_parser_free(p); }
};
struct NodeDeleter {
  void operator()(cmark_node* n) const noexcept { cmark_node_free(n); }
};
struct CStringDeleter {
  void operator()(char* s) const noexcept { std::free(s); }
};
using ParserPtr = std::unique_ptr<cmark_parser, ParserDeleter>;
using NodePtr = std::unique_ptr<cmark_node, NodeDeleter>;
using CStringPtr = std::unique_ptr<char, CStringDeleter>;

void ensure_extensions() {
  static std::once_flag once;
  std::call_once(once, [] { cmark_gfm_core_extensions_ensure_registered(); });
}

// Text of a node's inline content (text, code, and the text inside links/emphasis).
void collect_text(cmark_node* node, std::string& out) {
  for (cmark_node* c = cmark_node_first_child(node); c != nullptr; c = cmark_node_next(c)) {
    switch (cmark_node_get_type(c)) {
      case CMARK_NODE_TEXT:
      case CMARK_NODE_CODE:
        if (const char* lit = cmark_node_get_literal(c)) {
          out += lit;
        }
        break;
      case CMARK_NODE_SOFTBREAK:
      case CMARK_NODE_LINEBREAK:
        out += ' ';
        break;
      default:
        collect_text(c, out);
        break;
    }
  }
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

// "{{pkirepo:name arg}}" -> name, arg. False when `text` is not exactly one tag.
bool parse_fragment_tag(std::string_view text, std::string& name, std::string& arg) {
  constexpr std::string_view open = "{{pkirepo:";
  if (text.substr(0, open.size()) != open || text.size() < open.size() + 2 ||
      text.substr(text.size() - 2) != "}}") {
    return false;
  }
  std::string_view inner = text.substr(open.size(), text.size() - open.size() - 2);
  if (inner.find('}') != std::string_view::npos || inner.find('{') != std::string_view::npos) {
    return false;
  }
  size_t sp = inner.find(' ');
  name = trim(inner.substr(0, sp));
  arg = sp == std::string_view::npos ? "" : trim(inner.substr(sp + 1));
  return !name.empty();
}

}  // namespace

std::string section_anchor(std::string_view text) {
  std::string t = trim(text);
  // Leading "N(.N)*" followed by an optional '.', then whitespace or the end.
  size_t i = 0;
  bool digit_seen = false;
  size_t last_good = 0;
  while (i < t.size()) {
    if (t[i] >= '0' && t[i] <= '9') {
      digit_seen = true;
      ++i;
      last_good = i;
    } else if (t[i] == '.' && digit_seen && i + 1 < t.size() && t[i + 1] >= '0' &&
               t[i + 1] <= '9') {
      ++i;
    } else {
      break;
    }
  }
  if (last_good > 0) {
    size_t after = last_good;
    if (after < t.size() && t[after] == '.') {
      ++after;
    }
    if (after == t.size() || t[after] == ' ' || t[after] == '\t') {
      return t.substr(0, last_good);
    }
  }
  return slugify(t);
}

namespace {

ParserPtr new_parser(int opts) {
  ensure_extensions();
  ParserPtr parser(cmark_parser_new(opts));
  for (const char* ext : {"table", "autolink", "strikethrough"}) {
    if (cmark_syntax_extension* e = cmark_find_syntax_extension(ext)) {
      cmark_parser_attach_syntax_extension(parser.get(), e);
    }
  }
  return parser;
}

// The fragment tag a top-level node is, if it is a paragraph holding exactly one.
bool fragment_tag(cmark_node* n, std::string& name, std::string& arg) {
  if (cmark_node_get_type(n) != CMARK_NODE_PARAGRAPH) {
    return false;
  }
  std::string para;
  collect_text(n, para);
  return parse_fragment_tag(trim(para), name, arg);
}

std::string line_prefix(const MarkdownOptions& options, cmark_node* n) {
  return options.where + ":" +
         std::to_string(options.first_line - 1 + cmark_node_get_start_line(n)) + ": ";
}

}  // namespace

std::string expand_fragments(std::string_view text, const MarkdownOptions& options) {
  ParserPtr parser = new_parser(CMARK_OPT_DEFAULT);
  cmark_parser_feed(parser.get(), text.data(), text.size());
  NodePtr doc(cmark_parser_finish(parser.get()));
  struct Replacement {
    int first = 0;
    int last = 0;
    std::string markdown;
  };
  std::vector<Replacement> replacements;
  for (cmark_node* n = cmark_node_first_child(doc.get()); n != nullptr; n = cmark_node_next(n)) {
    std::string name;
    std::string arg;
    if (!fragment_tag(n, name, arg)) {
      continue;
    }
    std::optional<std::string> md;
    if (options.fragments != nullptr) {
      try {
        md = (*options.fragments)(name, arg);
      } catch (const SiteError& e) {
        throw SiteError(line_prefix(options, n) + e.what());
      }
    }
    if (!md) {
      throw SiteError(line_prefix(options, n) + "unknown generated fragment {{pkirepo:" + name +
                      "}}");
    }
    replacements.push_back({cmark_node_get_start_line(n), cmark_node_get_end_line(n), *md});
  }
  if (replacements.empty()) {
    return std::string(text);
  }
  std::string out;
  size_t pos = 0;
  int line = 1;
  size_t r = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    end = end == std::string_view::npos ? text.size() : end + 1;
    if (r < replacements.size() && line >= replacements[r].first) {
      if (line == replacements[r].first) {
        if (!out.empty() && out.back() != '\n') {
          out += '\n';
        }
        std::string md = replacements[r].markdown;
        if (!md.empty() && md.back() != '\n') {
          md += '\n';
        }
        out += md;
      }
      if (line == replacements[r].last) {
        ++r;
      }
    } else {
      out.append(text.substr(pos, end - pos));
    }
    pos = end;
    ++line;
  }
  return out;
}

RenderedMarkdown render_markdown(std::string_view input, const MarkdownOptions& options) {
  std::string expanded;
  std::string_view text = input;
  if (options.fragments != nullptr) {
    expanded = expand_fragments(input, options);
    text = expanded;
  }
  int opts = CMARK_OPT_DEFAULT | CMARK_OPT_TABLE_PREFER_STYLE_ATTRIBUTES;
  if (!options.safe) {
    opts |= CMARK_OPT_UNSAFE;
  }
  ParserPtr parser = new_parser(opts);
  cmark_parser_feed(parser.get(), text.data(), text.size());
  NodePtr doc(cmark_parser_finish(parser.get()));
  cmark_llist* extensions = cmark_parser_get_syntax_extensions(parser.get());

  // One <h1> per page: the title. Move "#" headings down a level.
  int shift = 0;
  for (cmark_node* n = cmark_node_first_child(doc.get()); n != nullptr; n = cmark_node_next(n)) {
    if (cmark_node_get_type(n) == CMARK_NODE_HEADING && cmark_node_get_heading_level(n) == 1) {
      shift = 1;
      break;
    }
  }

  RenderedMarkdown out;
  std::set<std::string> used;
  // Top-level blocks one by one: headings get their ids.
  for (cmark_node* n = cmark_node_first_child(doc.get()); n != nullptr; n = cmark_node_next(n)) {
    cmark_node_type type = cmark_node_get_type(n);
    RenderedBlock block;
    block.first_line = cmark_node_get_start_line(n);
    block.last_line = cmark_node_get_end_line(n);
    block.kind = cmark_node_get_type_string(n);
    std::string name;
    std::string arg;
    if (fragment_tag(n, name, arg)) {  // left only when there is no resolver
      throw SiteError(line_prefix(options, n) + "unknown generated fragment {{pkirepo:" + name +
                      "}}");
    }
    if (type == CMARK_NODE_HEADING) {
      int level = std::min(6, cmark_node_get_heading_level(n) + shift);
      cmark_node_set_heading_level(n, level);
      std::string heading;
      collect_text(n, heading);
      heading = trim(heading);
      std::string base = section_anchor(heading);
      std::string anchor = base;
      for (int k = 2; used.count(anchor) != 0; ++k) {
        anchor = base + "-" + std::to_string(k);
      }
      used.insert(anchor);
      CStringPtr h(cmark_render_html(n, opts, extensions));
      std::string html = h.get();
      // "<hN>...</hN>\n" -> with id and a visible self-link people can copy.
      std::string tag = "<h" + std::to_string(level) + ">";
      std::string close = "</h" + std::to_string(level) + ">";
      std::string esc = escape_html(anchor);
      if (html.rfind(tag, 0) == 0) {
        html = "<h" + std::to_string(level) + " id=\"" + esc + "\">" + html.substr(tag.size());
        size_t c = html.rfind(close);
        if (c != std::string::npos) {
          html.insert(c, " <a class=\"anchor\" href=\"#" + esc + "\" aria-label=\"Link to " +
                             escape_html(heading) + "\">#</a>");
        }
      }
      out.toc.push_back({level, anchor, heading});
      block.heading = true;
      block.title = heading;
      block.html = std::move(html);
    } else {
      CStringPtr h(cmark_render_html(n, opts, extensions));
      block.html = h.get();
    }
    out.html += block.html;
    out.blocks.push_back(std::move(block));
  }
  return out;
}

std::string md_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '\n':
      case '\r':
      case '\t':
        out += ' ';
        break;
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '<':
      case '>':
      case '|':
      case '&':
      case '~':
        out += '\\';
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string md_code(std::string_view text) {
  size_t longest = 0;
  size_t run = 0;
  std::string body;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
    if (c == '\n' || c == '\r') {
      body += ' ';
    } else if (c == '|') {
      body += "\\|";
    } else {
      body += c;
    }
  }
  const std::string fence(longest + 1, '`');
  const bool pad = !body.empty() && (body.front() == '`' || body.back() == '`' ||
                                     body.front() == ' ' || body.back() == ' ');
  return fence + (pad ? " " : "") + body + (pad ? " " : "") + fence;
}

std::string plain_text(std::string_view markdown) {
  ensure_extensions();
  ParserPtr parser(cmark_parser_new(CMARK_OPT_DEFAULT));
  cmark_parser_feed(parser.get(), markdown.data(), markdown.size());
  NodePtr doc(cmark_parser_finish(parser.get()));
  std::string raw;
  for (cmark_node* n = cmark_node_first_child(doc.get()); n != nullptr; n = cmark_node_next(n)) {
    collect_text(n, raw);
    raw += ' ';
  }
  std::string out;
  bool space = false;
  for (char c : raw) {
    if (c == ' ' || c == '\n' || c == '\t') {
      space = !out.empty();
    } else {
      if (space) {
        out += ' ';
      }
      space = false;
      out += c;
    }
  }
  return out;
}

namespace {

// collect_text() plus every link's destination.
void collect_text_and_links(cmark_node* node, std::string& out) {
  if (cmark_node_get_type(node) == CMARK_NODE_LINK) {
    if (const char* url = cmark_node_get_url(node)) {
      out += url;
      out += ' ';
    }
  }
  for (cmark_node* c = cmark_node_first_child(node); c != nullptr; c = cmark_node_next(c)) {
    if (const char* lit = cmark_node_get_literal(c);
        lit != nullptr &&
        (cmark_node_get_type(c) == CMARK_NODE_TEXT || cmark_node_get_type(c) == CMARK_NODE_CODE ||
         cmark_node_get_type(c) == CMARK_NODE_CODE_BLOCK)) {
      out += lit;
    } else {
      collect_text_and_links(c, out);
    }
    out += ' ';
  }
}

}  // namespace

std::optional<std::string> section_text(std::string_view markdown, std::string_view number) {
  ensure_extensions();
  ParserPtr parser(cmark_parser_new(CMARK_OPT_DEFAULT));
  cmark_parser_feed(parser.get(), markdown.data(), markdown.size());
  NodePtr doc(cmark_parser_finish(parser.get()));
  int level = 0;  // of the section's heading, once found
  std::string out;
  for (cmark_node* n = cmark_node_first_child(doc.get()); n != nullptr; n = cmark_node_next(n)) {
    if (cmark_node_get_type(n) == CMARK_NODE_HEADING) {
      const int l = cmark_node_get_heading_level(n);
      if (level > 0 && l <= level) {
        break;
      }
      if (level == 0) {
        std::string heading;
        collect_text(n, heading);
        if (section_anchor(trim(heading)) == number) {
          level = l;
        }
        continue;
      }
    }
    if (level > 0) {
      collect_text_and_links(n, out);
    }
  }
  if (level == 0) {
    return std::nullopt;
  }
  return out;
}

}  // namespace pkirepo::publisher
