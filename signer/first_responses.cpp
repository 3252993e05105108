// OCSP at issuance: see first_responses.h.
#include "signer/first_responses.h"

#include <iostream>

#include "x509/cert_info.h"

namespace pkirepo::signer {

FirstResponses::FirstResponses(CaContext ca, OcspKeyMaterial material, const Config& cfg,
                               UnixTime now)
    : ca_(std::move(ca)),
      material_(std::move(material)),
      hashes_(ocsp_cert_id_hashes(cfg)),
      times_(response_times(cfg, now, 0, material_.not_after)),
      tail_(material_.tail()) {}

std::unique_ptr<FirstResponses> FirstResponses::prepare(Session& session,
                                                        const store::CaRecord& ca) {
  std::vector<std::string> problems;
  CaContext context = make_ca_context(session.config(), ca);
  std::optional<OcspKeyMaterial> material =
      load_ocsp_signer(session, context, true, nullptr, problems);
  if (!material) {
    std::cerr << "pkirepo-signer: issue: warning: no OCSP responses at issuance ("
              << (problems.empty() ? std::string("no OCSP signer") : problems.front())
              << "); the next run signs them\n";
    return nullptr;
  }
  // The signer points at the CA certificate `context` owns, and the key material at its own
  // certificate and key: moving them keeps those pointers valid (ocsp_key_material.h).
  return std::unique_ptr<FirstResponses>(new FirstResponses(
      std::move(context), std::move(*material), session.config(), session.now()));
}

std::string FirstResponses::signer_serial() const {
  return serial_hex(material_.cert.get());
}

bool FirstResponses::sign(OcspSigningContext& context, ByteView serial, std::vector<OcspWork>& out,
                          std::string& error) const {
  for (CertIdHash h : hashes_) {
    OcspWork w;
    w.key = material_.signer->store_key(h, serial);
    w.serial.assign(serial.begin(), serial.end());
    w.hash = h;
    w.status = OcspStatus{store::CertStatus::good, std::nullopt, 0};
    w.this_update = times_.this_update;
    w.next_update = times_.next_update;
    store::OcspRecord record;
    if (!context.sign(h, serial, w.status, w.this_update, w.next_update, record, error)) {
      out.clear();
      return false;
    }
    store::encode_into(record, &tail_, w.value);
    out.push_back(std::move(w));
  }
  return true;
}

}  // namespace pkirepo::signer
