// Recording one revocation inside a write transaction: shared by `revoke` and by anything that
// revokes in bulk (incident response), so the rules are checked in one place.
#pragma once

#include <optional>
#include <string>

#include "signer/session.h"
#include "store/schema.h"
#include "x509/bytes.h"

namespace pkirepo::signer {

struct RevocationRequest {
  std::string ca_id;
  std::string serial_hex;
  std::string reason = "unspecified";
  std::string invalidity_date;  // RFC 3339, optional
  // RFC 3339, optional: a revocationDate before now, for profiles with backdated_revocation.
  std::string revocation_date;
  // The incident or request this revocation answers (incident.h); in its audit record, so
  // `incident report` finds it. Optional for a single `revoke`.
  std::string ticket;
  // What the caller knows already (incident revoke selected the certificate): the issuer's key
  // id and the certificate's subject and SPKI hash, so a bulk revocation parses no DER twice.
  struct Known {
    Sha1Digest ca_key_id{};
    std::string subject;
    Sha256Digest spki{};
  };
  std::optional<Known> known;
};

struct RevocationResult {
  std::string serial_hex;
  store::CertRecord record;
  bool ca_certificate = false;
};

// Checks the request (known CA and serial, reason allowed, no double revocation except an
// upgrade to keyCompromise), updates the certs record and appends the audit record. Throws a
// one-line std::runtime_error naming the offending option; the caller's transaction aborts.
RevocationResult record_revocation(Session& session, store::WriteTxn& txn,
                                   const RevocationRequest& req);

}  // namespace pkirepo::signer
