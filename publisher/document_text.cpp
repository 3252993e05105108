#include "publisher/document_text.h"

#include <fstream>
#include <sstream>

#include "publisher/front_matter.h"

namespace pkirepo::publisher {
namespace {

std::optional<std::string> read_if_present(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string_view line_at(std::string_view text, size_t pos) {
  size_t begin = text.rfind('\n', pos == 0 ? 0 : pos - 1);
  begin = begin == std::string_view::npos || pos == 0 ? 0 : begin + 1;
  size_t end = text.find('\n', pos);
  return text.substr(begin, (end == std::string_view::npos ? text.size() : end) - begin);
}

std::string clip(std::string_view line) {
  constexpr size_t kMax = 60;
  std::string s(line.substr(0, kMax));
  return line.size() > kMax ? s + "…" : s;
}

// "line 42 (`| Maximum validity | 398 days |` would read `| Maximum validity | 200 days |`)"
std::string first_difference(std::string_view published, std::string_view now) {
  size_t i = 0;
  while (i < published.size() && i < now.size() && published[i] == now[i]) {
    ++i;
  }
  size_t line = 1;
  for (size_t k = 0; k < i; ++k) {
    line += published[k] == '\n' ? 1 : 0;
  }
  return "line " + std::to_string(line) + " (\"" + clip(line_at(published, i)) +
         "\" would read \"" + clip(line_at(now, i)) + "\")";
}

}  // namespace

std::vector<ComplianceFinding> settle_document_texts(SiteSource& source,
                                                     const FragmentResolver& fragments,
                                                     const std::filesystem::path& output,
                                                     UnixTime now) {
  std::vector<ComplianceFinding> findings;
  for (Document& d : source.documents) {
    for (DocumentVersion& v : d.versions) {
      MarkdownOptions o;
      o.where = v.where;
      o.first_line = v.body_line;
      o.fragments = &fragments;
      const std::string body = expand_fragments(v.body, o);
      // The front matter as written, then the expanded body.
      const std::string front =
          v.raw.size() >= v.body.size() &&
                  v.raw.compare(v.raw.size() - v.body.size(), v.body.size(), v.body) == 0
              ? v.raw.substr(0, v.raw.size() - v.body.size())
              : std::string();
      v.published = front + body;
      v.published_body = body;
      if (v.meta.effective > now) {
        continue;  // not in effect yet: it may still change
      }
      const std::filesystem::path file = output / d.slug / (v.meta.version + ".md");
      std::optional<std::string> before = read_if_present(file);
      if (!before || *before == v.published) {
        continue;
      }
      // Published by a pkirepo that did not expand fragments yet: the same text once expanded.
      SplitSource was = split_front_matter(*before, file.string());
      if (was.front == split_front_matter(v.raw, v.where).front &&
          before->substr(0, before->size() - was.body.size()) + expand_fragments(was.body, o) ==
              v.published) {
        continue;
      }
      findings.push_back(
          {d.slug + " " + v.meta.version, "Mozilla Root Store Policy 3.3 (4), 3.3.6",
           "in effect since " + v.meta.effective_text + ", its published text differs at " +
               first_difference(*before, v.published) +
               "; the published text stays: state the change in a new version (or remove " +
               file.string() + " to publish the new text as this version)"});
      v.published = *before;
      v.published_body = std::move(was.body);
    }
  }
  return findings;
}

}  // namespace pkirepo::publisher
