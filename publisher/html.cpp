#include "publisher/html.h"

namespace pkirepo::publisher {

namespace {

// HTML and XML escape the same five characters; only the apostrophe's entity differs
// (&apos; is XML, not HTML 4).
std::string escape_markup(std::string_view text, const char* apostrophe) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += apostrophe;
        break;
      default:
        out += c;
        break;
    }
  }
  return out;
}

}  // namespace

std::string escape_html(std::string_view text) {
  return escape_markup(text, "&#39;");
}

std::string escape_xml(std::string_view text) {
  return escape_markup(text, "&apos;");
}

std::string slugify(std::string_view text) {
  std::string out;
  bool dash = false;
  for (char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      if (dash && !out.empty()) {
        out += '-';
      }
      dash = false;
      out += c;
    } else if (c >= 'A' && c <= 'Z') {
      if (dash && !out.empty()) {
        out += '-';
      }
      dash = false;
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      dash = true;
    }
  }
  return out.empty() ? "section" : out;
}

std::string root_prefix(std::string_view page_path) {
  std::string out;
  for (char c : page_path) {
    if (c == '/') {
      out += "../";
    }
  }
  return out;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

}  // namespace pkirepo::publisher
