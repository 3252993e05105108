// The time rules of `run`, shared with `status` and `revoke --publish`: when a stored OCSP
// response, CRL or responder certificate is due, which responses and CRL shards exist, and the
// thisUpdate/nextUpdate of a new response (BR 4.9.7, 4.9.10; RFC 9919). One definition of each,
// so `run` re-signs exactly what `status` reports as due, and a response carries the same times
// whether a run or `revoke --publish` signs it.
//
// Pure functions of the config and the times given; nothing here reads the store or the clock.
// The two on the per-response path (ocsp_refresh_point, response_times) are inline: the scanner
// and the commit loop call them for every response of a run.
#pragma once

#include <algorithm>
#include <limits>
#include <vector>

#include "config/config.h"
#include "x509/cert_info.h"
#include "x509/time.h"

namespace pkirepo::signer {

// No time: nothing is due, no nextUpdate was seen (the minimum over nothing).
inline constexpr UnixTime kNever = std::numeric_limits<UnixTime>::max();

// CertID hashes signed for: SHA-1 always (older clients), SHA-256 when ocsp.cert_id_hashes asks
// (RFC 9919 clients MUST use it); each needs its own response.
[[nodiscard]] std::vector<CertIdHash> ocsp_cert_id_hashes(const Config& cfg);

// BR 4.9.10: a response is re-signed once ocsp.refresh has passed, and never later than
// (validity - refresh) before its nextUpdate (which matters when nextUpdate was cut short by
// the signer certificate's notAfter).
[[nodiscard]] inline UnixTime ocsp_refresh_point(const Config& cfg, UnixTime this_update,
                                                 UnixTime next_update) {
  const UnixTime refresh = cfg.ocsp.refresh_after.seconds;
  const UnixTime validity = cfg.ocsp.validity.seconds;
  return std::min(this_update + refresh, next_update - (validity - refresh));
}

struct ResponseTimes {
  UnixTime this_update = 0;
  UnixTime next_update = 0;
};

// The times of a response signed at `now` whose stored predecessor had thisUpdate
// `previous_this_update` (0: none, or unreadable), signed by a certificate valid until
// `signer_not_after`. The one rule for every response, in `run` and in `revoke --publish`:
//   - thisUpdate never goes backwards, even when the clock does;
//   - nextUpdate is ocsp.validity later, cut short at the signer's notAfter (Mozilla: no
//     response's nextUpdate may pass its signer certificate's notAfter).
// nextUpdate <= thisUpdate when the signer certificate expires before the response could start.
[[nodiscard]] inline ResponseTimes response_times(const Config& cfg, UnixTime now,
                                                  UnixTime previous_this_update,
                                                  UnixTime signer_not_after) {
  ResponseTimes t;
  t.this_update = std::max(now, previous_this_update);
  t.next_update = std::min(t.this_update + cfg.ocsp.validity.seconds, signer_not_after);
  return t;
}

// A delegated responder certificate is rotated (a new one issued) once it comes within twice
// ocsp.validity of its notAfter (Mozilla: no response's nextUpdate may pass its signer's
// notAfter); until then every response it signs gets the full ocsp.validity.
[[nodiscard]] inline UnixTime responder_rotation_point(const Config& cfg,
                                                       UnixTime responder_not_after) {
  return responder_not_after - 2 * cfg.ocsp.validity.seconds;
}

// Partitioned CRLs: issuing CAs with crl.shards > 1. A parent's CRL of its CA certificates is
// never sharded (policy/profiles.cpp ca_extensions), and roots and intermediates sign CA
// certificates.
[[nodiscard]] bool crl_sharded(const Config& cfg, CaRole role);
// Shards to sign: crl.shards, or more when issued certificates name a higher shard (changing
// crl.shards later never moves an issued certificate).
[[nodiscard]] int crl_shard_count(const Config& cfg, CaRole role, int max_shard);
// BR 4.9.7: a CA CRL (of CA certificates) may run 12 months (crl.root_validity); a CRL of
// subscriber certificates crl.validity (at most 10 days).
[[nodiscard]] UnixTime crl_validity(const Config& cfg, CaRole role);
// A CRL is re-signed crl.refresh_before ahead of its nextUpdate (sooner when its revoked set
// changes); its Next CRL Publish extension (crl.next_crl_publish) announces this time.
[[nodiscard]] inline UnixTime crl_refresh_point(const Config& cfg, UnixTime next_update) {
  return next_update - cfg.crl.refresh_before.seconds;
}

}  // namespace pkirepo::signer
