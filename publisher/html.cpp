#include "publisher/html.h"

namespace pkirepo::publisher {

std::string escape_html(std::string_view text) {
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
        out += "&#39;";
        break;
      default:
        out += c;
        break;
    }
  }
  return out;
}

std::string escape_xml(std::string_view text) {
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
        out += "&apos;";
        break;
      default:
        out += c;
        break;
    }
  }
  return out;
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

}  // namespace pkirepo::publisher
