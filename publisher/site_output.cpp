#include "publisher/site_output.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "publisher/front_matter.h"
#include "x509/bytes.h"

namespace pkirepo::publisher {
namespace fs = std::filesystem;
namespace {

std::string hash_hex(std::string_view data) {
  XXH128_hash_t h = XXH3_128bits(data.data(), data.size());
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, h);
  return to_hex(ByteView(c.digest, sizeof c.digest));
}

std::filesystem::path state_path(const std::filesystem::path& output) {
  std::filesystem::path parent =
      output.parent_path().empty() ? std::filesystem::path(".") : output.parent_path();
  return parent / ("." + output.filename().string() + ".pkirepo-build");
}

bool same_hash(const std::string& a, const std::string& b) {
  XXH128_hash_t ha = XXH3_128bits(a.data(), a.size());
  XXH128_hash_t hb = XXH3_128bits(b.data(), b.size());
  return XXH128_isEqual(ha, hb) != 0;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    throw SiteError(p.string() + ": cannot read");
  }
  return s;
}

void write_new(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) {
    throw SiteError(p.string() + ": cannot write: " + std::strerror(errno));
  }
}

// A new, empty folder `parent`/`prefix`XXXXXX (mkdtemp: a random name, mode 0700, created
// exclusively), so nothing planted at a predictable name is reused or followed.
fs::path make_temporary_folder(const fs::path& parent, const std::string& prefix) {
  std::string templ = (parent / (prefix + "XXXXXX")).string();
  if (::mkdtemp(templ.data()) == nullptr) {
    throw SiteError(parent.string() +
                    ": cannot create a temporary folder: " + std::strerror(errno));
  }
  return templ;
}

// Atomic exchange of two paths (Linux 3.15+). False when the file system does not support it.
bool exchange(const fs::path& a, const fs::path& b) {
#ifdef SYS_renameat2
  constexpr unsigned kRenameExchange = 2;  // RENAME_EXCHANGE
  return ::syscall(SYS_renameat2, AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), kRenameExchange) == 0;
#else
  (void)a;
  (void)b;
  return false;
#endif
}

}  // namespace

void SiteFiles::add(const std::string& path, std::string content) {
  bool ok = !path.empty() && path.front() != '/' && path.back() != '/' &&
            path.find("..") == std::string::npos && path.find("//") == std::string::npos &&
            path.find('\\') == std::string::npos;
  if (!ok) {
    throw SiteError("output path \"" + path + "\" is not a plain relative path");
  }
  if (!files_.emplace(path, std::move(content)).second) {
    throw SiteError("output path \"" + path + "\" is produced twice");
  }
}

