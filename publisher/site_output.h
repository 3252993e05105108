// The built site as a set of files in memory, and the one operation that puts it on disk.
//
// commit_site() never lets a web server see half a site: it writes a complete tree into a
// temporary folder beside the output and swaps the two atomically (renameat2
// RENAME_EXCHANGE; where the file system lacks it, two renames). Files whose content did not
// change are hard-linked from the old tree, so their inode and mtime stay (rsync and CDNs see
// nothing new). When nothing changed at all — same paths, same contents by XXH3-128 — it
// writes nothing, not even the temporary folder.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace pkirepo::publisher {

class SiteFiles {
 public:
  // `path` is site-relative with '/' separators, no "..", no leading '/'. Throws SiteError on
  // a bad path or when the path was already added (two pages must never fight over a file).
  void add(const std::string& path, std::string content);
  [[nodiscard]] bool contains(const std::string& path) const { return files_.count(path) != 0; }
  [[nodiscard]] const std::map<std::string, std::string>& files() const { return files_; }

 private:
  std::map<std::string, std::string> files_;
};

struct CommitStats {
  bool changed = false;  // false: nothing on disk was touched
  size_t written = 0;    // new or changed files
  size_t unchanged = 0;  // carried over (hard link) or, when !changed, left alone
  size_t removed = 0;    // files of the old tree that are gone
};

// Throws SiteError (or std::filesystem::filesystem_error) when the output cannot be written;
// the old tree is then left as it was.
CommitStats commit_site(const SiteFiles& site, const std::filesystem::path& output);

}  // namespace pkirepo::publisher
