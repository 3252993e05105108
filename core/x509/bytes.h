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
// `durable` fsyncs before the rename; skip it only for files that can be re-made from the store.
void write_file_atomic(const std::filesystem::path& path, ByteView data, unsigned mode = 0644,
                       bool durable = true);

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
