// Byte helpers shared by every program: files, hex, digests.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pkirepo {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;
using Sha1Digest = std::array<uint8_t, 20>;
using Sha256Digest = std::array<uint8_t, 32>;

// Whole file; throws std::runtime_error("PATH: reason") when it cannot be read.
[[nodiscard]] Bytes read_file(const std::filesystem::path& path);
[[nodiscard]] std::string read_text_file(const std::filesystem::path& path);
// Writes via a temporary file and rename, so a reader never sees half a file. Throws.
// The temporary is create_temporary_beside()'s; whatever is at `path` (a symlink too) is
// replaced, never followed. `durable` fsyncs the file before the rename and its folder after;
// skip it only for files that can be re-made from the store.
void write_file_atomic(const std::filesystem::path& path, ByteView data, unsigned mode = 0644,
                       bool durable = true);
// A new file in `target`'s folder (same file system, so rename() is atomic) named
// ".<target name>.tmp-<24 random hex digits>", opened O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|
// O_CLOEXEC with `mode` (less the umask): a name nobody can predict, and nothing planted there
// is opened, truncated or followed. Returns the descriptor (the caller closes it) and the name
// in `tmp_out`. Throws std::runtime_error naming `target`.
[[nodiscard]] int create_temporary_beside(const std::filesystem::path& target, unsigned mode,
                                          std::filesystem::path& tmp_out);
// fsync() of the folder holding `path`, so that a rename or a new name in it is durable.
void fsync_directory_of(const std::filesystem::path& path);

// Lowercase hex by default; `separator` (e.g. ':') goes between bytes when non-zero.
[[nodiscard]] std::string to_hex(ByteView data, bool uppercase = false, char separator = 0);
// Lowercase hex of `data` into out[0 .. 2 * data.size()), for callers that reuse a buffer.
void to_hex_into(ByteView data, char* out);
// Accepts upper/lower case, optional ':' separators and an optional "0x". nullopt-like empty
// result with ok=false on any other character or an odd digit count.
[[nodiscard]] bool from_hex(std::string_view text, Bytes& out);

[[nodiscard]] Sha1Digest sha1(ByteView data);
[[nodiscard]] Sha256Digest sha256(ByteView data);

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace pkirepo
