#include "responder/ocsp_request.h"

#include <openssl/ocsp.h>

#include <cstring>
#include <stdexcept>
#include <vector>

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

namespace {

// One shape: OpenSSL's encoding of a placeholder request, and where the three values sit in it.
struct CanonicalShape {
  CertIdHash hash = CertIdHash::sha1;
  Bytes der;
  size_t digest_len = 0;
  size_t name_hash_at = 0;
  size_t key_hash_at = 0;
  size_t serial_at = 0;  // INTEGER contents (sign byte included)
  size_t serial_len = 0;
};

// OpenSSL's encoding of a request with one CertID: `hash`, and the given issuerNameHash,
// issuerKeyHash and serial (big-endian magnitude). OCSP_cert_id_new writes the hash algorithm
// as OpenSSL's clients send it (OID, NULL); the hashes it computes from the empty name and key
// are then replaced.
Bytes placeholder_request(CertIdHash hash, const Bytes& name_hash_value,
                          const Bytes& key_hash_value, const Bytes& serial_value) {
  X509NamePtr name(X509_NAME_new());
  Asn1BitStringPtr key(ASN1_BIT_STRING_new());
  Asn1IntegerPtr serial(ASN1_INTEGER_new());
  OcspRequestPtr req(OCSP_REQUEST_new());
  if (!name || !key || !serial || !req ||
      ASN1_STRING_set(serial.get(), serial_value.data(), static_cast<int>(serial_value.size())) !=
          1) {
    throw std::runtime_error("OCSP request shapes: cannot build a placeholder OCSP request");
  }
  OcspCertIdPtr owned(OCSP_cert_id_new(cert_id_md(hash), name.get(), key.get(), serial.get()));
  OCSP_CERTID* id = owned.get();
  if (id == nullptr || OCSP_request_add0_id(req.get(), id) == nullptr) {
    throw std::runtime_error(
        "OCSP request shapes: cannot add the CertID to a placeholder OCSP request");
  }
  (void)owned.release();  // the request owns it now
  ASN1_OCTET_STRING* name_hash = nullptr;
  ASN1_OCTET_STRING* key_hash = nullptr;
  (void)OCSP_id_get0_info(&name_hash, nullptr, &key_hash, nullptr, id);
  if (name_hash == nullptr || key_hash == nullptr ||
      ASN1_OCTET_STRING_set(name_hash, name_hash_value.data(),
                            static_cast<int>(name_hash_value.size())) != 1 ||
      ASN1_OCTET_STRING_set(key_hash, key_hash_value.data(),
                            static_cast<int>(key_hash_value.size())) != 1) {
    throw std::runtime_error("OCSP request shapes: cannot set the hashes of a placeholder CertID");
  }
  return to_der(req.get());
}

// The shape for `hash` and serial contents of `serial_len` bytes: one encoding, and one more per
// value with that value changed in every byte (field_offset(), x509/der.h). A shape that is not
// what this file assumes is a start-up failure (prepare_ocsp_request_shapes), never a wrong
// answer.
CanonicalShape make_shape(CertIdHash hash, size_t serial_len) {
  CanonicalShape shape;
  shape.hash = hash;
  shape.digest_len = hash == CertIdHash::sha1 ? 20 : 32;
  shape.serial_len = serial_len;
  const Bytes hash_a(shape.digest_len, 0x11);
  const Bytes hash_b(shape.digest_len, 0x22);
  const Bytes serial_a(serial_len, 0x11);  // high bit clear: the contents are the magnitude
  const Bytes serial_b(serial_len, 0x22);
  shape.der = placeholder_request(hash, hash_a, hash_a, serial_a);
  const auto name_at = field_offset(shape.der, placeholder_request(hash, hash_b, hash_a, serial_a),
                                    shape.digest_len);
  const auto key_at = field_offset(shape.der, placeholder_request(hash, hash_a, hash_b, serial_a),
                                   shape.digest_len);
  const auto serial_at =
      field_offset(shape.der, placeholder_request(hash, hash_a, hash_a, serial_b), serial_len);
  if (!name_at || !key_at || !serial_at || !(*name_at < *key_at && *key_at < *serial_at)) {
    throw std::runtime_error(
        "OCSP request shapes: OpenSSL encodes an OCSP request differently than the fast path "
        "assumes");
  }
  shape.name_hash_at = *name_at;
  shape.key_hash_at = *key_at;
  shape.serial_at = *serial_at;
  return shape;
}

// Every shape, built once (thread-safe: a function-local static; the responder builds them at
// start-up through prepare_ocsp_request_shapes) and never changed.
const std::vector<CanonicalShape>& canonical_shapes() {
  static const std::vector<CanonicalShape> shapes = [] {
    std::vector<CanonicalShape> v;
    for (CertIdHash hash : {CertIdHash::sha1, CertIdHash::sha256}) {
      // Contents of up to kMaxSerialBytes + 1 bytes: a 20-byte magnitude with its high bit set
      // carries a leading 00.
      for (size_t len = 1; len <= kMaxSerialBytes + 1; ++len) {
        v.push_back(make_shape(hash, len));
      }
    }
    return v;
  }();
  return shapes;
}

bool same_outside_values(ByteView der, const CanonicalShape& s) {
  const uint8_t* a = der.data();
  const uint8_t* b = s.der.data();
  const size_t name_end = s.name_hash_at + s.digest_len;
  const size_t key_end = s.key_hash_at + s.digest_len;
  const size_t serial_end = s.serial_at + s.serial_len;
  return std::memcmp(a, b, s.name_hash_at) == 0 &&
         std::memcmp(a + name_end, b + name_end, s.key_hash_at - name_end) == 0 &&
         std::memcmp(a + key_end, b + key_end, s.serial_at - key_end) == 0 &&
         std::memcmp(a + serial_end, b + serial_end, s.der.size() - serial_end) == 0;
}

}  // namespace

