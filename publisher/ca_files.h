// Where the site puts each CA certificate (DER at the AIA caIssuers URL, PEM and OpenSSL's
// text dump beside it), a CA's page, and the words the CA pages and ca.json share. One place,
// so the pages, ca.json and the feed link the same files.
#pragma once

#include <string>

#include "config/config.h"
#include "publisher/store_snapshot.h"

namespace pkirepo::publisher {

struct CaCertFiles {
  std::string der;   // "ca/root-2026.crt" (site-relative)
  std::string pem;   // "ca/root-2026.pem"
  std::string text;  // "ca/root-2026.txt": X509_print_ex output
};

// The files of `cert`, listed under CA `ca`: the CA's own certificate at the URL its
// certificates' AIA names (config.ca_cert_url); a certificate another CA's store record holds
// at that CA's files; any other (re-issued, cross-signed) at "ca/<ca>-<16 hex of SHA-256>.crt".
[[nodiscard]] CaCertFiles ca_cert_files(const Config& config, const CaEntry& ca,
                                        const CaCertificate& cert);
// "ca/<id>.html"
[[nodiscard]] std::string ca_page_path(const std::string& id);
// "https://crt.sh/?sha256=<CCADB hex>"
[[nodiscard]] std::string crtsh_url(const CertFacts& facts);
// How `cert` relates to CA `ca`: "current", "re-issued", "cross-certificate".
[[nodiscard]] std::string ca_cert_kind(const CaEntry& ca, const CaCertificate& cert);
// What the CA is for, in words, from its role and EKUs ("TLS server authentication, TLS client
// authentication"; "any purpose (no EKU)").
[[nodiscard]] std::string ca_purpose(const CaEntry& ca);

}  // namespace pkirepo::publisher
