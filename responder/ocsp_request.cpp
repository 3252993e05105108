#include "responder/ocsp_request.h"

#include <openssl/ocsp.h>

#include <cstring>

#include "x509/der.h"

namespace pkirepo::responder {
namespace {

constexpr int8_t kBad = -1;
constexpr int8_t kPad = -2;
constexpr int8_t kSkip = -3;

// RFC 4648 §4 alphabet plus §5 (base64url), '=' padding, and line breaks some clients insert.
constexpr std::array<int8_t, 256> make_base64_table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) {
    v = kBad;
  }
  for (int i = 0; i < 26; ++i) {
    t[static_cast<size_t>('A' + i)] = static_cast<int8_t>(i);
    t[static_cast<size_t>('a' + i)] = static_cast<int8_t>(26 + i);
  }
  for (int i = 0; i < 10; ++i) {
    t[static_cast<size_t>('0' + i)] = static_cast<int8_t>(52 + i);
  }
  t['+'] = 62;
  t[' '] = 62;  // '+' decoded as a space by a form-style URL decoder on the client's side
  t['-'] = 62;
  t['/'] = 63;
  t['_'] = 63;
  t['='] = kPad;
  t['\r'] = kSkip;
  t['\n'] = kSkip;
  return t;
}
constexpr std::array<int8_t, 256> kBase64 = make_base64_table();

int hex_value(char c) {
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

}  // namespace

GetPathDecode decode_get_path(std::string_view encoded, Bytes& der_out, size_t max_der) {
  der_out.clear();
  // Bounds the work: each DER byte needs 4/3 base64 characters, each at most 3 as %XX.
  if (encoded.size() > 4 * max_der + 16) {
    return GetPathDecode::too_large;
  }
  der_out.reserve(encoded.size() * 3 / 4 + 3);
  uint32_t acc = 0;
  int bits = 0;
  int pads = 0;
  for (size_t i = 0; i < encoded.size(); ++i) {
    auto c = static_cast<unsigned char>(encoded[i]);
    if (c == '%') {  // RFC 3986 2.1 percent-encoding
      if (i + 2 >= encoded.size()) {
        return GetPathDecode::malformed;
      }
      int hi = hex_value(encoded[i + 1]);
      int lo = hex_value(encoded[i + 2]);
      if (hi < 0 || lo < 0) {
        return GetPathDecode::malformed;
      }
      c = static_cast<unsigned char>(hi << 4 | lo);
      i += 2;
    }
    int8_t v = kBase64[c];
    if (v == kSkip) {
      continue;
    }
    if (v == kBad) {
      return GetPathDecode::malformed;
    }
    if (v == kPad) {
      ++pads;
      continue;
    }
    if (pads != 0) {  // data after padding
      return GetPathDecode::malformed;
    }
    acc = acc << 6 | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      der_out.push_back(static_cast<uint8_t>(acc >> bits));
      if (der_out.size() > max_der) {
        return GetPathDecode::too_large;
      }
    }
    acc &= (1u << bits) - 1;
  }
  // Leftover bits: 0 (complete quantum), 2 or 4 (padding optional). 6 leftover bits means one
  // lone character, which no encoder produces. Non-zero leftover bits are tolerated.
  if (bits == 6 || (pads != 0 && pads * 2 != bits) || der_out.empty()) {
    return GetPathDecode::malformed;
  }
  return GetPathDecode::ok;
}

RequestDecode decode_ocsp_request(ByteView der, DecodedRequest& out) {
  out.request = parse_ocsp_request_der(der);
  if (!out.request) {
    return RequestDecode::malformed;
  }
  OCSP_REQUEST* req = out.request.get();
  // RFC 9919 2.1: one Request per OCSPRequest; we answer exactly one CertID.
  if (OCSP_request_onereq_count(req) != 1) {
    return RequestDecode::malformed;
  }
  OCSP_CERTID* cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0));
  ASN1_OCTET_STRING* name_hash = nullptr;
  ASN1_OBJECT* md = nullptr;
  ASN1_OCTET_STRING* key_hash = nullptr;
  ASN1_INTEGER* serial = nullptr;
  if (cid == nullptr || OCSP_id_get0_info(&name_hash, &md, &key_hash, &serial, cid) != 1) {
    return RequestDecode::malformed;
  }
  int nonce_pos = OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1);
  out.has_nonce = nonce_pos >= 0;
  if (out.has_nonce) {
    const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(OCSP_REQUEST_get_ext(req, nonce_pos));
    // The extension value wraps the nonce OCTET STRING (RFC 6960 4.4.1): tag, length, nonce.
    out.nonce_too_long = value == nullptr || ASN1_STRING_length(value) > int{kMaxNonceBytes} + 3;
  }

  auto hash = cert_id_hash_from_nid(OBJ_obj2nid(md));
  if (!hash) {
    return RequestDecode::unknown_hash;
  }
  const size_t digest_len = *hash == CertIdHash::sha1 ? 20 : 32;
  if (static_cast<size_t>(ASN1_STRING_length(name_hash)) != digest_len ||
      static_cast<size_t>(ASN1_STRING_length(key_hash)) != digest_len) {
    return RequestDecode::malformed;  // a hash value of the wrong length for its algorithm
  }
  // INTEGER contents, big-endian magnitude (OpenSSL keeps the sign in the type).
  if (ASN1_STRING_type(serial) != V_ASN1_INTEGER) {
    return RequestDecode::serial_out_of_range;
  }
  const uint8_t* s = ASN1_STRING_get0_data(serial);
  auto s_len = static_cast<size_t>(ASN1_STRING_length(serial));
  while (s_len > 0 && *s == 0) {
    ++s;
    --s_len;
  }
  if (s_len == 0 || s_len > kMaxSerialBytes) {
    return RequestDecode::serial_out_of_range;
  }
  OcspKey& k = out.key;
  k.hash = *hash;
  k.bytes[0] = static_cast<uint8_t>(*hash);
  std::memcpy(&k.bytes[1], ASN1_STRING_get0_data(name_hash), digest_len);
  std::memcpy(&k.bytes[1 + digest_len], ASN1_STRING_get0_data(key_hash), digest_len);
  std::memcpy(&k.bytes[1 + 2 * digest_len], s, s_len);
  k.size = 1 + 2 * digest_len + s_len;
  return RequestDecode::ok;
}

}  // namespace pkirepo::responder
