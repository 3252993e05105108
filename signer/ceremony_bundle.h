// The ceremony bundle: what an offline CA's ceremony signed, carried to the online host in one
// file (`ceremony --out FILE`, `import FILE`). JSON, UTF-8, every signed object as base64 DER
// (RFC 4648 §4, with padding):
//
//   {
//     "format": "pkirepo-ceremony-bundle/1",
//     "ca": "root-2026",                       // the offline CA that signed everything here
//     "signed_at": "2026-12-03T10:00:00Z",     // the ceremony machine's clock
//     "operator": "alice",
//     "ca_certificates": [                     // new subordinate CA certificates
//       {"ca": "int-2027", "serial": "…", "sha256": "…", "der": "MII…"}],
//     "crl": {"crl_number": 7, "this_update": "…", "next_update": "…", "sha256": "…",
//             "der": "MII…"},                 // the CA's next (full) CRL
//     "ocsp": [                                // one OCSPResponse per CA certificate it issued
//       {"serial": "…", "cert_id_hash": "sha1", "status": "good", "der": "MII…"}]
//   }
//
// Only "format", "ca", "ca_certificates[].ca" and the "der" values are read back: everything
// `import` decides is taken from the signed DER itself, never from the descriptive fields
// (which are there for the ceremony minutes and for people reading the file).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "x509/bytes.h"
#include "x509/time.h"

namespace pkirepo::signer {

inline constexpr std::string_view kBundleFormat = "pkirepo-ceremony-bundle/1";
// A bundle larger than this is not one: CA CRLs and a few dozen responses are kilobytes.
inline constexpr size_t kMaxBundleBytes = 16 * 1024 * 1024;

struct BundleCaCertificate {
  std::string ca_id;  // the [[ca]] of the config this certificate is for
  Bytes der;
};

struct CeremonyBundle {
  std::string ca_id;
  UnixTime signed_at = 0;
  std::string operator_name;
  std::vector<BundleCaCertificate> ca_certificates;
  Bytes crl_der;
  std::vector<Bytes> ocsp_responses;  // complete OCSPResponse DER each
};

// The JSON text (with the descriptive fields worked out from the DER). Throws
// std::runtime_error when an object does not parse (a bug: the ceremony just made it).
[[nodiscard]] std::string encode_bundle(const CeremonyBundle& bundle);

// Reads a bundle. Throws std::runtime_error with a one-line reason naming the part at fault
// ("crl.der: not base64", "ocsp[3]: missing \"der\"") on anything malformed.
[[nodiscard]] CeremonyBundle decode_bundle(std::string_view text);

// RFC 4648 §4 base64 with padding. decode: nullopt-like false on any other character, a
// length not a multiple of 4, or misplaced padding.
[[nodiscard]] std::string base64_encode(ByteView data);
[[nodiscard]] bool base64_decode(std::string_view text, Bytes& out);

}  // namespace pkirepo::signer
