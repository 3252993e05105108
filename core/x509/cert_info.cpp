#include "x509/cert_info.h"

#include <openssl/core_names.h>
#include <openssl/obj_mac.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace pkirepo {

Bytes serial_bytes(const ASN1_INTEGER* serial) {
  BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn) {
    return {};
  }
  Bytes out(static_cast<size_t>(BN_num_bytes(bn.get())));
  BN_bn2bin(bn.get(), out.data());
  return out;
}

Bytes serial_bytes(const X509* cert) {
  return serial_bytes(X509_get0_serialNumber(cert));
}

std::string serial_hex(const X509* cert) {
  return to_hex(serial_bytes(cert));
}

bool parse_serial_hex(std::string_view text, Bytes& out) {
  if (!from_hex(text, out)) {
    // Odd digit counts are common when people copy serials: pad with a leading zero.
    std::string padded(1, '0');
    padded += text;
    if (!from_hex(padded, out)) {
      return false;
    }
  }
  size_t zeros = 0;
  while (zeros < out.size() && out[zeros] == 0) {
    ++zeros;
  }
  out.erase(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(zeros));
  return !out.empty();
}

const EVP_MD* cert_id_md(CertIdHash h) {
  return h == CertIdHash::sha1 ? EVP_sha1() : EVP_sha256();
}

const char* cert_id_hash_name(CertIdHash h) {
  return h == CertIdHash::sha1 ? "sha1" : "sha256";
}

std::optional<CertIdHash> cert_id_hash_from_name(std::string_view name) {
  if (name == "sha1") {
    return CertIdHash::sha1;
  }
  if (name == "sha256") {
    return CertIdHash::sha256;
  }
  return std::nullopt;
}

std::optional<CertIdHash> cert_id_hash_from_nid(int nid) {
  if (nid == NID_sha1) {
    return CertIdHash::sha1;
  }
  if (nid == NID_sha256) {
    return CertIdHash::sha256;
  }
  return std::nullopt;
}

namespace {
Bytes digest(ByteView data, const EVP_MD* md) {
  Bytes out(static_cast<size_t>(EVP_MD_get_size(md)));
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1) {
    throw std::runtime_error("digest failed: " + openssl_error());
  }
  out.resize(len);
  return out;
}

ByteView public_key_bits(const X509* cert) {
  const ASN1_BIT_STRING* bits = X509_get0_pubkey_bitstr(cert);
  return {ASN1_STRING_get0_data(bits), static_cast<size_t>(ASN1_STRING_length(bits))};
}
}  // namespace

Bytes issuer_name_hash(const X509* issuer, CertIdHash h) {
  const X509_NAME* name = X509_get_subject_name(issuer);
  const unsigned char* der = nullptr;
  size_t len = 0;
  X509_NAME_get0_der(const_cast<X509_NAME*>(name), &der, &len);
  return digest({der, len}, cert_id_md(h));
}

Bytes issuer_key_hash(const X509* issuer, CertIdHash h) {
  return digest(public_key_bits(issuer), cert_id_md(h));
}

Sha1Digest key_id_sha1(const X509* cert) {
  return sha1(public_key_bits(cert));
}

Sha256Digest fingerprint_sha256(const X509* cert) {
  Sha256Digest d;
  unsigned int len = 0;
  X509_digest(cert, EVP_sha256(), d.data(), &len);
  return d;
}

Sha1Digest fingerprint_sha1(const X509* cert) {
  Sha1Digest d;
  unsigned int len = 0;
  X509_digest(cert, EVP_sha1(), d.data(), &len);
  return d;
}

Sha256Digest spki_sha256(const X509* cert) {
  // The whole SubjectPublicKeyInfo DER, as crt.sh and the CCADB hash it (X509_pubkey_digest
  // would hash only the key's BIT STRING).
  unsigned char* der = nullptr;
  const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (len <= 0) {
    throw std::runtime_error("cannot encode a certificate's public key: " + openssl_error());
  }
  const Sha256Digest d = sha256(ByteView(der, static_cast<size_t>(len)));
  OPENSSL_free(der);
  return d;
}

Sha256Digest spki_sha256(const EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  if (len <= 0) {
    throw std::runtime_error("cannot encode a public key: " + openssl_error());
  }
  const Sha256Digest d = sha256(ByteView(der, static_cast<size_t>(len)));
  OPENSSL_free(der);
  return d;
}

