// OCSP at issuance (ocsp.sign_at_issuance): `issue` signs each new certificate's first "good"
// responses, one per CertID hash, and commits them with the certificate, so the responder can
// answer for it the moment `issue` returns (a pre-signing responder answers only what it has,
// RFC 9919 3.2.3). The same signer, times and encoding as a run (ocsp_key_material.h, due.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "signer/ca_context.h"
#include "signer/due.h"
#include "signer/ocsp_key_material.h"
#include "signer/ocsp_signing.h"
#include "signer/ocsp_work.h"
#include "signer/session.h"

namespace pkirepo::signer {

class FirstResponses {
 public:
  // The CA's OCSP signer, rotating its responder certificate first when due (the CA key is
  // online for issuance, and a response signed by a certificate about to be replaced would
  // outlive it). nullptr, after a warning on stderr, when there is none: issuance goes on and
  // the next `run` signs the responses.
  [[nodiscard]] static std::unique_ptr<FirstResponses> prepare(Session& session,
                                                               const store::CaRecord& ca);

  [[nodiscard]] const OcspResponseSigner& signer() const { return *material_.signer; }
  [[nodiscard]] const store::OcspTail& tail() const { return tail_; }
  [[nodiscard]] std::string signer_serial() const;

  // Signs and encodes the responses for `serial` into `out` with this thread's `context`.
  // False with a one-line `error` (and `out` empty) when OpenSSL fails. Thread-safe.
  [[nodiscard]] bool sign(OcspSigningContext& context, ByteView serial, std::vector<OcspWork>& out,
                          std::string& error) const;

 private:
  FirstResponses(CaContext ca, OcspKeyMaterial material, const Config& cfg, UnixTime now);

  CaContext ca_;  // the signer borrows its certificate
  OcspKeyMaterial material_;
  std::vector<CertIdHash> hashes_;
  ResponseTimes times_;
  store::OcspTail tail_;
};

}  // namespace pkirepo::signer
