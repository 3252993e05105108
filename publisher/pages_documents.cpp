// The policy documents: every version as HTML and as its Markdown source, the redline
// between consecutive versions, and each document's archive of versions.
#include "publisher/pages.h"
#include "publisher/redline.h"
#include "publisher/word_diff.h"

namespace pkirepo::publisher {
namespace {

std::string version_page(const DocumentVersion& v) {
  return v.meta.version + ".html";
}
std::string redline_page(const DocumentVersion& older, const DocumentVersion& newer) {
  return "redline-" + older.meta.version + "-" + newer.meta.version + ".html";
}

// The Markdown a version publishes: settled by the build (document_text.h), or its source.
const std::string& text_of(const DocumentVersion& v) {
  return v.published.empty() ? v.body : v.published_body;
}

void redline(PageWriter& w, const Document& d, const DocumentVersion& older,
             const DocumentVersion& newer) {
  const std::string old_text = w.expand(text_of(older), older.where, older.body_line);
  const std::string new_text = w.expand(text_of(newer), newer.where, newer.body_line);
  DiffStats st = diff_stats(diff_words(old_text, new_text));
  RenderedMarkdown old_md = w.markdown(old_text, older.where, older.body_line);
  RenderedMarkdown new_md = w.markdown(new_text, newer.where, newer.body_line);
  RedlineHtml red = redline_document(old_md, old_text, new_md, new_text);
  data c = object();
  c.set("doc_title", newer.meta.title);
  c.set("old_version", older.meta.version);
  c.set("new_version", newer.meta.version);
  c.set("old_effective", older.meta.effective_text);
  c.set("new_effective", newer.meta.effective_text);
  c.set("old_href", version_page(older));
  c.set("new_href", version_page(newer));
  c.set("old_md_href", older.meta.version + ".md");
  c.set("new_md_href", newer.meta.version + ".md");
  c.set("archive_href", "archive.html");
  c.set("inserted_words", std::to_string(st.inserted_words));
  c.set("removed_words", std::to_string(st.removed_words));
  c.set("changed_blocks", std::to_string(red.changed_blocks));
  c.set("unchanged", red.changed_blocks == 0);
  set_opt(c, "changes", newer.meta.changes);
  c.set("redline", red.html);
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

// A translation links to the version it translates ("the English version is authoritative");
// an original lists its translations of the same version.
void translation_links(const PageWriter& w, const Document& d, const DocumentVersion& v, data& c) {
  if (!v.meta.translation_of.empty()) {
    c.set("translation_of_href", "../" + v.meta.translation_of + "/" + version_page(v));
    c.set("translation_of", v.meta.translation_of);
    return;
  }
  data translations = list();
  bool any = false;
  for (const Document& other : w.source().documents) {
    for (const DocumentVersion& t : other.versions) {
      if (t.meta.translation_of == d.slug && t.meta.version == v.meta.version) {
        data e = object();
        e.set("lang", t.meta.lang.empty() ? w.config().site.lang : t.meta.lang);
        e.set("href", "../" + other.slug + "/" + version_page(t));
        translations.push_back(e);
        any = true;
      }
    }
  }
  if (any) {
    c.set("translations", translations);
    c.set("has_translations", true);
  }
}

}  // namespace

void render_documents(PageWriter& w) {
  for (const Document& d : w.source().documents) {
    const std::string dir = d.slug + "/";
    const DocumentVersion& current = d.current();
    for (size_t i = 0; i < d.versions.size(); ++i) {
      const DocumentVersion& v = d.versions[i];
      const bool is_current = i + 1 == d.versions.size();
      RenderedMarkdown md = w.markdown(text_of(v), v.where, v.body_line);
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
      const std::string& license =
          v.meta.license.empty() ? w.config().site.policy.license : v.meta.license;
      set_opt(c, "license", license);
      c.set("lang", v.meta.lang.empty() ? w.config().site.lang : v.meta.lang);
      translation_links(w, d, v, c);
      c.set("toc", toc_data(md.toc));
      c.set("has_toc", !md.toc.empty());
      c.set("body", md.html);
      const std::string title = v.meta.title + " " + v.meta.version;
      w.page(dir + version_page(v), title, "document", c);
      if (is_current) {
        w.page(dir + "index.html", v.meta.title, "document", c);
      }
      // The full text: generated tables expanded, as the HTML and the redlines show it.
      w.add_file(dir + v.meta.version + ".md",
                 v.published.empty() ? w.expand(v.raw, v.where, 1) : v.published);
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
