// Offline CAs: see offline_ca.h.
#include "signer/offline_ca.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "signer/ca_lifecycle.h"
#include "signer/cert_records.h"
#include "store/freshness.h"
#include "store/store.h"
#include "x509/cert_info.h"
#include "x509/der.h"

namespace pkirepo::signer {

bool is_offline(const Config& cfg, std::string_view ca_id) {
  const CaConfig* ca = cfg.find_ca(ca_id);
  return ca != nullptr && ca->offline;
}

std::vector<IssuedCertificate> issued_certificates(const store::Txn& txn,
                                                   const Sha1Digest& key_id) {
  std::vector<IssuedCertificate> out;
  store::Cursor cursor(txn, store::Db::certs);
  for (bool ok = cursor.seek(key_id); ok && is_ca_cert_key(cursor.key(), key_id);
       ok = cursor.next()) {
    IssuedCertificate c;
    const ByteView serial = cert_key_serial(cursor.key());
    c.serial.assign(serial.begin(), serial.end());
    if (!store::decode(cursor.value(), c.record)) {
      throw std::runtime_error("certificate record of serial " + to_hex(c.serial) +
                               " is malformed");
    }
    if (auto index = txn.get(store::Db::revocations, cursor.key())) {
      (void)apply_revocation_index(c.record, *index);
    }
    out.push_back(std::move(c));
  }
  return out;
}

IssuedCertificate issued_ca_certificate(const X509* cert, const std::string& parent) {
  IssuedCertificate out;
  out.serial = serial_bytes(cert);
  out.record.ca_id = parent;
  out.record.not_before = not_before(cert);
  out.record.not_after = not_after(cert);
  out.record.profile = "ca";
  out.record.ocsp_url = has_ocsp_url(cert);
  out.record.crl_dp = has_crl_distribution_point(cert);
  return out;
}

bool on_crl(const Config& cfg, const IssuedCertificate& c, UnixTime now) {
  return c.record.status == store::CertStatus::revoked &&
         crl_keeps(crl_entry(cfg, c.serial, c.record), now);
}

bool needs_response(const IssuedCertificate& c, UnixTime now) {
  return c.record.ocsp_url && !store::certificate_expired(c.record.not_after, now);
}

std::optional<uint64_t> crl_number_of(const X509_CRL* crl) {
  Asn1IntegerPtr number(
      static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, nullptr, nullptr)));
  uint64_t n = 0;
  if (!number || ASN1_INTEGER_get_uint64(&n, number.get()) != 1) {
    return std::nullopt;
  }
  return n;
}

std::vector<Bytes> crl_serials(const X509_CRL* crl) {
  std::vector<Bytes> out;
  STACK_OF(X509_REVOKED)* entries = X509_CRL_get_REVOKED(const_cast<X509_CRL*>(crl));
  for (int i = 0; entries != nullptr && i < sk_X509_REVOKED_num(entries); ++i) {
    out.push_back(serial_bytes(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(entries, i))));
  }
  return out;
}

size_t OfflineCaReport::errors() const {
  return static_cast<size_t>(std::count_if(findings.begin(), findings.end(), [](const auto& f) {
    return f.severity == OfflineSeverity::error;
  }));
}

namespace {

std::string days_until(UnixTime t, UnixTime now) {
  return std::to_string((t - now) / 86400) + " days";
}

}  // namespace

