#include "publisher/ca_files.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace pkirepo::publisher {

CaCertFiles ca_cert_files(const Config& config, const CaEntry& ca, const CaCertificate& cert) {
  std::string stem;
  if (cert.current || !cert.held_by.empty()) {
    const std::string holder = cert.current ? ca.id : cert.held_by;
    const std::string crt = site_path_for_url(config, config.ca_cert_url(holder));
    stem = crt.substr(0, crt.rfind('.'));
  } else {
    std::string fp = cert.facts.sha256_ccadb.substr(0, 16);
    std::transform(fp.begin(), fp.end(), fp.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const std::string crt = site_path_for_url(config, config.ca_cert_url(ca.id));
    stem = crt.substr(0, crt.rfind('.')) + "-" + fp;
  }
  return {stem + ".crt", stem + ".pem", stem + ".txt"};
}

std::string ca_page_path(const std::string& id) {
  return "ca/" + id + ".html";
}

std::string crtsh_url(const CertFacts& facts) {
  return "https://crt.sh/?sha256=" + facts.sha256_ccadb;
}

std::string ca_cert_kind(const CaEntry& ca, const CaCertificate& cert) {
  if (cert.current) {
    return "current";
  }
  const std::string expected_issuer = ca.parent.empty() ? ca.id : ca.parent;
  return cert.issuer_ca == expected_issuer ? "re-issued" : "cross-certificate";
}

std::string ca_purpose(const CaEntry& ca) {
  static const std::map<std::string, std::string> kWords = {
      {"serverAuth", "TLS server authentication"},
      {"clientAuth", "TLS client authentication"},
      {"codeSigning", "code signing"},
      {"emailProtection", "S/MIME e-mail protection"},
      {"timeStamping", "time stamping"},
      {"OCSPSigning", "OCSP signing"}};
  if (ca.facts.eku.empty()) {
    return ca.role == CaRole::root
               ? "trust anchor: any purpose (no EKU); the CAs below it are limited by their own"
               : "any purpose (no EKU)";
  }
  std::string out;
  for (const std::string& e : ca.facts.eku) {
    auto it = kWords.find(e);
    out += (out.empty() ? "" : ", ") + (it == kWords.end() ? e : it->second);
  }
  return out;
}

}  // namespace pkirepo::publisher
