#include "publisher/site_source.h"

#include <algorithm>
#include <set>

#include "config/toml_bounds.h"
#include "publisher/site_output.h"

namespace pkirepo::publisher {
namespace fs = std::filesystem;
namespace {

bool ignored(const fs::path& p) {
  std::string name = p.filename().string();
  return name.empty() || name[0] == '.' || name[0] == '_';
}

// The site source's folder, resolved once. Every symlink the loader meets must resolve inside
// it: the site publishes what it reads verbatim (the .md downloads), so `privacy.md ->
// /etc/shadow` or a folder linked to the CA's key directory would put those bytes on the web.
// Links that stay inside the tree are followed (an alias of a document or folder).
class SourceTree {
 public:
  explicit SourceTree(const fs::path& dir) : root_(fs::canonical(dir)) {}

  // `p` as the loader should open it: p itself, or for a symlink the file it resolves to
  // (read through that resolved path, so the link cannot be swapped after the check).
  // Throws SiteError naming p when a symlink dangles, loops or leaves the tree.
  [[nodiscard]] fs::path checked(const fs::path& p) const {
    std::error_code ec;
    if (!fs::is_symlink(p, ec)) {
      return p;
    }
    const std::string target = one_line(fs::read_symlink(p, ec).string());
    const fs::path real = fs::canonical(p, ec);
    if (ec) {
      throw SiteError(one_line(p.string()) + ": symlink to " + target +
                      " does not resolve: " + ec.message());
    }
    const fs::path rel = real.lexically_relative(root_);
    if (rel.empty() || *rel.begin() == "..") {
      throw SiteError(one_line(p.string()) + ": symlink to " + target + " leaves the site source " +
                      one_line(root_.string()) + "; refused (links must stay inside it)");
    }
    return real;
  }

 private:
  fs::path root_;
};

// Sorted entries of a folder (directory order is not deterministic). Symlinks among them are
// checked here, so a folder the loader walks, or a file it will read, never leaves the tree.
std::vector<fs::directory_entry> entries(const SourceTree& tree, const fs::path& dir) {
  std::vector<fs::directory_entry> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!ignored(e.path())) {
      (void)tree.checked(e.path());
      out.push_back(e);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
  return out;
}

// The regular files of a folder whose names end in `ext`, sorted as entries() sorts.
std::vector<fs::path> files_in(const SourceTree& tree, const fs::path& dir,
                               const std::string& ext) {
  std::vector<fs::path> out;
  for (const auto& e : entries(tree, dir)) {
    if (e.is_regular_file() && e.path().extension() == ext) {
      out.push_back(e.path());
    }
  }
  return out;
}

// Slugs become folder names in the site: keep them plain, and off the site's own folders.
void check_slug(const std::string& slug, const std::string& where) {
  static const std::set<std::string> reserved = {"ca",        "crl",  "audits",
                                                 "incidents", "test", "assets"};
  bool ok = !slug.empty();
  for (char c : slug) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_');
  }
  if (!ok) {
    throw SiteError(where + ": name \"" + slug + "\" must use only a-z, 0-9, '-' and '_'");
  }
  if (reserved.count(slug)) {
    throw SiteError(where + ": name \"" + slug + "\" is reserved for the site's own pages");
  }
}

// A file's name without its extension, checked as a slug.
std::string slug_of(const fs::path& file) {
  std::string slug = file.stem().string();
  check_slug(slug, file.string());
  return slug;
}

// Reads the files of the site source and hashes each one's path and bytes as it goes: the
// digest covers everything the site is rendered from, whatever the loader later takes from it.
class SourceReader {
 public:
  explicit SourceReader(const SourceTree& tree) : tree_(tree) {}

