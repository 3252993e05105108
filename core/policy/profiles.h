// What the config's CAs and profiles mean as certificate extensions. One place, so the signer
// issues exactly what the publisher's generated CPS tables describe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "policy/rules.h"
#include "x509/bytes.h"
#include "x509/openssl_ptr.h"

namespace pkirepo::policy {

using ExtensionList = std::vector<std::pair<int, std::string>>;

[[nodiscard]] CertType cert_type_of(CaRole role);

// basicConstraints, keyUsage, SKI, AKI (not for roots), and below a root: AIA (caIssuers of
// the parent, OCSP), CRL distribution point of the parent's CRL, policies and EKU from config.
[[nodiscard]] ExtensionList ca_extensions(const Config& config, const CaConfig& ca);

// BR 7.1.2.8: EKU OCSPSigning only, keyUsage digitalSignature only, ocsp-nocheck (NULL), SKI,
// AKI; no CDP, AIA, policies or SAN.
[[nodiscard]] ExtensionList responder_extensions();

// Subscriber certificate under `issuer` with `profile`: basicConstraints CA:FALSE, keyUsage by
// key type unless the profile names it, EKU, AKI, AIA, CDP of the certificate's CRL shard,
// policies.
[[nodiscard]] ExtensionList subscriber_extensions(const Config& config, const CaConfig& issuer,
                                                  const ProfileConfig& profile,
                                                  const EVP_PKEY* subject_key, int shard);

// The BR rules that depend on the date, checked against `now` for every TLS server profile
// (BR 6.3.2, ballot SC-081): an error when a profile's validity exceeds the step in force, a
// warning from 30 days before the next step when it will exceed that one. Each message starts
// with "file:line: profile[id].validity: " so it points at the key to change.
[[nodiscard]] std::vector<Finding> profile_date_findings(const Config& config, UnixTime now);
// How far ahead profile_date_findings() warns of the next step.
inline constexpr int64_t kValidityStepWarningDays = 30;

// The CRL shard a serial belongs to: XXH3 of the serial with a fixed seed, modulo `shards`.
// Stored with the certificate at issuance so a later change of `shards` moves nothing.
[[nodiscard]] int shard_of(ByteView serial, int shards);

// The CDP URL of shard `shard` of `ca_id` (the full CRL's URL when there is one shard).
[[nodiscard]] std::string crl_url_for(const Config& config, std::string_view ca_id, int shard);

}  // namespace pkirepo::policy
