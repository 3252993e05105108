// What every kind of page shares while a site renders: the inputs (config, site source, store
// snapshot, templates, `now`), the files written so far, the list of HTML pages (for the
// sitemap) and the feed entries the pages announce. Each kind of page is one function in its
// own pages_*.cpp (pages.h) that reads the inputs and adds files through this class.
#pragma once

#include <kainjow/mustache.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "publisher/fragments.h"
#include "publisher/markdown.h"
#include "publisher/site_output.h"
#include "publisher/site_source.h"
#include "publisher/store_snapshot.h"
#include "publisher/templates.h"
#include "x509/time.h"

namespace pkirepo::publisher {

using kainjow::mustache::data;

[[nodiscard]] data list();
[[nodiscard]] data object();
// Mustache sections treat "" as true; optional values are left out instead.
void set_opt(data& d, const std::string& key, const std::string& value);
[[nodiscard]] std::string datetime_text(UnixTime t);  // "2026-11-22 02:15:29 UTC"
[[nodiscard]] std::string join(const std::vector<std::string>& items, const std::string& sep);
// The table of contents of a rendered document, levels 1 to 3.
[[nodiscard]] data toc_data(const std::vector<TocEntry>& toc);

// One audit's facts as the home page, the audits table and a report page show them.
[[nodiscard]] data audit_facts(const AuditMeta& m);

struct FeedEntry {
  UnixTime when;
  std::string path;
  std::string title;
  std::string summary;
};

class PageWriter {
 public:
  PageWriter(const Config& config, const SiteSource& source, const StoreSnapshot& snapshot,
             const Templates& templates, UnixTime now);

  [[nodiscard]] const Config& config() const { return config_; }
  [[nodiscard]] const SiteSource& source() const { return source_; }
  [[nodiscard]] const StoreSnapshot& snap() const { return snap_; }
  [[nodiscard]] const Templates& templates() const { return templates_; }
  [[nodiscard]] UnixTime now() const { return now_; }

  // Renders `tmpl` with `content` inside the layout as the page at `path`. Links are relative
  // to the page unless `root_override` gives an absolute root (404.html).
  void page(const std::string& path, const std::string& title, const std::string& tmpl,
            data content, const std::string& root_override = "");
  // `text` with the generated fragments ({{pkirepo:…}}) expanded (expand_fragments).
  [[nodiscard]] std::string expand(const std::string& text, const std::string& where,
                                   int first_line) const;
  // Markdown of the site source, with the generated fragments ({{pkirepo:…}}) expanded.
  [[nodiscard]] RenderedMarkdown markdown(const std::string& text, const std::string& where,
                                          int first_line);
  void add_file(const std::string& path, std::string content);
  void add_feed_entry(FeedEntry e) { feed_entries_.push_back(std::move(e)); }

  [[nodiscard]] const std::vector<std::string>& html_pages() const { return html_pages_; }
  [[nodiscard]] std::vector<FeedEntry>& feed_entries() { return feed_entries_; }
  // The incidents table, rendered once by the incidents page and shown again on the home page.
  std::optional<data> incident_rows;

  [[nodiscard]] SiteFiles take_files() { return std::move(files_); }

 private:
  const Config& config_;
  const SiteSource& source_;
  const StoreSnapshot& snap_;
  const Templates& templates_;
  UnixTime now_;
  FragmentResolver fragments_;
  SiteFiles files_;
  std::vector<std::string> html_pages_;
  std::vector<FeedEntry> feed_entries_;
};

}  // namespace pkirepo::publisher
