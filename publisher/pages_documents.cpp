// The policy documents: every version as HTML and as its Markdown source, the redline
// between consecutive versions, and each document's archive of versions.
#include "publisher/pages.h"
#include "publisher/word_diff.h"

namespace pkirepo::publisher {
namespace {

std::string version_page(const DocumentVersion& v) {
  return v.meta.version + ".html";
}
std::string redline_page(const DocumentVersion& older, const DocumentVersion& newer) {
  return "redline-" + older.meta.version + "-" + newer.meta.version + ".html";
}

void redline(PageWriter& w, const Document& d, const DocumentVersion& older,
             const DocumentVersion& newer) {
  std::vector<DiffChunk> chunks = diff_words(older.body, newer.body);
  DiffStats st = diff_stats(chunks);
  data c = object();
  c.set("doc_title", newer.meta.title);
  c.set("old_version", older.meta.version);
  c.set("new_version", newer.meta.version);
  c.set("old_effective", older.meta.effective_text);
  c.set("new_effective", newer.meta.effective_text);
  c.set("old_href", version_page(older));
  c.set("new_href", version_page(newer));
  c.set("archive_href", "archive.html");
  c.set("inserted_words", std::to_string(st.inserted_words));
  c.set("removed_words", std::to_string(st.removed_words));
  c.set("unchanged", st.inserted_words == 0 && st.removed_words == 0);
  set_opt(c, "changes", newer.meta.changes);
  c.set("redline", redline_html(chunks));
  w.page(d.slug + "/" + redline_page(older, newer),
         "Changes in " + newer.meta.title + " " + newer.meta.version, "redline", c);
}

void archive(PageWriter& w, const Document& d) {
  data versions = list();
  for (size_t n = d.versions.size(); n-- > 0;) {
    const DocumentVersion& v = d.versions[n];
    data e = object();
    e.set("version", v.meta.version);
    e.set("href", version_page(v));
    e.set("md_href", v.meta.version + ".md");
    e.set("effective", v.meta.effective_text);
    set_opt(e, "changes", v.meta.changes);
    e.set("is_current", n + 1 == d.versions.size());
    if (n > 0) {
      e.set("redline_href", redline_page(d.versions[n - 1], v));
      e.set("previous_version", d.versions[n - 1].meta.version);
    }
    versions.push_back(e);
  }
  data c = object();
  c.set("doc_title", d.current().meta.title);
  c.set("kind_label", document_kind_label(d.current().meta.kind));
  c.set("current_href", "index.html");
  c.set("versions", versions);
  w.page(d.slug + "/archive.html", d.current().meta.title + ": all versions", "archive", c);
}

}  // namespace

void render_documents(PageWriter& w) {
  for (const Document& d : w.source().documents) {
    const std::string dir = d.slug + "/";
    const DocumentVersion& current = d.current();
    for (size_t i = 0; i < d.versions.size(); ++i) {
      const DocumentVersion& v = d.versions[i];
      const bool is_current = i + 1 == d.versions.size();
      RenderedMarkdown md = w.markdown(v.body, v.where, v.body_line);
      data c = object();
      c.set("doc_title", v.meta.title);
      c.set("kind_label", document_kind_label(v.meta.kind));
      c.set("version", v.meta.version);
      c.set("effective", v.meta.effective_text);
      c.set("oid", v.meta.oid);
      c.set("has_oid", !v.meta.oid.empty());
      set_opt(c, "changes", v.meta.changes);
      c.set("has_changes", !v.meta.changes.empty());
      c.set("is_current", is_current);
      c.set("current_version", current.meta.version);
      c.set("current_href", "index.html");
      c.set("archive_href", "archive.html");
      c.set("md_href", v.meta.version + ".md");
      c.set("version_count", std::to_string(d.versions.size()));
      if (i > 0) {
        c.set("redline_href", redline_page(d.versions[i - 1], v));
        c.set("previous_version", d.versions[i - 1].meta.version);
      }
      c.set("toc", toc_data(md.toc));
      c.set("has_toc", !md.toc.empty());
      c.set("body", md.html);
      const std::string title = v.meta.title + " " + v.meta.version;
      w.page(dir + version_page(v), title, "document", c);
      if (is_current) {
        w.page(dir + "index.html", v.meta.title, "document", c);
      }
      w.add_file(dir + v.meta.version + ".md", v.raw);
      w.add_feed_entry(
          {v.meta.effective, dir + version_page(v), v.meta.title + " version " + v.meta.version,
           v.meta.changes.empty()
               ? "Version " + v.meta.version + " takes effect on " + v.meta.effective_text + "."
               : v.meta.changes});
      if (i > 0) {
        redline(w, d, d.versions[i - 1], v);
      }
    }
    archive(w, d);
  }
}

}  // namespace pkirepo::publisher