std::string name_to_string(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string subject_string(const X509* cert) {
  return name_to_string(X509_get_subject_name(cert));
}
std::string issuer_string(const X509* cert) {
  return name_to_string(X509_get_issuer_name(cert));
}

X509NamePtr parse_name(std::string_view text) {
  // Split on unescaped commas; attributes are written most-significant last (RFC 4514 order)
  // like OpenSSL's -subj reversed, so we follow the config's visual order: CN first in the
  // string means CN last in the DER sequence, as every CA certificate has it.
  std::vector<std::pair<std::string, std::string>> rdns;
  std::string current;
  bool escaped = false;
  for (char c : text) {
    if (escaped) {
      current.push_back(c);
      escaped = false;
    } else if (c == '\\') {
      escaped = true;
    } else if (c == ',') {
      rdns.emplace_back("", current);
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  rdns.emplace_back("", current);
  X509NamePtr name(X509_NAME_new());
  for (auto it = rdns.rbegin(); it != rdns.rend(); ++it) {
    std::string& rdn = it->second;
    size_t eq = rdn.find('=');
    if (eq == std::string::npos) {
      throw std::invalid_argument("\"" + rdn + "\" is not TYPE=value");
    }
    auto trim = [](std::string s) {
      size_t b = s.find_first_not_of(' ');
      size_t e = s.find_last_not_of(' ');
      return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    std::string type = trim(rdn.substr(0, eq));
    std::string value = trim(rdn.substr(eq + 1));
    if (value.empty()) {
      throw std::invalid_argument("attribute " + type + " has an empty value");
    }
    int nid = OBJ_txt2nid(type.c_str());
    if (nid == NID_undef) {
      throw std::invalid_argument("unknown attribute type " + type);
    }
    if (nid == NID_countryName && value.size() != 2) {
      throw std::invalid_argument("C=" + value + " is not an ISO 3166-1 alpha-2 code");
    }
    if (X509_NAME_add_entry_by_NID(name.get(), nid, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.data()),
                                   static_cast<int>(value.size()), -1, 0) != 1) {
      throw std::invalid_argument("attribute " + type + "=" + value +
                                  " is invalid: " + openssl_error());
    }
  }
  return name;
}

UnixTime not_before(const X509* cert) {
  return to_unix(X509_get0_notBefore(cert)).value_or(0);
}
UnixTime not_after(const X509* cert) {
  return to_unix(X509_get0_notAfter(cert)).value_or(0);
}

bool has_ocsp_url(const X509* cert) {
  const OpenSslStringStackPtr urls(X509_get1_ocsp(const_cast<X509*>(cert)));
  return urls != nullptr && sk_OPENSSL_STRING_num(urls.get()) > 0;
}

bool has_crl_distribution_point(const X509* cert) {
  return X509_get_ext_by_NID(cert, NID_crl_distribution_points, -1) >= 0;
}

KeyDescription describe_key(const EVP_PKEY* key) {
  KeyDescription d;
  int id = EVP_PKEY_get_base_id(key);
  d.bits = EVP_PKEY_get_bits(key);
  if (id == EVP_PKEY_RSA) {
    d.type = KeyType::rsa;
    d.text = "RSA " + std::to_string(d.bits);
  } else if (id == EVP_PKEY_EC) {
    d.type = KeyType::ec;
    char group[64] = {0};
    size_t len = 0;
    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len);
    int nid = OBJ_sn2nid(group);
    if (nid == NID_X9_62_prime256v1) {
      d.curve = "P-256";
    } else if (nid == NID_secp384r1) {
      d.curve = "P-384";
    } else if (nid == NID_secp521r1) {
      d.curve = "P-521";
    } else {
      d.curve = group;
    }
    d.text = "EC " + d.curve;
  } else if (id == EVP_PKEY_ED25519) {
    d.type = KeyType::ed25519;
    d.text = "Ed25519";
  } else {
    const char* name = OBJ_nid2sn(id);
    std::string n = name ? name : "unknown";
    d.type = n.rfind("ML-DSA", 0) == 0 ? KeyType::ml_dsa : KeyType::other;
    d.text = n;
  }
  return d;
}

}  // namespace pkirepo
