// The BRs' dated TLS validity steps and public key encodings (declared in rules.h).
#include <string>
#include <vector>

#include "policy/rules.h"
#include "x509/bytes.h"

namespace pkirepo::policy {
namespace {

Finding error(std::string rule, std::string message) {
  return {Severity::error, std::move(rule), std::move(message)};
}

}  // namespace

const std::vector<TlsValidityStep>& tls_validity_table() {
  // BR 6.3.2 as amended by ballot SC-081; short-lived limits from BR 1.6.1 (ballot SC-063).
  static const std::vector<TlsValidityStep> table = {
      {0, "before 2026-03-15", 398, 398, 10},
      {1773532800, "2026-03-15", 200, 200, 7},  // 2026-03-15T00:00:00Z
      {1805068800, "2027-03-15", 100, 100, 7},  // 2027-03-15T00:00:00Z
      {1868227200, "2029-03-15", 47, 10, 7},    // 2029-03-15T00:00:00Z
  };
  return table;
}

const TlsValidityStep& tls_validity_at(UnixTime not_before) {
  const auto& table = tls_validity_table();
  const TlsValidityStep* step = &table.front();
  for (const TlsValidityStep& s : table) {
    if (not_before >= s.from) {
      step = &s;
    }
  }
  return *step;
}

const TlsValidityStep* next_tls_validity_step(UnixTime now) {
  for (const TlsValidityStep& s : tls_validity_table()) {
    if (s.from > now) {
      return &s;
    }
  }
  return nullptr;
}

std::optional<Finding> check_tls_validity(UnixTime not_before, UnixTime not_after) {
  const TlsValidityStep& step = tls_validity_at(not_before);
  const int64_t seconds = inclusive_validity(not_before, not_after);
  if (seconds > step.max_days * 86400) {
    return error(
        "BR 6.3.2",
        "validity of " + std::to_string(seconds / 86400) + " days " +
            std::to_string(seconds % 86400) + " s exceeds the maximum of " +
            std::to_string(step.max_days) + " days for TLS server certificates issued " +
            (step.from == 0 ? std::string(step.from_text) : "from " + std::string(step.from_text)) +
            " (ballot SC-081)");
  }
  return std::nullopt;
}

std::optional<Finding> check_key_encoding(const X509_ALGOR* algorithm,
                                          const ASN1_BIT_STRING* key_bits) {
  // BR 7.1.3.1.1 and 7.1.3.1.2: the only AlgorithmIdentifier encodings allowed.
  static const struct {
    const char* name;
    std::vector<uint8_t> der;
    size_t point_size;  // uncompressed EC point: 1 + 2 * field size; 0 for RSA
  } kAllowed[] = {
      {"rsaEncryption",
       {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00},
       0},
      {"P-256",
       {0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
        0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07},
       65},
      {"P-384",
       {0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b, 0x81,
        0x04, 0x00, 0x22},
       97},
      {"P-521",
       {0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b, 0x81,
        0x04, 0x00, 0x23},
       133},
  };
  unsigned char* der_out = nullptr;
  const int len = i2d_X509_ALGOR(algorithm, &der_out);
  const OpenSslBytesPtr der(der_out);
  if (len <= 0 || key_bits == nullptr) {
    (void)openssl_error();
    return error("BR 7.1.3.1", "the public key's algorithm identifier cannot be encoded");
  }
  const Bytes encoded(der.get(), der.get() + len);
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, algorithm);
  for (const auto& allowed : kAllowed) {
    if (encoded != allowed.der) {
      continue;
    }
    if (allowed.point_size == 0) {
      return std::nullopt;
    }
    const unsigned char* point = ASN1_STRING_get0_data(key_bits);
    const size_t size = static_cast<size_t>(ASN1_STRING_length(key_bits));
    if ((key_bits->flags & 0x07) != 0 || size != allowed.point_size || point[0] != 0x04) {
      return error("RFC 5480 2.2", std::string(allowed.name) +
                                       " public key is not an uncompressed point of " +
                                       std::to_string(allowed.point_size) + " octets");
    }
    return std::nullopt;
  }
  const int nid = OBJ_obj2nid(oid);
  std::string what;
  if (nid == NID_rsaEncryption) {
    what = "rsaEncryption with parameters other than NULL (DER " + to_hex(encoded) + ")";
  } else if (nid == NID_X9_62_id_ecPublicKey) {
    int type = V_ASN1_UNDEF;
    X509_ALGOR_get0(nullptr, &type, nullptr, algorithm);
    what = type == V_ASN1_OBJECT ? "id-ecPublicKey on a curve other than P-256, P-384 or P-521"
                                 : "id-ecPublicKey with explicit curve parameters";
  } else {
    char text[80];
    OBJ_obj2txt(text, sizeof text, oid, 0);
    what = std::string("algorithm ") + text;
  }
  return error("BR 7.1.3.1", "public key encoding " + what +
                                 " is not one the BRs allow (rsaEncryption with NULL parameters "
                                 "or a named P-256/P-384/P-521 curve)");
}

}  // namespace pkirepo::policy
