#include "publisher/page_writer.h"

#include "publisher/html.h"

namespace pkirepo::publisher {

data list() {
  return data(data::type::list);
}
data object() {
  return data(data::type::object);
}

void set_opt(data& d, const std::string& key, const std::string& value) {
  if (!value.empty()) {
    d.set(key, value);
  }
}

std::string datetime_text(UnixTime t) {
  std::string s = rfc3339(t);  // "2026-11-22T02:15:29Z"
  return s.substr(0, 10) + " " + s.substr(11, 8) + " UTC";
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& i : items) {
    out += (out.empty() ? "" : sep) + i;
  }
  return out;
}

data toc_data(const std::vector<TocEntry>& toc) {
  data items = list();
  for (const TocEntry& t : toc) {
    if (t.level > 3) {
      continue;
    }
    data e = object();
    e.set("anchor", t.anchor);
    e.set("text", t.text);
    e.set("level", std::to_string(t.level));
    items.push_back(e);
  }
  return items;
}

data audit_facts(const AuditMeta& m) {
  data d = object();
  d.set("scheme", m.scheme);
  d.set("auditor", m.auditor);
  d.set("period_start", m.period_start_text);
  d.set("period_end", m.period_end_text);
  d.set("report_date", m.report_date_text);
  d.set("cas", join(m.cas, ", "));
  d.set("sample", m.sample);
  d.set("type", m.type);
  d.set("point_in_time", m.type != "period-of-time");
  d.set("criteria", join(m.criteria, "; "));
  set_opt(d, "auditor_address", m.auditor_address);
  set_opt(d, "report_url", m.report_url);
  return d;
}

PageWriter::PageWriter(const Config& config, const SiteSource& source,
                       const StoreSnapshot& snapshot, const Templates& templates, UnixTime now)
    : config_(config),
      source_(source),
      snap_(snapshot),
      templates_(templates),
      now_(now),
      fragments_(make_fragment_resolver(config, snapshot)) {}

void PageWriter::page(const std::string& path, const std::string& title, const std::string& tmpl,
                      data content, const std::string& root_override) {
  const std::string root = root_override.empty() ? root_prefix(path) : root_override;
  content.set("root", root);
  content.set("site_name", config_.repository.name);
  content.set("title", title);
  data layout = object();
  layout.set("root", root);
  layout.set("site_name", config_.repository.name);
  layout.set("title", title);
  layout.set("lang", config_.site.lang);
  layout.set("content", templates_.render(tmpl, content));
  files_.add(path, templates_.render("layout", layout));
  if (root_override.empty()) {
    html_pages_.push_back(path);
  }
}

RenderedMarkdown PageWriter::markdown(const std::string& text, const std::string& where,
                                      int first_line) {
  MarkdownOptions o;
  o.safe = config_.site.safe;
  o.where = where;
  o.first_line = first_line;
  o.fragments = &fragments_;
  return render_markdown(text, o);
}

std::string PageWriter::expand(const std::string& text, const std::string& where,
                               int first_line) const {
  MarkdownOptions o;
  o.where = where;
  o.first_line = first_line;
  o.fragments = &fragments_;
  return expand_fragments(text, o);
}

void PageWriter::add_file(const std::string& path, std::string content) {
  files_.add(path, std::move(content));
}

}  // namespace pkirepo::publisher
