// The Atom feed (document versions, incidents, CA certificate changes and audit reports, each
// dated by its record, never by the build; newest first) and the sitemap of every HTML page.
#include <algorithm>

#include "publisher/html.h"
#include "publisher/pages.h"

namespace pkirepo::publisher {
namespace {

std::string url(const Config& config, const std::string& path) {
  return config.repository.base_url + "/" + path;
}

}  // namespace

void render_feed(PageWriter& w) {
  std::sort(w.feed_entries().begin(), w.feed_entries().end(),
            [](const FeedEntry& a, const FeedEntry& b) {
              return a.when != b.when ? a.when > b.when : a.path < b.path;
            });
  UnixTime updated = w.feed_entries().empty() ? 0 : w.feed_entries().front().when;
  std::string x =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n";
  x += "  <title>" + escape_xml(w.config().repository.name) + "</title>\n";
  x += "  <id>" + escape_xml(url(w.config(), "feed.xml")) + "</id>\n";
  x += "  <link rel=\"self\" href=\"" + escape_xml(url(w.config(), "feed.xml")) + "\"/>\n";
  x += "  <link rel=\"alternate\" type=\"text/html\" href=\"" +
       escape_xml(url(w.config(), "index.html")) + "\"/>\n";
  x += "  <updated>" + rfc3339(updated) + "</updated>\n";
  x += "  <author><name>" + escape_xml(w.config().repository.name) + "</name></author>\n";
  for (const FeedEntry& e : w.feed_entries()) {
    x += "  <entry>\n";
    x += "    <title>" + escape_xml(e.title) + "</title>\n";
    x += "    <id>" + escape_xml(url(w.config(), e.path)) + "</id>\n";
    x += "    <link rel=\"alternate\" type=\"text/html\" href=\"" +
         escape_xml(url(w.config(), e.path)) + "\"/>\n";
    x += "    <updated>" + rfc3339(e.when) + "</updated>\n";
    x += "    <summary>" + escape_xml(e.summary) + "</summary>\n";
    x += "  </entry>\n";
  }
  x += "</feed>\n";
  w.add_file("feed.xml", x);
}

void render_sitemap(PageWriter& w) {
  std::vector<std::string> pages = w.html_pages();
  std::sort(pages.begin(), pages.end());
  std::string x =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
  for (const std::string& p : pages) {
    x += "  <url><loc>" + escape_xml(url(w.config(), p)) + "</loc></url>\n";
  }
  x += "</urlset>\n";
  w.add_file("sitemap.xml", x);
}

}  // namespace pkirepo::publisher
