// BR 2.2 test websites: every CA that needs them (test_websites.h) has a valid, a revoked and an
// expired one; the revoked test certificate is on its CA's current CRL (a client that checks
// the CRL must see it revoked); the expired one has expired; and each URL's host is a name the
// certificate it serves is for (else a client fails on the name, not on what the site tests).
#include <openssl/x509v3.h>

#include "config/https_url.h"
#include "publisher/compliance.h"
#include "publisher/store_snapshot.h"
#include "publisher/test_websites.h"
#include "x509/der.h"

namespace pkirepo::publisher {
namespace {

// Whether `serial` is listed on any CRL the snapshot holds for `ca_id` (every shard: a sharded
// CA lists each certificate on its own shard's CRL only).
bool on_current_crl(const StoreSnapshot& snap, const std::string& ca_id, X509* cert,
                    bool& any_crl) {
  any_crl = false;
  for (const CrlEntry& crl : snap.crls) {
    if (crl.ca_id != ca_id) {
      continue;
    }
    X509CrlPtr parsed = parse_crl_der(crl.record.der);
    if (!parsed) {
      continue;
    }
    any_crl = true;
    X509_REVOKED* entry = nullptr;
    if (X509_CRL_get0_by_serial(parsed.get(), &entry, X509_get0_serialNumber(cert)) == 1) {
      return true;
    }
  }
  return false;
}

bool host_matches(X509* cert, const std::string& host) {
  const bool ipv4 = host.find_first_not_of("0123456789.") == std::string::npos;
  return ipv4 ? X509_check_ip_asc(cert, host.c_str(), 0) == 1
              : X509_check_host(cert, host.c_str(), host.size(), 0, nullptr) == 1;
}

}  // namespace

std::vector<ComplianceFinding> check_test_websites(const Config& cfg, const StoreSnapshot& snap,
                                                   UnixTime now) {
  std::vector<ComplianceFinding> f;
  for (const CaEntry& ca : snap.cas) {
    if (!needs_test_websites(cfg, snap, ca)) {
      continue;
    }
    std::string missing;
    for (const TestWebsite& site : test_websites_for(snap, ca)) {
      if (site.url.empty()) {
        missing += (missing.empty() ? "" : ", ") + site.kind + "_url";
      }
    }
    if (!missing.empty()) {
      f.push_back({"CA " + ca.id, "BR 2.2",
                   std::string("no test website for ") + missing + " ([[site.test_certificates]] " +
                       (ca.role == CaRole::root ? "of this root or a TLS CA below it)"
                                                : "with ca = \"" + ca.id + "\")")});
    }
  }
  for (const TestCertEntry& t : snap.test_certificates) {
    const std::string subject = "site.test_certificates " + t.ca_id + " " + t.kind;
    X509Ptr cert = parse_cert_der(t.der);
    if (!cert) {
      continue;  // read_store() parsed it already
    }
    if (t.kind == "revoked") {
      bool any_crl = false;
      if (!on_current_crl(snap, t.ca_id, cert.get(), any_crl)) {
        f.push_back({subject, "BR 2.2",
                     "serial " + t.facts.serial_hex + " is not on " +
                         (any_crl ? "the current CRL of " + t.ca_id
                                  : t.ca_id + "'s CRL: the store holds none") +
                         " (pkirepo-signer run signs it)"});
      }
    }
    if (t.kind == "expired" && t.facts.not_after >= now) {
      f.push_back({subject, "BR 2.2",
                   "serial " + t.facts.serial_hex + " has not expired: valid until " +
                       rfc3339(t.facts.not_after)});
    }
    if (!t.url.empty()) {
      std::string why;
      std::optional<std::string> host = https_url_host(t.url, why);
      if (!host) {
        f.push_back({subject, "BR 2.2", t.url + ": " + why});
      } else if (!host_matches(cert.get(), *host)) {
        f.push_back({subject, "BR 2.2",
                     t.url + ": host " + *host + " is not in the subjectAltName of serial " +
                         t.facts.serial_hex});
      }
    }
  }
  return f;
}

}  // namespace pkirepo::publisher