  std::string text(const fs::path& p) {
    std::string t = read_text_file(tree_.checked(p));
    hasher_.add(p.string());
    hasher_.add(t);
    return t;
  }
  Bytes bytes(const fs::path& p) {
    Bytes b = read_file(tree_.checked(p));
    hasher_.add(p.string());
    hasher_.add(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
    return b;
  }
  [[nodiscard]] std::string digest() const { return hasher_.hex(); }

 private:
  const SourceTree& tree_;
  InputHasher hasher_;
};

DocumentVersion load_version(SourceReader& reader, const fs::path& file, const std::string& where) {
  DocumentVersion v;
  v.where = where;
  v.raw = reader.text(file);
  SplitSource s = split_front_matter(v.raw, where);
  if (s.front.empty()) {
    throw SiteError(where + ":1: front matter: missing (+++ title, kind, version, effective +++)");
  }
  v.meta = parse_document_meta(s.front, where, 2);
  v.body = std::move(s.body);
  v.body_line = s.body_line;
  return v;
}

// audits/<id>.toml and the report it names beside it.
Audit load_audit(SourceReader& reader, const fs::path& file) {
  Audit audit;
  audit.id = slug_of(file);
  audit.where = file.string();
  audit.meta = parse_audit_meta(reader.text(file), audit.where);
  if (!audit.meta.report.empty()) {
    fs::path report = file.parent_path() / audit.meta.report;
    audit.report_where = report.string();
    std::string ext = report.extension().string();
    if (ext == ".pdf" || ext == ".md") {
      audit.report_ext = ext.substr(1);
    } else {
      throw SiteError(audit.where + ": report: \"" + audit.meta.report +
                      "\" must be a .pdf or .md file");
    }
    if (!fs::is_regular_file(report)) {
      throw SiteError(audit.where + ": report: " + report.string() + " not found");
    }
    audit.report = reader.bytes(report);
  }
  return audit;
}

// incidents/<slug>.md: front matter and the report's Markdown.
Incident load_incident(SourceReader& reader, const fs::path& file) {
  Incident inc;
  inc.slug = slug_of(file);
  inc.where = file.string();
  SplitSource s = split_front_matter(reader.text(file), inc.where);
  if (s.front.empty()) {
    throw SiteError(inc.where + ":1: front matter: missing (+++ title, date, status +++)");
  }
  inc.meta = parse_incident_meta(s.front, inc.where, 2);
  if (!inc.meta.affected.empty()) {
    const fs::path csv = file.parent_path() / inc.meta.affected;
    if (!fs::is_regular_file(csv)) {
      throw SiteError(inc.where + ": affected = \"" + inc.meta.affected +
                      "\": no such file beside the report");
    }
    inc.affected_csv = reader.text(csv);
  }
  inc.body = std::move(s.body);
  inc.body_line = s.body_line;
  return inc;
}

int kind_rank(DocumentKind k) {
  return static_cast<int>(k);
}

}  // namespace

SiteSource load_site_source(const fs::path& dir) {
  if (!fs::is_directory(dir)) {
    throw SiteError(dir.string() + ": site source folder not found");
  }
  SiteSource site;
  const SourceTree tree(dir);
  SourceReader reader(tree);
  for (const auto& e : entries(tree, dir)) {
    const fs::path& p = e.path();
    const std::string name = p.filename().string();
    const std::string where = p.string();
    if (e.is_regular_file() && p.extension() == ".md") {
      if (name == "index.md") {
        site.intro_markdown = split_front_matter(reader.text(p), where).body;
        continue;
      }
      Document d;
      d.slug = slug_of(p);
      d.versions.push_back(load_version(reader, p, where));
      site.documents.push_back(std::move(d));
    } else if (e.is_directory() && name == "audits") {
      for (const fs::path& f : files_in(tree, p, ".toml")) {
        site.audits.push_back(load_audit(reader, f));
      }
    } else if (e.is_directory() && name == "incidents") {
      for (const fs::path& f : files_in(tree, p, ".md")) {
        site.incidents.push_back(load_incident(reader, f));
      }
    } else if (e.is_directory()) {
      Document d;
      d.slug = name;
      check_slug(d.slug, where);
      for (const fs::path& f : files_in(tree, p, ".md")) {
        d.versions.push_back(load_version(reader, f, f.string()));
      }
      if (d.versions.empty()) {
        continue;
      }
      std::sort(d.versions.begin(), d.versions.end(), [](const auto& a, const auto& b) {
        return compare_versions(a.meta.version, b.meta.version) < 0;
      });
      for (size_t i = 1; i < d.versions.size(); ++i) {
        if (compare_versions(d.versions[i - 1].meta.version, d.versions[i].meta.version) == 0) {
          throw SiteError(d.versions[i].where + ": version " + d.versions[i].meta.version +
                          " also in " + d.versions[i - 1].where);
        }
        if (d.versions[i].meta.kind != d.versions[0].meta.kind) {
          throw SiteError(d.versions[i].where + ": kind differs from " + d.versions[0].where);
        }
      }
      site.documents.push_back(std::move(d));
    }
  }
  std::stable_sort(site.documents.begin(), site.documents.end(),
                   [](const Document& a, const Document& b) {
                     int ka = kind_rank(a.current().meta.kind);
                     int kb = kind_rank(b.current().meta.kind);
                     return ka != kb ? ka < kb : a.slug < b.slug;
                   });
  std::stable_sort(
      site.incidents.begin(), site.incidents.end(), [](const Incident& a, const Incident& b) {
        return a.meta.date != b.meta.date ? a.meta.date > b.meta.date : a.slug < b.slug;
      });
  std::stable_sort(site.audits.begin(), site.audits.end(), [](const Audit& a, const Audit& b) {
    return a.meta.period_end != b.meta.period_end ? a.meta.period_end > b.meta.period_end
                                                  : a.id < b.id;
  });
  site.input_digest = reader.digest();
  return site;
}

}  // namespace pkirepo::publisher
