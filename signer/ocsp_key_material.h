// The key and certificate that sign a CA's OCSP responses, for a run or `revoke --publish`:
// the CA's own (ocsp.signer = "ca") or its delegated responder's, whose certificate a run first
// rotates when it comes within twice ocsp.validity of its notAfter (due.h
// responder_rotation_point; the new certificate and its audit record commit in a transaction of
// their own before anything is signed with it).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "signer/ca_context.h"
#include "signer/ocsp_signing.h"
#include "signer/session.h"
#include "store/schema.h"
#include "x509/bytes.h"
#include "x509/openssl_ptr.h"
#include "x509/time.h"

namespace pkirepo::signer {

struct RunSummary;

// Owns the certificate and key; `signer` borrows both (moving the struct keeps them valid: the
// pointers do not change).
struct OcspKeyMaterial {
  X509Ptr cert;
  EvpPkeyPtr key;
  bool delegated = true;
  UnixTime not_after = 0;
  std::unique_ptr<OcspResponseSigner> signer;
  // What every response ends with when the delegated responder's certificate is in `certs`
  // (schema.h OcspTail): stored once, not in every record. Empty when the CA signs itself.
  Bytes tail_der;
  [[nodiscard]] store::OcspTail tail() const { return store::make_ocsp_tail(tail_der); }
};

// Loads the OCSP signer; with `rotate`, first issues a new responder certificate when the
// current one comes within twice the OCSP validity of its notAfter (Mozilla: no response's
// nextUpdate may pass its signer's notAfter). Problems go into `problems`; returns nullopt
// when nothing can be signed for this CA. A rotation updates `ca.record` and counts in
// `summary->rotations` (when `summary` is given).
[[nodiscard]] std::optional<OcspKeyMaterial> load_ocsp_signer(Session& session, CaContext& ca,
                                                              bool rotate, RunSummary* summary,
                                                              std::vector<std::string>& problems);

}  // namespace pkirepo::signer