CommitStats commit_site(const SiteFiles& site, const fs::path& output) {
  CommitStats stats;
  // What is there now.
  std::map<std::string, fs::path> old_files;
  if (fs::exists(output)) {
    if (!fs::is_directory(output)) {
      throw SiteError(output.string() + ": exists and is not a folder");
    }
    for (auto it = fs::recursive_directory_iterator(output); it != fs::end(it); ++it) {
      if (it->is_regular_file()) {
        old_files.emplace(fs::relative(it->path(), output).generic_string(), it->path());
      }
    }
  }
  std::map<std::string, bool> unchanged;  // path -> carried over
  for (const auto& [path, content] : site.files()) {
    auto it = old_files.find(path);
    bool same = it != old_files.end() && fs::file_size(it->second) == content.size() &&
                same_hash(read_all(it->second), content);
    unchanged[path] = same;
    stats.unchanged += same ? 1 : 0;
    stats.written += same ? 0 : 1;
  }
  for (const auto& [path, p] : old_files) {
    stats.removed += site.contains(path) ? 0 : 1;
  }
  if (stats.written == 0 && stats.removed == 0 && fs::exists(output)) {
    return stats;  // no-op: nothing touched
  }
  stats.changed = true;

  fs::path parent = output.parent_path().empty() ? fs::path(".") : output.parent_path();
  fs::create_directories(parent);
  fs::path tmp = make_temporary_folder(parent, "." + output.filename().string() + ".tmp-");
  try {
    for (const auto& [path, content] : site.files()) {
      fs::path dest = tmp / path;
      if (unchanged[path]) {
        fs::create_directories(dest.parent_path());
        std::error_code ec;
        fs::create_hard_link(old_files[path], dest, ec);
        if (!ec) {
          continue;
        }
        // No hard links here: copy and keep the old mtime.
        fs::copy_file(old_files[path], dest);
        fs::last_write_time(dest, fs::last_write_time(old_files[path]));
        continue;
      }
      write_new(dest, content);
    }
    fs::permissions(tmp, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
    if (!fs::exists(output)) {
      fs::rename(tmp, output);
      return stats;
    }
    if (exchange(tmp, output)) {
      fs::remove_all(tmp);  // now the old tree
      return stats;
    }
    // Fallback without RENAME_EXCHANGE: a short window where the output is missing. The old
    // tree goes to a fresh empty folder (rename() may replace an empty folder).
    fs::path old = make_temporary_folder(parent, "." + output.filename().string() + ".old-");
    fs::rename(output, old);
    fs::rename(tmp, output);
    fs::remove_all(old);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
  return stats;
}

struct InputHasher::State {
  XXH3_state_t* xxh = XXH3_createState();
  ~State() { XXH3_freeState(xxh); }
};

InputHasher::InputHasher() : state_(std::make_unique<State>()) {
  XXH3_128bits_reset(state_->xxh);
}
InputHasher::~InputHasher() = default;

void InputHasher::add(std::string_view bytes) {
  add(static_cast<long long>(bytes.size()));
  XXH3_128bits_update(state_->xxh, bytes.data(), bytes.size());
}

void InputHasher::add(long long number) {
  XXH3_128bits_update(state_->xxh, &number, sizeof number);
}

std::string InputHasher::hex() const {
  XXH128_hash_t h = XXH3_128bits_digest(state_->xxh);
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, h);
  return to_hex(ByteView(c.digest, sizeof c.digest));
}

bool output_is_current(const fs::path& output, const std::string& fingerprint, size_t& files) {
  std::error_code ec;
  if (!fs::is_directory(output, ec) || !fs::is_regular_file(state_path(output), ec)) {
    return false;
  }
  std::ifstream in(state_path(output));
  std::string line;
  if (!std::getline(in, line) || line != "fingerprint " + fingerprint) {
    return false;
  }
  std::map<std::string, std::pair<uint64_t, std::string>> listed;  // path -> size, hash
  while (std::getline(in, line)) {
    // "<hash> <size> <path>"
    size_t a = line.find(' ');
    size_t b = a == std::string::npos ? a : line.find(' ', a + 1);
    if (b == std::string::npos) {
      return false;
    }
    listed[line.substr(b + 1)] = {std::stoull(line.substr(a + 1, b - a - 1)), line.substr(0, a)};
  }
  size_t seen = 0;
  for (auto it = fs::recursive_directory_iterator(output, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file()) {
      continue;
    }
    auto l = listed.find(fs::relative(it->path(), output).generic_string());
    if (l == listed.end() || it->file_size() != l->second.first ||
        hash_hex(read_all(it->path())) != l->second.second) {
      return false;
    }
    ++seen;
  }
  files = seen;
  return !ec && seen == listed.size();
}

void record_build_state(const fs::path& output, const std::string& fingerprint,
                        const SiteFiles& site) {
  std::string text = "fingerprint " + fingerprint + "\n";
  for (const auto& [path, content] : site.files()) {
    text += hash_hex(content) + " " + std::to_string(content.size()) + " " + path + "\n";
  }
  try {
    write_file_atomic(state_path(output), as_bytes(text));
  } catch (const std::exception&) {
    // A cache: the next build renders in full and writes it again.
  }
}

}  // namespace pkirepo::publisher
