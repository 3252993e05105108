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
#include <memory>
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

// XXH3-128 over a sequence of byte strings, each length-prefixed so ("ab","c") != ("a","bc").
// Used for the build's input fingerprint.
class InputHasher {
 public:
  InputHasher();
  ~InputHasher();
  InputHasher(const InputHasher&) = delete;
  InputHasher& operator=(const InputHasher&) = delete;
  void add(std::string_view bytes);
  void add(long long number);
  [[nodiscard]] std::string hex() const;  // 32 lowercase hex digits

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The build state, kept beside the output and never inside it (so it is not published):
// "<parent>/.<output name>.pkirepo-build" holds the input fingerprint of the last build and the
// XXH3-128 of every file it wrote.
//
// output_is_current(): true when that fingerprint equals `fingerprint` and the output still
// holds exactly the listed files with the same contents (read and compared by XXH3-128) —
// then rendering can be skipped altogether. Any doubt (no state, unreadable, a file changed or
// added by hand) answers false and the build renders as usual. `files` gets the file count.
[[nodiscard]] bool output_is_current(const std::filesystem::path& output,
                                     const std::string& fingerprint, size_t& files);
// Best effort (a cache): a failure to write it only costs the next build its shortcut.
void record_build_state(const std::filesystem::path& output, const std::string& fingerprint,
                        const SiteFiles& site);

}  // namespace pkirepo::publisher
