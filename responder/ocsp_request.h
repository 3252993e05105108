// Decoding an OCSP request (RFC 6960 4.1, RFC 9919 2) into the store key of its one CertID.
//
// Both transports end here: GET carries the DER base64-encoded and URL-encoded in the path
// (RFC 6960 Appendix A.1), POST carries it as the body. Every function takes a bounded view of
// untrusted bytes, never reads past it, and reports failure through its return value; nothing
// here throws or touches the store. This is the fuzzer's entry point (fuzz/).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "x509/bytes.h"
#include "x509/cert_info.h"
#include "x509/openssl_ptr.h"

namespace pkirepo::responder {

// Serial numbers are < 2^159 (BR 7.1), i.e. ≤ 20 bytes; RFC 5280 4.1.2.2 allows clients 20
// octets too. Anything longer cannot be in the store.
inline constexpr size_t kMaxSerialBytes = 20;
inline constexpr size_t kMaxNonceBytes = 128;  // RFC 9654 2.1

// The `ocsp` database key of one CertID (store/schema.h): hash byte ‖ issuerNameHash ‖
// issuerKeyHash ‖ serial magnitude. Held inline: building it allocates nothing.
struct OcspKey {
  std::array<uint8_t, 1 + 32 + 32 + kMaxSerialBytes> bytes{};
  size_t size = 0;
  CertIdHash hash = CertIdHash::sha1;
  [[nodiscard]] ByteView view() const { return {bytes.data(), size}; }
};

enum class RequestDecode {
  ok,
  malformed,     // not one well-formed OCSPRequest with exactly one CertID → malformedRequest
  unknown_hash,  // CertID hash is neither SHA-1 nor SHA-256 → unauthorized (we hold nothing)
  serial_out_of_range  // zero, negative or > kMaxSerialBytes → unauthorized (never issued)
};

struct DecodedRequest {
  OcspRequestPtr request;  // the parsed request (kept for nonce echoing)
  OcspKey key;
  bool has_nonce = false;
  // RFC 9654 2.1: the nonce is an OCTET STRING of 1 to kMaxNonceBytes octets (32 SHOULD);
  // true when it is empty, longer, or not an OCTET STRING at all.
  bool nonce_malformed = false;
};

// RFC 6960 A.1 / RFC 9919 6: the part of a GET path after the responder's prefix, e.g.
// "MFMwUTBPME0wSzAJBgUrDgMCGgUABBT..." — percent-encoded or not, with '+' or "%2B", ' ' for a
// '+' that a form encoder mangled, '/' as a literal or "%2F", '-'/'_' (base64url), and with or
// without '=' padding. Writes the DER into `der_out` (replaced).
enum class GetPathDecode { ok, malformed, too_large };
[[nodiscard]] GetPathDecode decode_get_path(std::string_view encoded, Bytes& der_out,
                                            size_t max_der);

// Parses `der` strictly (no trailing bytes) and builds the key of its single CertID. `out` is
// filled only as far as the result allows (key valid only for ok).
//
// Two paths, one answer. Most requests (browsers, RFC 9919 clients, CDNs replaying GETs) are the
// plainest OCSPRequest there is: one CertID with SHA-1 or SHA-256 and NULL parameters, no
// version, requestor, extensions or signature. For those, OpenSSL's DER encoder is run once per
// shape at first use (a placeholder request for each hash and serial length) and a request is
// accepted when it equals that encoding byte for byte outside the three values' contents; the
// values are then read from their fixed offsets. Nothing is interpreted by our code: a request
// either is an encoding OpenSSL itself produced, or it goes through d2i_OCSP_REQUEST
// (decode_ocsp_request_general), which answers everything else, nonces included. The template
// engine costs ~1 µs a request; the comparison ~50 ns. Tests and the fuzzer check that both
// paths agree on every input the first accepts.
[[nodiscard]] RequestDecode decode_ocsp_request(ByteView der, DecodedRequest& out);

// The general path alone: d2i_OCSP_REQUEST and OpenSSL's accessors. Same contract as above.
[[nodiscard]] RequestDecode decode_ocsp_request_general(ByteView der, DecodedRequest& out);

// The canonical-shape path alone: true and `out.key` filled when `der` is one of the encodings
// described above with a positive, minimally encoded serial of at most kMaxSerialBytes; false
// (and `out` untouched) otherwise.
[[nodiscard]] bool decode_canonical_ocsp_request(ByteView der, DecodedRequest& out);

// Builds the canonical shapes from OpenSSL's own encoding now, instead of on the first request.
// Throws std::runtime_error when that encoding is not what the fast path assumes: the responder
// calls it at start-up, so such a library is a refused start, never a crash mid-traffic.
void prepare_ocsp_request_shapes();

}  // namespace pkirepo::responder
