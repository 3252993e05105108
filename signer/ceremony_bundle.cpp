// The ceremony bundle's JSON: see ceremony_bundle.h.
#include "signer/ceremony_bundle.h"

#include <openssl/evp.h>
#include <openssl/ocsp.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "signer/offline_ca.h"
#include "x509/cert_info.h"
#include "x509/der.h"

namespace pkirepo::signer {
namespace {

using json = nlohmann::json;

std::string sha256_hex(ByteView der) {
  return to_hex(sha256(der));
}

// The descriptive fields of one response (for people; import reads only "der").
json describe_response(const Bytes& der) {
  json j;
  OcspResponsePtr resp = parse_ocsp_response_der(der);
  OcspBasicRespPtr basic(resp ? OCSP_response_get1_basic(resp.get()) : nullptr);
  if (!basic || OCSP_resp_count(basic.get()) != 1) {
    throw std::runtime_error("ceremony bundle: an OCSP response does not parse back");
  }
  OCSP_SINGLERESP* single = OCSP_resp_get0(basic.get(), 0);
  ASN1_OBJECT* md = nullptr;
  ASN1_INTEGER* serial = nullptr;
  (void)OCSP_id_get0_info(nullptr, &md, nullptr, &serial,
                          const_cast<OCSP_CERTID*>(OCSP_SINGLERESP_get0_id(single)));
  int reason = 0;
  ASN1_GENERALIZEDTIME* revoked_at = nullptr;
  ASN1_GENERALIZEDTIME* this_update = nullptr;
  ASN1_GENERALIZEDTIME* next_update = nullptr;
  const int status =
      OCSP_single_get0_status(single, &reason, &revoked_at, &this_update, &next_update);
  auto hash = md ? cert_id_hash_from_nid(OBJ_obj2nid(md)) : std::nullopt;
  j["serial"] = serial ? to_hex(serial_bytes(serial)) : "";
  j["cert_id_hash"] = hash ? cert_id_hash_name(*hash) : "";
  j["status"] = status == V_OCSP_CERTSTATUS_GOOD ? "good" : "revoked";
  if (auto t = this_update ? to_unix(this_update) : std::nullopt) {
    j["this_update"] = rfc3339(*t);
  }
  if (auto t = next_update ? to_unix(next_update) : std::nullopt) {
    j["next_update"] = rfc3339(*t);
  }
  j["der"] = base64_encode(der);
  return j;
}

const json& member(const json& obj, const char* key, const std::string& where) {
  if (!obj.is_object() || !obj.contains(key)) {
    throw std::runtime_error(where + ": missing \"" + key + "\"");
  }
  return obj.at(key);
}

std::string string_member(const json& obj, const char* key, const std::string& where) {
  const json& v = member(obj, key, where);
  if (!v.is_string()) {
    throw std::runtime_error(where + "." + key + ": not a string");
  }
  return v.get<std::string>();
}

Bytes der_member(const json& obj, const std::string& where) {
  Bytes out;
  if (!base64_decode(string_member(obj, "der", where), out) || out.empty()) {
    throw std::runtime_error(where + ".der: not base64 (RFC 4648, with padding)");
  }
  return out;
}

}  // namespace

std::string base64_encode(ByteView data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                                static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool base64_decode(std::string_view text, Bytes& out) {
  if (text.size() % 4 != 0 || text.size() > kMaxBundleBytes) {
    return false;
  }
  size_t padding = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool b64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '+' || c == '/';
    if (c == '=') {
      ++padding;
      if (i + 2 < text.size() || padding > 2) {
        return false;  // '=' only in the last two places
      }
    } else if (!b64 || padding > 0) {
      return false;
    }
  }
  // EVP_DecodeBlock skips nothing we allowed and counts padding as zero bytes: cut them off.
  out.assign(text.size() / 4 * 3, 0);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0 || static_cast<size_t>(n) < padding) {
    return false;
  }
  out.resize(static_cast<size_t>(n) - padding);
  return true;
}

std::string encode_bundle(const CeremonyBundle& b) {
  json j = {{"format", kBundleFormat},           {"ca", b.ca_id},
            {"signed_at", rfc3339(b.signed_at)}, {"operator", b.operator_name},
            {"ca_certificates", json::array()},  {"ocsp", json::array()}};
  for (const BundleCaCertificate& c : b.ca_certificates) {
    X509Ptr cert = parse_cert_der(c.der);
    if (!cert) {
      throw std::runtime_error("ceremony bundle: the certificate of CA " + c.ca_id +
                               " does not parse back");
    }
    j["ca_certificates"].push_back({{"ca", c.ca_id},
                                    {"subject", subject_string(cert.get())},
                                    {"serial", serial_hex(cert.get())},
                                    {"sha256", sha256_hex(c.der)},
                                    {"der", base64_encode(c.der)}});
  }
  X509CrlPtr crl = parse_crl_der(b.crl_der);
  if (!crl) {
    throw std::runtime_error("ceremony bundle: the CRL does not parse back");
  }
  j["crl"] = {{"crl_number", crl_number_of(crl.get()).value_or(0)},
              {"this_update", rfc3339(to_unix(X509_CRL_get0_lastUpdate(crl.get())).value_or(0))},
              {"next_update", rfc3339(to_unix(X509_CRL_get0_nextUpdate(crl.get())).value_or(0))},
              {"sha256", sha256_hex(b.crl_der)},
              {"der", base64_encode(b.crl_der)}};
  for (const Bytes& r : b.ocsp_responses) {
    j["ocsp"].push_back(describe_response(r));
  }
  return j.dump(2) + "\n";
}

CeremonyBundle decode_bundle(std::string_view text) {
  if (text.size() > kMaxBundleBytes) {
    throw std::runtime_error("larger than " + std::to_string(kMaxBundleBytes) +
                             " bytes: not a ceremony bundle");
  }
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    throw std::runtime_error("not JSON: not a ceremony bundle");
  }
  const std::string format = string_member(j, "format", "bundle");
  if (format != kBundleFormat) {
    throw std::runtime_error("format \"" + format + "\" is not " + std::string(kBundleFormat));
  }
  CeremonyBundle b;
  b.ca_id = string_member(j, "ca", "bundle");
  b.operator_name = j.contains("operator") && j["operator"].is_string()
                        ? j["operator"].get<std::string>()
                        : std::string();
  if (j.contains("signed_at") && j["signed_at"].is_string()) {
    b.signed_at = parse_rfc3339(j["signed_at"].get<std::string>()).value_or(0);
  }
  const json& certs = member(j, "ca_certificates", "bundle");
  const json& ocsp = member(j, "ocsp", "bundle");
  if (!certs.is_array() || !ocsp.is_array()) {
    throw std::runtime_error("ca_certificates and ocsp must be arrays");
  }
  for (size_t i = 0; i < certs.size(); ++i) {
    const std::string where = "ca_certificates[" + std::to_string(i) + "]";
    b.ca_certificates.push_back(
        {string_member(certs[i], "ca", where), der_member(certs[i], where)});
  }
  b.crl_der = der_member(member(j, "crl", "bundle"), "crl");
  for (size_t i = 0; i < ocsp.size(); ++i) {
    b.ocsp_responses.push_back(der_member(ocsp[i], "ocsp[" + std::to_string(i) + "]"));
  }
  return b;
}

}  // namespace pkirepo::signer
