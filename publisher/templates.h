// The mustache templates of [site] templates (kainjow mustache: {{x}} is HTML-escaped,
// {{{x}}} is not and is only ever given HTML the publisher built and escaped itself).
// Each page is rendered with its page template, then wrapped in layout.mustache.
#pragma once

#include <filesystem>
#include <kainjow/mustache.hpp>
#include <map>
#include <string>

namespace pkirepo::publisher {

using Data = kainjow::mustache::data;

class Templates {
 public:
  // Reads every *.mustache and the stylesheets (style.css, print.css) of `dir`. Throws
  // SiteError naming the file for a missing file or a template that does not parse.
  explicit Templates(const std::filesystem::path& dir);
  // Renders template `name` ("home" for home.mustache). Throws SiteError on a render error.
  [[nodiscard]] std::string render(const std::string& name, const Data& data) const;
  [[nodiscard]] const std::string& stylesheet() const { return style_css_; }
  [[nodiscard]] const std::string& print_stylesheet() const { return print_css_; }
  // Template name -> source text, for the build's input fingerprint.
  [[nodiscard]] const std::map<std::string, std::string>& sources() const { return sources_; }

  // The page templates every site needs.
  static const char* const kRequired[];

 private:
  std::filesystem::path dir_;
  std::map<std::string, std::string> sources_;
  std::string style_css_;
  std::string print_css_;
};

}  // namespace pkirepo::publisher
