// Facts about one certificate that several programs need: serial, CertID hashes, fingerprints,
// names and key description. All functions take a borrowed X509* and copy what they return.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "x509/bytes.h"
#include "x509/openssl_ptr.h"
#include "x509/time.h"

namespace pkirepo {

// The serial's magnitude, big-endian, no leading zero bytes (store keys use this form).
[[nodiscard]] Bytes serial_bytes(const X509* cert);
[[nodiscard]] Bytes serial_bytes(const ASN1_INTEGER* serial);
// Lowercase hex of serial_bytes(), the form every CLI prints and accepts.
[[nodiscard]] std::string serial_hex(const X509* cert);
// Parses a CLI serial ("0a1b..", "0A:1B:..", "0x..") into canonical magnitude bytes.
[[nodiscard]] bool parse_serial_hex(std::string_view text, Bytes& out);
// Serials in numeric order, as serial_bytes() or as serial_hex() (no leading zeros either way):
// by length, then digit by digit.
template <class Serial>
[[nodiscard]] bool serial_less(const Serial& a, const Serial& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

// OCSP CertID hash algorithms (one byte in store keys).
enum class CertIdHash : uint8_t { sha1 = 1, sha256 = 2 };
[[nodiscard]] const EVP_MD* cert_id_md(CertIdHash h);
[[nodiscard]] const char* cert_id_hash_name(CertIdHash h);
[[nodiscard]] std::optional<CertIdHash> cert_id_hash_from_name(std::string_view name);
[[nodiscard]] std::optional<CertIdHash> cert_id_hash_from_nid(int nid);

// RFC 6960 4.1.1: hash of the issuer's DER-encoded subject name / of the value (excluding tag
// and length) of its subjectPublicKey BIT STRING.
[[nodiscard]] Bytes issuer_name_hash(const X509* issuer, CertIdHash h);
[[nodiscard]] Bytes issuer_key_hash(const X509* issuer, CertIdHash h);
// SHA-1 of the subjectPublicKey bits: the "issuer key hash" that keys certs in the store.
[[nodiscard]] Sha1Digest key_id_sha1(const X509* cert);

[[nodiscard]] Sha256Digest fingerprint_sha256(const X509* cert);
[[nodiscard]] Sha1Digest fingerprint_sha1(const X509* cert);
[[nodiscard]] Sha256Digest spki_sha256(const X509* cert);
// The same for a bare public key (a CSR's): the SHA-256 of its SubjectPublicKeyInfo DER.
[[nodiscard]] Sha256Digest spki_sha256(const EVP_PKEY* key);

// RFC 2253-style, most-specific first ("CN=Example Root,O=Example,C=US").
[[nodiscard]] std::string name_to_string(const X509_NAME* name);
[[nodiscard]] std::string subject_string(const X509* cert);
[[nodiscard]] std::string issuer_string(const X509* cert);
// Parses "CN=Example Root CA,O=Example,C=US" (commas escaped with '\'). Throws
// std::invalid_argument naming the offending attribute.
[[nodiscard]] X509NamePtr parse_name(std::string_view text);

[[nodiscard]] UnixTime not_before(const X509* cert);
[[nodiscard]] UnixTime not_after(const X509* cert);

// Where a relying party looks for the certificate's status: an OCSP URL in its
// authorityInfoAccess, and a cRLDistributionPoints extension.
[[nodiscard]] bool has_ocsp_url(const X509* cert);
[[nodiscard]] bool has_crl_distribution_point(const X509* cert);

// Key description for policy checks and display.
enum class KeyType { rsa, ec, ed25519, ml_dsa, other };
struct KeyDescription {
  KeyType type = KeyType::other;
  int bits = 0;       // modulus size for RSA, field size for EC
  std::string curve;  // "P-256", "P-384", "P-521" for EC; "" otherwise
  std::string text;   // "RSA 2048", "EC P-384", "Ed25519"
};
[[nodiscard]] KeyDescription describe_key(const EVP_PKEY* key);

}  // namespace pkirepo