OfflineCaReport check_offline_ca(const store::Txn& txn, const Config& cfg,
                                 const store::CaRecord& ca, UnixTime now) {
  OfflineCaReport report;
  const std::string who = "offline CA " + ca.id;
  auto add = [&](OfflineSeverity s, std::string m) {
    report.findings.push_back({s, std::move(m)});
  };
  X509Ptr ca_cert = parse_cert_der(ca.cert_der);
  if (!ca_cert) {
    add(OfflineSeverity::error, who + ": the stored CA certificate does not parse");
    return report;
  }
  if (auto unusable = ca_unusable_reason(txn, ca.id, now)) {
    add(OfflineSeverity::error, *unusable + ": " + who +
                                    " issues nothing and signs no new "
                                    "\"good\" status");
  }
  const Sha1Digest key_id = key_id_sha1(ca_cert.get());
  const std::vector<IssuedCertificate> issued = issued_certificates(txn, key_id);

  // The CRL: present, not run out, and listing every revoked certificate (24-hour rule).
  report.crl = store::get_crl(txn, ca.id, 0);
  std::set<Bytes> listed;
  if (!report.crl) {
    add(OfflineSeverity::error, who + ": no CRL in the store; sign one at a ceremony");
  } else {
    X509CrlPtr crl = parse_crl_der(report.crl->der);
    if (crl) {
      for (Bytes& s : crl_serials(crl.get())) {
        listed.insert(std::move(s));
      }
    }
    const UnixTime next = report.crl->next_update;
    report.earliest_next_update = next;
    if (now >= next) {
      add(OfflineSeverity::error, who + ": CRL number " + std::to_string(report.crl->crl_number) +
                                      " ran out at " + rfc3339(next) +
                                      "; relying parties reject it: sign one at a ceremony now");
    } else if (now >= next - kOfflineWarnAhead) {
      add(OfflineSeverity::warning, who + ": CRL next update " + rfc3339(next) + " (in " +
                                        days_until(next, now) + "); sign at a ceremony before");
    } else {
      add(OfflineSeverity::note,
          who + ": CRL next update " + rfc3339(next) + "; sign at a ceremony");
    }
  }
  for (const IssuedCertificate& c : issued) {
    if (!on_crl(cfg, c, now) || listed.count(c.serial) != 0) {
      continue;
    }
    const UnixTime deadline = c.record.revocation_time + kCaRevocationDeadline;
    add(OfflineSeverity::error, who + ": serial " + to_hex(c.serial) + " was revoked at " +
                                    rfc3339(c.record.revocation_time) +
                                    " and is not on its CRL: a ceremony must " + "re-sign it by " +
                                    rfc3339(deadline) +
                                    (now >= deadline ? " (passed; BR 4.9.7)" : " (BR 4.9.7)"));
  }

  // The responses for the certificates it issued: one per CertID hash, status as stored.
  uint64_t missing = 0;
  for (const IssuedCertificate& c : issued) {
    if (!needs_response(c, now)) {
      continue;
    }
    for (CertIdHash h : ocsp_cert_id_hashes(cfg)) {
      const Bytes key = store::ocsp_key(h, issuer_name_hash(ca_cert.get(), h),
                                        issuer_key_hash(ca_cert.get(), h), c.serial);
      auto v = txn.get(store::Db::ocsp, key);
      store::OcspView view;
      const std::string what =
          who + ": OCSP response (" + cert_id_hash_name(h) + ") for serial " + to_hex(c.serial);
      if (!v || !store::decode_view(*v, view)) {
        ++missing;
        continue;
      }
      report.earliest_next_update = std::min(report.earliest_next_update, view.next_update);
      if (view.status != c.record.status) {
        const UnixTime deadline = c.record.revocation_time + kCaRevocationDeadline;
        add(OfflineSeverity::error,
            what + " says good but the certificate was revoked at " +
                rfc3339(c.record.revocation_time) + ": a ceremony must re-sign it by " +
                rfc3339(deadline) + (now >= deadline ? " (passed; BR 4.9.10)" : " (BR 4.9.10)"));
      } else if (now >= view.next_update) {
        add(OfflineSeverity::error,
            what + " ran out at " + rfc3339(view.next_update) + "; sign one at a ceremony now");
      } else if (now >= view.next_update - kOfflineWarnAhead) {
        add(OfflineSeverity::warning, what + " runs out " + rfc3339(view.next_update) + " (in " +
                                          days_until(view.next_update, now) +
                                          "); sign at a ceremony before");
      } else {
        ++report.responses_fresh;
      }
    }
  }
  if (missing > 0) {
    add(OfflineSeverity::error, who + ": " + std::to_string(missing) +
                                    " OCSP responses for certificates it issued are missing; "
                                    "sign them at a ceremony");
  }
  return report;
}

}  // namespace pkirepo::signer