void prepare_ocsp_request_shapes() {
  (void)canonical_shapes();
}

bool decode_canonical_ocsp_request(ByteView der, DecodedRequest& out) {
  for (const CanonicalShape& s : canonical_shapes()) {
    if (s.der.size() != der.size() || !same_outside_values(der, s)) {
      continue;
    }
    // X.690 8.3.2: INTEGER contents are minimal; the magnitude must be positive (BR 7.1).
    // Anything else (zero, negative, padded) is left to the general path's answer.
    const uint8_t* serial = der.data() + s.serial_at;
    size_t serial_len = s.serial_len;
    if (serial[0] == 0) {
      if (serial_len < 2 || serial[1] < 0x80) {
        return false;
      }
      ++serial;
      --serial_len;
    } else if (serial[0] >= 0x80) {
      return false;
    }
    if (serial_len > kMaxSerialBytes) {
      return false;
    }
    OcspKey& k = out.key;
    k.hash = s.hash;
    k.bytes[0] = static_cast<uint8_t>(s.hash);
    std::memcpy(&k.bytes[1], der.data() + s.name_hash_at, s.digest_len);
    std::memcpy(&k.bytes[1 + s.digest_len], der.data() + s.key_hash_at, s.digest_len);
    std::memcpy(&k.bytes[1 + 2 * s.digest_len], serial, serial_len);
    k.size = 1 + 2 * s.digest_len + serial_len;
    out.request.reset();
    out.has_nonce = false;
    out.nonce_malformed = false;
    return true;
  }
  return false;
}

RequestDecode decode_ocsp_request(ByteView der, DecodedRequest& out) {
  if (decode_canonical_ocsp_request(der, out)) {
    return RequestDecode::ok;
  }
  return decode_ocsp_request_general(der, out);
}

namespace {

// The extension value wraps the nonce OCTET STRING (RFC 6960 4.4.1, RFC 9654 2.1): it must
// decode as exactly one OCTET STRING of 1 to kMaxNonceBytes octets.
bool nonce_length_ok(const ASN1_OCTET_STRING* value) {
  if (value == nullptr) {
    return false;
  }
  const unsigned char* p = ASN1_STRING_get0_data(value);
  const long n = ASN1_STRING_length(value);
  Asn1OctetStringPtr nonce(d2i_ASN1_OCTET_STRING(nullptr, &p, n));
  if (!nonce || p != ASN1_STRING_get0_data(value) + n) {
    return false;
  }
  const int len = ASN1_STRING_length(nonce.get());
  return len >= 1 && len <= int{kMaxNonceBytes};
}

}  // namespace

RequestDecode decode_ocsp_request_general(ByteView der, DecodedRequest& out) {
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
    out.nonce_malformed =
        !nonce_length_ok(X509_EXTENSION_get_data(OCSP_REQUEST_get_ext(req, nonce_pos)));
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
