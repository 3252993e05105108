// The key and certificate that sign a CA's OCSP responses: see ocsp_key_material.h.
#include "signer/ocsp_key_material.h"

#include <filesystem>
#include <iostream>

#include "audit/audit_log.h"
#include "signer/ca_setup.h"
#include "signer/due.h"
#include "signer/run.h"
#include "store/store.h"
#include "x509/cert_info.h"
#include "x509/der.h"

namespace pkirepo::signer {

std::optional<OcspKeyMaterial> load_ocsp_signer(Session& session, CaContext& ca, bool rotate,
                                                RunSummary* summary,
                                                std::vector<std::string>& problems) {
  const Config& cfg = session.config();
  const UnixTime now = session.now();
  OcspKeyMaterial m;
  try {
    if (cfg.ocsp.signer == OcspSigner::ca) {
      m.cert = up_ref(ca.cert.get());
      m.key = session.load_ca_key(ca.record);
      m.delegated = false;
    } else {
      // A CRL-only CA has none until a certificate of its asks for OCSP (one issued before it
      // turned CRL-only): then the first one is issued as a rotation would be.
      const bool none = ca.record.responder_cert_der.empty();
      if (!none) {
        m.cert = parse_cert_der(ca.record.responder_cert_der);
        if (!m.cert) {
          problems.push_back("CA " + ca.record.id +
                             ": the stored responder certificate does not parse");
          return std::nullopt;
        }
      }
      const UnixTime rotate_at =
          none ? now : responder_rotation_point(cfg, not_after(m.cert.get()));
      const std::string need = none ? "a responder certificate is needed"
                                    : "responder certificate rotation is needed (notAfter " +
                                          rfc3339(not_after(m.cert.get())) + ")";
      if (none && !rotate) {
        problems.push_back("CA " + ca.record.id + ": " + need + "; run pkirepo-signer run");
        return std::nullopt;
      }
      if (rotate && now >= rotate_at) {
        if (ca.config == nullptr) {
          problems.push_back("CA " + ca.record.id + ": " + need +
                             " but the CA is no longer in the config");
          return std::nullopt;
        } else if (const auto ca_key_file = cfg.ca_key_path(ca.record.id, ca.record.key_file);
                   !ca.config->key.in_token() && !std::filesystem::exists(ca_key_file)) {
          problems.push_back("CA " + ca.record.id + ": " + need + " but the CA key " +
                             ca_key_file.string() + " is offline; bring it online and run again");
          if (none) {
            return std::nullopt;
          }
        } else {
          EvpPkeyPtr ca_key = session.load_ca_key(ca.record);
          recover_interrupted_key_files(session);
          KeyFileGuard guard(key_journal(cfg));
          ResponderIssue issued =
              issue_responder_certificate(session, *ca.config, ca.cert.get(), ca_key.get(), guard);
          store::CaRecord updated = ca.record;
          const std::string old_serial = none ? std::string() : serial_hex(m.cert.get());
          updated.responder_cert_der = issued.cert_der;
          updated.responder_key_file = issued.key_file;
          session.store().transact([&](store::WriteTxn& txn) {
            store::put_ca(txn, updated);
            audit::append(txn, now, session.operator_name(), "responder_certificate_issued",
                          {{"ca", ca.record.id},
                           {"serial", issued.serial_hex},
                           {"key_file", issued.key_file},
                           {"not_after", rfc3339(issued.not_after)},
                           {"replaces", old_serial},
                           {"reason", "rotation"}});
          });
          guard.keep();
          ca.record = std::move(updated);
          m.cert = parse_cert_der(ca.record.responder_cert_der);
          if (summary != nullptr) {
            ++summary->rotations;
          }
          std::cout << "rotated the responder certificate of CA " << ca.record.id << ": serial "
                    << issued.serial_hex << " until " << rfc3339(issued.not_after) << "\n";
        }
      }
      m.key = session.load_responder_key(ca.record);
    }
    m.not_after = not_after(m.cert.get());
    if (m.not_after <= now) {
      problems.push_back("CA " + ca.record.id + ": the OCSP signer certificate expired at " +
                         rfc3339(m.not_after) + "; nothing can be signed for this CA");
      return std::nullopt;
    }
    m.signer =
        std::make_unique<OcspResponseSigner>(ca.cert.get(), m.cert.get(), m.key.get(), m.delegated);
    if (m.signer->include_signer_cert()) {
      m.tail_der = to_der(m.cert.get());
    }
  } catch (const std::exception& e) {
    problems.push_back("CA " + ca.record.id + ": OCSP signer: " + e.what());
    return std::nullopt;
  }
  return m;
}

}  // namespace pkirepo::signer
