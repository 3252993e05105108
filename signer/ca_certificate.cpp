// A CA certificate as the config describes it: see ca_certificate.h.
#include "signer/ca_certificate.h"

#include <stdexcept>

#include "audit/audit_log.h"
#include "policy/profiles.h"
#include "signer/cert_builder.h"
#include "store/store.h"
#include "x509/cert_info.h"
#include "x509/der.h"

namespace pkirepo::signer {

void throw_on_lint_errors(const std::vector<policy::Finding>& findings, const std::string& what) {
  for (const auto& f : findings) {
    if (f.severity == policy::Severity::error) {
      throw std::runtime_error(what + ": " + f.rule + ": " + f.message);
    }
  }
}

X509Ptr build_ca_certificate(const Config& cfg, const CaConfig& ca, EVP_PKEY* public_key,
                             const X509* parent_cert, EVP_PKEY* signing_key, UnixTime now) {
  X509NamePtr subject = parse_name(ca.subject);
  CertSpec spec;
  spec.subject = subject.get();
  spec.public_key = public_key;
  spec.not_before = now;
  spec.not_after = now + ca.validity.seconds;
  spec.serial = random_serial();
  spec.issuer = parent_cert;
  spec.signing_key = signing_key;
  spec.extensions = policy::ca_extensions(cfg, ca);
  const policy::CertType type = policy::cert_type_of(ca.role);
  throw_on_lint_errors(policy::check_public_key(public_key, type, spec.not_before, spec.not_after),
                       "CA " + ca.id);
  if (parent_cert != nullptr && spec.not_after > not_after(parent_cert)) {
    throw std::runtime_error("CA " + ca.id + ": validity " + ca.validity.text +
                             " would end after its parent " + ca.parent + " (CPS 6.3.2)");
  }
  X509Ptr cert = build_certificate(spec);
  throw_on_lint_errors(
      policy::lint_certificate(cert.get(), parent_cert != nullptr ? parent_cert : cert.get()),
      "CA " + ca.id);
  return cert;
}

void record_ca_certificate(store::WriteTxn& txn, const store::CaRecord& record, UnixTime now,
                           const std::string& operator_name) {
  X509Ptr cert = parse_cert_der(record.cert_der);
  if (!cert) {
    throw std::runtime_error("CA " + record.id + ": the certificate does not parse");
  }
  store::put_ca(txn, record);
  if (!record.parent.empty()) {
    auto parent_record = store::get_ca(txn, record.parent);
    X509Ptr parent = parent_record ? parse_cert_der(parent_record->cert_der) : nullptr;
    if (!parent) {
      throw std::runtime_error("CA " + record.id + ": parent " + record.parent +
                               " is not in the store");
    }
    store::CertRecord cr;
    cr.ca_id = record.parent;
    cr.not_before = not_before(cert.get());
    cr.not_after = not_after(cert.get());
    cr.issued_at = now;
    cr.profile = "ca";
    cr.ocsp_url = has_ocsp_url(cert.get());
    cr.crl_dp = has_crl_distribution_point(cert.get());
    cr.der = record.cert_der;
    store::put_new_cert(txn, key_id_sha1(parent.get()), serial_bytes(cert.get()), cr, cert.get());
  }
  audit::append(txn, now, operator_name, "ca_certificate_issued",
                {{"ca", record.id},
                 {"role", ca_role_name(record.role)},
                 {"parent", record.parent},
                 {"subject", subject_string(cert.get())},
                 {"serial", serial_hex(cert.get())},
                 {"not_before", rfc3339(not_before(cert.get()))},
                 {"not_after", rfc3339(not_after(cert.get()))},
                 {"sha256", to_hex(fingerprint_sha256(cert.get()))}});
}

}  // namespace pkirepo::signer
