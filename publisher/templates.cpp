#include "publisher/templates.h"

#include "publisher/front_matter.h"
#include "x509/bytes.h"

namespace pkirepo::publisher {
namespace fs = std::filesystem;

const char* const Templates::kRequired[] = {
    "layout",       "home",     "document",          "archive",          "redline",
    "certificates", "crls",     "test-certificates", "audits",           "audit",
    "incidents",    "incident", "not-found",         "report-a-problem", "ca",
    nullptr};

Templates::Templates(const fs::path& dir) : dir_(dir) {
  if (!fs::is_directory(dir)) {
    throw SiteError(dir.string() + ": templates folder not found");
  }
  for (const char* const* name = kRequired; *name != nullptr; ++name) {
    fs::path file = dir / (std::string(*name) + ".mustache");
    if (!fs::is_regular_file(file)) {
      throw SiteError(file.string() + ": template missing");
    }
    std::string text = read_text_file(file);
    kainjow::mustache::mustache check(text);
    if (!check.is_valid()) {
      throw SiteError(file.string() + ": " + check.error_message());
    }
    sources_[*name] = std::move(text);
  }
  for (const char* css : {"style.css", "print.css"}) {
    fs::path file = dir / css;
    if (!fs::is_regular_file(file)) {
      throw SiteError(file.string() + ": stylesheet missing");
    }
    (std::string(css) == "style.css" ? style_css_ : print_css_) = read_text_file(file);
  }
}

std::string Templates::render(const std::string& name, const Data& data) const {
  auto it = sources_.find(name);
  if (it == sources_.end()) {
    throw SiteError((dir_ / (name + ".mustache")).string() + ": template missing");
  }
  kainjow::mustache::mustache tmpl(it->second);
  std::string out = tmpl.render(data);
  if (!tmpl.is_valid()) {
    throw SiteError((dir_ / (name + ".mustache")).string() + ": " + tmpl.error_message());
  }
  return out;
}

}  // namespace pkirepo::publisher
