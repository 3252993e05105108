// libFuzzer target over the responder's GET path decoder (responder/ocsp_request.cpp,
// decode_get_path): the text after "/ocsp/" → percent-decoding → base64 (standard or url-safe,
// padded or not) → the request's DER. Two checks, picked by the first byte:
//
// 'D' (differential): the rest is a path. decode_get_path must agree with a second decoder
//   written here from RFC 3986 2.1 and RFC 4648 4/5 the plain way (percent-decode the whole
//   path first, then map the alphabet, then decode in quanta): both accept with the same bytes,
//   or both refuse. Where they may differ on purpose is written at the check.
// anything else (round trip): the rest is DER-like bytes. Encoded the ways clients do (plain,
//   url-safe, unpadded, percent-encoded, '+' turned into ' ' by a form encoder, line breaks),
//   decode_get_path must give the same bytes back.
//
// Seeds: fuzz/corpus/get_path/ (paths from the OCSP request corpus, round-trip inputs).
// Build: -DPKIREPO_FUZZ=ON with clang.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "responder/ocsp_request.h"
#include "x509/bytes.h"

namespace {

using namespace pkirepo;
using pkirepo::responder::decode_get_path;
using pkirepo::responder::GetPathDecode;

constexpr size_t kMaxDer = 4096;

[[noreturn]] void broken(const char* what, std::string_view path) {
  std::fprintf(stderr, "get_path_fuzzer: %s: %.*s\n", what, static_cast<int>(path.size()),
               path.data());
  std::fflush(stderr);
  __builtin_trap();
}

int hex(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// The reference: false for anything malformed. Same documented tolerances as the responder
// (ocsp_request.h): ' ' for '+', '-'/'_', optional '=' padding, CR/LF skipped, non-zero bits in
// the last character tolerated.
bool reference_decode(std::string_view path, Bytes& out) {
  out.clear();
  std::string decoded;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') {
      decoded += path[i];
      continue;
    }
    if (i + 2 >= path.size() || hex(path[i + 1]) < 0 || hex(path[i + 2]) < 0) {
      return false;
    }
    decoded += static_cast<char>(hex(path[i + 1]) << 4 | hex(path[i + 2]));
    i += 2;
  }
  std::string symbols;  // 6-bit values
  size_t pads = 0;
  for (char c : decoded) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+' || c == ' ' || c == '-') {
      v = 62;
    } else if (c == '/' || c == '_') {
      v = 63;
    } else if (c == '\r' || c == '\n') {
      continue;
    } else if (c == '=') {
      ++pads;
      continue;
    } else {
      return false;
    }
    if (pads != 0) {
      return false;  // data after padding
    }
    symbols += static_cast<char>(v);
  }
  // A last quantum of 1 symbol cannot be; 2 or 3 symbols take exactly 2 or 1 pads when padded.
  const size_t rest = symbols.size() % 4;
  if (rest == 1 || (pads != 0 && (rest == 0 || pads != 4 - rest))) {
    return false;
  }
  for (size_t i = 0; i + 1 < symbols.size(); i += 4) {
    const size_t n = std::min<size_t>(4, symbols.size() - i);
    uint32_t acc = 0;
    for (size_t k = 0; k < 4; ++k) {
      acc = acc << 6 | (k < n ? static_cast<uint8_t>(symbols[i + k]) : 0u);
    }
    for (size_t k = 0; k + 1 < n; ++k) {
      out.push_back(static_cast<uint8_t>(acc >> (16 - 8 * k)));
    }
  }
  return !out.empty();
}

std::string base64(ByteView der, bool url, bool pad) {
  static constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  static constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const char* alphabet = url ? kUrl : kStd;
  std::string out;
  for (size_t i = 0; i < der.size(); i += 3) {
    const size_t n = std::min<size_t>(3, der.size() - i);
    uint32_t acc = 0;
    for (size_t k = 0; k < 3; ++k) {
      acc = acc << 8 | (k < n ? der[i + k] : 0u);
    }
    for (size_t k = 0; k <= n; ++k) {
      out += alphabet[(acc >> (18 - 6 * k)) & 63];
    }
    if (pad) {
      out.append(3 - n, '=');
    }
  }
  return out;
}

void differential(std::string_view path) {
  Bytes ours;
  Bytes theirs;
  const GetPathDecode result = decode_get_path(path, ours, kMaxDer);
  const bool reference_ok = reference_decode(path, theirs);
  if (result == GetPathDecode::too_large) {
    // Refused for size before or while decoding: the reference has no limit.
    if (reference_ok && theirs.size() <= kMaxDer && path.size() <= 4 * kMaxDer + 16) {
      broken("too_large for a request within the limit", path);
    }
    return;
  }
  if ((result == GetPathDecode::ok) != reference_ok) {
    broken(
        reference_ok ? "refused what the reference decodes" : "decoded what the reference refuses",
        path);
  }
  if (reference_ok && ours != theirs) {
    broken("decoded to other bytes than the reference", path);
  }
}

void round_trip(ByteView der, uint8_t how) {
  if (der.empty() || der.size() > kMaxDer) {
    return;
  }
  std::string path = base64(der, (how & 1) != 0, (how & 2) != 0);
  std::string variant;
  for (size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if ((how & 4) != 0 && (c == '+' || c == '/' || c == '=')) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      variant += '%';
      variant += kHex[static_cast<uint8_t>(c) >> 4];
      variant += kHex[static_cast<uint8_t>(c) & 15];
    } else if ((how & 8) != 0 && c == '+') {
      variant += ' ';
    } else {
      variant += c;
    }
    if ((how & 16) != 0 && i % 64 == 63) {
      variant += "\r\n";
    }
  }
  Bytes back;
  if (decode_get_path(variant, back, kMaxDer) != GetPathDecode::ok ||
      back != Bytes(der.begin(), der.end())) {
    broken("round trip lost the bytes", variant);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 || size > 4 * kMaxDer + 64) {
    return 0;
  }
  if (data[0] == 'D') {
    differential(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  } else {
    round_trip(ByteView(data + 2, size - 2), data[1]);
  }
  return 0;
}
