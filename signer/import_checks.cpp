// `import`'s checks of a ceremony bundle: see import_checks.h.
#include "signer/import_checks.h"

#include <openssl/ocsp.h>

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "pkcs11/engine_key.h"
#include "pkcs11/token_uri.h"
#include "policy/rules.h"
#include "signer/ca_certificate.h"
#include "signer/ca_context.h"
#include "signer/cert_records.h"
#include "signer/crl_signing.h"
#include "signer/due.h"
#include "signer/ocsp_signing.h"
#include "signer/offline_ca.h"
#include "store/blocked_keys.h"
#include "store/meta_keys.h"
#include "store/store.h"
#include "x509/cert_info.h"
#include "x509/der.h"

namespace pkirepo::signer {
namespace {

[[noreturn]] void refuse(const std::string& object, const std::string& reason) {
  throw std::runtime_error(object + ": " + reason);
}

Bytes octets(const ASN1_OCTET_STRING* s) {
  const unsigned char* p = ASN1_STRING_get0_data(s);
  return Bytes(p, p + ASN1_STRING_length(s));
}

// thisUpdate not in the future, nextUpdate present, after now and at most 12 months on.
void check_times(const std::string& object, std::optional<UnixTime> this_update,
                 std::optional<UnixTime> next_update, UnixTime now) {
  if (!this_update || !next_update) {
    refuse(object, "thisUpdate or nextUpdate missing or unreadable");
  }
  if (*this_update > now) {
    refuse(object, "thisUpdate " + rfc3339(*this_update) + " is in the future (now " +
                       rfc3339(now) + "): check the ceremony machine's clock");
  }
  if (*next_update <= now) {
    refuse(object, "nextUpdate " + rfc3339(*next_update) + " has passed");
  }
  if (*next_update - *this_update > kOfflineMaxValidity) {
    refuse(object, "nextUpdate is more than 12 months after thisUpdate (BR 4.9.7, 4.9.10)");
  }
}

store::CaRecord check_new_ca(Session& session, const store::Txn& txn, const CaContext& ca,
                             const BundleCaCertificate& c, const std::string& object) {
  const Config& cfg = session.config();
  const CaConfig* sub = cfg.find_ca(c.ca_id);
  if (sub == nullptr) {
    refuse(object, "not a CA of " + cfg.file.string());
  }
  if (sub->parent != ca.record.id) {
    refuse(object, "its parent in the config is \"" + sub->parent + "\", not " + ca.record.id);
  }
  if (store::get_ca(txn, c.ca_id)) {
    refuse(object, "already in the store");
  }
  X509Ptr cert = parse_cert_der(c.der);
  if (!cert) {
    refuse(object, "not a DER certificate");
  }
  if (X509_check_issued(ca.cert.get(), cert.get()) != X509_V_OK) {
    refuse(object,
           "not issued by CA " + ca.record.id + " (issuer " + issuer_string(cert.get()) + ")");
  }
  if (X509_verify(cert.get(), X509_get0_pubkey(ca.cert.get())) != 1) {
    refuse(object, "the signature does not verify with CA " + ca.record.id + "'s key");
  }
  if (auto blocked = store::get_blocked_key(txn, spki_sha256(cert.get()))) {
    refuse(object, "its public key is blocked as compromised " + store::describe(*blocked) +
                       " (CPS 4.9.12)");
  }
  X509NamePtr subject = parse_name(sub->subject);
  if (X509_NAME_cmp(X509_get_subject_name(cert.get()), subject.get()) != 0) {
    refuse(object,
           "subject " + subject_string(cert.get()) + " is not the config's " + sub->subject);
  }
  if (not_before(cert.get()) > session.now()) {
    refuse(object, "notBefore " + rfc3339(not_before(cert.get())) + " is in the future");
  }
  try {
    throw_on_lint_errors(policy::lint_certificate(cert.get(), ca.cert.get()), "lint");
  } catch (const std::runtime_error& e) {
    refuse(object, e.what());
  }
  store::CaRecord record;
  record.id = sub->id;
  record.role = sub->role;
  record.parent = sub->parent;
  record.cert_der = c.der;
  record.key_file = sub->key.in_token() ? sub->key.pkcs11 : sub->key.file.string();
  record.created = session.now();
  // The key `ca request` made here must be the one certified: else the CA could never sign.
  // (An offline subordinate's key is on its own ceremony machine: its first ceremony shows it.)
  if (!sub->offline) {
    try {
      if (sub->key.in_token()) {
        // Checked, not used: opened without Session's audit record, which would need a
        // transaction of its own while this one is open.
        EvpPkeyPtr key = pkcs11::load_token_key(session.config().pkcs11_module,
                                                pkcs11::parse_token_uri(sub->key.pkcs11, true),
                                                session.config().key_pin(sub->key, sub->id));
        if (X509_check_private_key(cert.get(), key.get()) != 1) {
          throw std::runtime_error(sub->key.pkcs11 + ": does not hold the key of CA " + sub->id +
                                   "'s certificate (check key.pkcs11 in the config)");
        }
      } else {
        (void)session.load_ca_key(record);
      }
    } catch (const std::exception& e) {
      refuse(object, e.what());
    }
  }
  return record;
}

void check_crl(const Config& cfg, const store::Txn& txn, const CaContext& ca,
               const std::vector<IssuedCertificate>& issued, const Bytes& der, UnixTime now,
               ImportPlan& plan) {
  const std::string object = "crl";
  X509CrlPtr crl = parse_crl_der(der);
  if (!crl) {
    refuse(object, "not a DER CRL");
  }
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(ca.cert.get())) != 0) {
    refuse(object, "issuer " + name_to_string(X509_CRL_get_issuer(crl.get())) + " is not CA " +
                       ca.record.id + "'s subject " + subject_string(ca.cert.get()));
  }
  if (X509_CRL_verify(crl.get(), X509_get0_pubkey(ca.cert.get())) != 1) {
    refuse(object, "the signature does not verify with CA " + ca.record.id + "'s key");
  }
  const std::optional<uint64_t> number = crl_number_of(crl.get());
  if (!number) {
    refuse(object, "no cRLNumber");
  }
  const auto previous = store::get_crl(txn, ca.record.id, 0);
  const auto meta_number = store::get_meta_u64(txn, store::meta::crl_number(ca.record.id, 0));
  const uint64_t last = std::max(meta_number.value_or(0), previous ? previous->crl_number : 0);
  if ((previous || meta_number) && *number <= last) {
    refuse(object, "cRLNumber " + std::to_string(*number) + " is not greater than the store's " +
                       std::to_string(last) +
                       " (RFC 5280 5.2.3: strictly increasing; an old bundle?)");
  }
  const auto this_update = to_unix(X509_CRL_get0_lastUpdate(crl.get()));
  const auto next_update = X509_CRL_get0_nextUpdate(crl.get()) != nullptr
                               ? to_unix(X509_CRL_get0_nextUpdate(crl.get()))
                               : std::nullopt;
  check_times(object, this_update, next_update, now);
  std::set<Bytes> listed;
  std::vector<CrlEntry> entries;
  for (Bytes& s : crl_serials(crl.get())) {
    entries.push_back(CrlEntry{s, 0, {}, 0, 0});
    listed.insert(std::move(s));
  }
  std::vector<CrlEntry> covered;
  for (const IssuedCertificate& c : issued) {
    if (!on_crl(cfg, c, now)) {
      continue;
    }
    if (listed.count(c.serial) == 0) {
      refuse(object, "serial " + to_hex(c.serial) + ", revoked at " +
                         rfc3339(c.record.revocation_time) +
                         " in the store, is not on it (a revocation after the export?)");
    }
    covered.push_back(crl_entry(cfg, c.serial, c.record));
  }
  plan.crl.crl_number = *number;
  plan.crl.this_update = *this_update;
  plan.crl.next_update = *next_update;
  plan.crl.entries = static_cast<uint32_t>(entries.size());
  plan.crl.der = der;
  plan.crl.etag = "\"" + to_hex(sha256(der)) + "\"";
  // The run's own checks too: thisUpdate later than the stored CRL's, nothing it listed
  // dropped before its certificate expired, the 10 MB cap.
  const std::string problem =
      check_crl_safety(previous ? &*previous : nullptr, plan.crl, ca.cert.get(), entries,
                       [&](ByteView serial) -> std::optional<UnixTime> {
                         auto rec = store::get_cert(txn, ca.key_id, serial);
                         return rec ? std::optional<UnixTime>(rec->not_after) : std::nullopt;
                       });
  if (!problem.empty()) {
    refuse(object, problem);
  }
  plan.crl_set = crl_entry_set_hash(covered);
}

struct ExpectedResponse {
  Bytes serial;
  CertIdHash hash = CertIdHash::sha1;
  store::CertStatus status = store::CertStatus::good;
  bool seen = false;
};

void check_responses(const Config& cfg, const store::Txn& txn, const CaContext& ca,
                     const std::vector<IssuedCertificate>& issued, const CeremonyBundle& bundle,
                     UnixTime now, ImportPlan& plan) {
  std::map<Bytes, ExpectedResponse> expected;  // by `ocsp` store key
  for (const IssuedCertificate& c : issued) {
    if (!needs_response(c, now)) {
      continue;
    }
    for (CertIdHash h : ocsp_cert_id_hashes(cfg)) {
      expected[store::ocsp_key(h, issuer_name_hash(ca.cert.get(), h),
                               issuer_key_hash(ca.cert.get(), h), c.serial)] = {
          c.serial, h, c.record.status, false};
    }
  }
  X509StackPtr signers(sk_X509_new_null());
  X509StorePtr no_store(X509_STORE_new());
  if (!signers || !no_store || sk_X509_push(signers.get(), up_ref(ca.cert.get()).release()) <= 0) {
    throw std::runtime_error("out of memory");
  }
  for (size_t i = 0; i < bundle.ocsp_responses.size(); ++i) {
    const std::string object = "ocsp[" + std::to_string(i) + "]";
    const Bytes& der = bundle.ocsp_responses[i];
    OcspResponsePtr resp = parse_ocsp_response_der(der);
    if (!resp) {
      refuse(object, "not a DER OCSPResponse");
    }
    if (OCSP_response_status(resp.get()) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
      refuse(object, "not a successful response");
    }
    OcspBasicRespPtr basic(OCSP_response_get1_basic(resp.get()));
    if (!basic) {
      refuse(object, "no BasicOCSPResponse");
    }
    // The signer must be the CA itself (responderID names its key or name; certificates in
    // the response are ignored) and its signature must verify; the CA certificate is the
    // trust anchor here, so no chain is built.
    if (OCSP_basic_verify(basic.get(), signers.get(), no_store.get(),
                          OCSP_NOINTERN | OCSP_NOVERIFY | OCSP_NOCHECKS | OCSP_NOEXPLICIT) != 1) {
      refuse(object, "not signed by CA " + ca.record.id + "'s key");
    }
    if (OCSP_resp_count(basic.get()) != 1) {
      refuse(object,
             "holds " + std::to_string(OCSP_resp_count(basic.get())) + " SingleResponses, not one");
    }
    OCSP_SINGLERESP* single = OCSP_resp_get0(basic.get(), 0);
    ASN1_OCTET_STRING* name_hash = nullptr;
    ASN1_OBJECT* md = nullptr;
    ASN1_OCTET_STRING* key_hash = nullptr;
    ASN1_INTEGER* serial = nullptr;
    if (OCSP_id_get0_info(&name_hash, &md, &key_hash, &serial,
                          const_cast<OCSP_CERTID*>(OCSP_SINGLERESP_get0_id(single))) != 1) {
      refuse(object, "unreadable CertID");
    }
    const auto hash = cert_id_hash_from_nid(OBJ_obj2nid(md));
    const std::vector<CertIdHash> hashes = ocsp_cert_id_hashes(cfg);
    if (!hash || std::find(hashes.begin(), hashes.end(), *hash) == hashes.end()) {
      refuse(object, "its CertID hash is not one of ocsp.cert_id_hashes");
    }
    const Bytes serial_b = serial_bytes(serial);
    const Bytes key = store::ocsp_key(*hash, octets(name_hash), octets(key_hash), serial_b);
    auto it = expected.find(key);
    if (it == expected.end()) {
      if (octets(name_hash) != issuer_name_hash(ca.cert.get(), *hash) ||
          octets(key_hash) != issuer_key_hash(ca.cert.get(), *hash)) {
        refuse(object, "its CertID names another issuer than CA " + ca.record.id);
      }
      refuse(object, "serial " + to_hex(serial_b) + " is no live certificate of CA " +
                         ca.record.id + " with an OCSP URL");
    }
    ExpectedResponse& want = it->second;
    const std::string what =
        object + " (serial " + to_hex(serial_b) + ", " + cert_id_hash_name(*hash) + ")";
    if (want.seen) {
      refuse(what, "a second response for the same CertID");
    }
    want.seen = true;
    int reason = 0;
    ASN1_GENERALIZEDTIME* revoked_at = nullptr;
    ASN1_GENERALIZEDTIME* this_update = nullptr;
    ASN1_GENERALIZEDTIME* next_update = nullptr;
    const int status =
        OCSP_single_get0_status(single, &reason, &revoked_at, &this_update, &next_update);
    const int want_status = want.status == store::CertStatus::revoked ? V_OCSP_CERTSTATUS_REVOKED
                                                                      : V_OCSP_CERTSTATUS_GOOD;
    if (status != want_status) {
      refuse(what, std::string("says ") + OCSP_cert_status_str(status) + " but the store says " +
                       (want.status == store::CertStatus::revoked ? "revoked" : "good"));
    }
    const auto tu = this_update ? to_unix(this_update) : std::nullopt;
    const auto nu = next_update ? to_unix(next_update) : std::nullopt;
    check_times(what, tu, nu, now);
    if (auto stored = txn.get(store::Db::ocsp, key)) {
      store::OcspView view;
      if (store::decode_view(*stored, view) && *tu < view.this_update) {
        refuse(what, "thisUpdate " + rfc3339(*tu) + " is older than the stored response's " +
                         rfc3339(view.this_update));
      }
    }
    store::OcspRecord record;
    record.status = want.status;
    record.this_update = *tu;
    record.next_update = *nu;
    record.etag = ocsp_etag(der);
    record.der = der;
    plan.responses.emplace_back(key, std::move(record));
  }
  for (const auto& [key, want] : expected) {
    if (!want.seen) {
      refuse("ocsp", std::string("no response for serial ") + to_hex(want.serial) + " (" +
                         cert_id_hash_name(want.hash) + "): every live certificate CA " +
                         ca.record.id + " issued needs one");
    }
  }
}

}  // namespace

ImportPlan check_bundle(Session& session, const store::Txn& txn, const CeremonyBundle& bundle) {
  const Config& cfg = session.config();
  const UnixTime now = session.now();
  const CaConfig* ca_config = cfg.find_ca(bundle.ca_id);
  if (ca_config == nullptr) {
    refuse("ca", "CA " + bundle.ca_id + " is not in " + cfg.file.string());
  }
  if (!ca_config->offline) {
    refuse("ca", "CA " + bundle.ca_id + " is not offline in " + cfg.file.string() +
                     " (offline = true): its online signer signs its status");
  }
  auto record = store::get_ca(txn, bundle.ca_id);
  if (!record) {
    refuse("ca", "CA " + bundle.ca_id + " is not in the store");
  }
  ImportPlan plan;
  const CaContext ca = make_ca_context(cfg, *record);
  plan.ca = ca.record;
  std::vector<IssuedCertificate> issued = issued_certificates(txn, ca.key_id);
  std::set<std::string> named;
  for (size_t i = 0; i < bundle.ca_certificates.size(); ++i) {
    const BundleCaCertificate& c = bundle.ca_certificates[i];
    const std::string object = "ca_certificates[" + std::to_string(i) + "] (CA " + c.ca_id + ")";
    if (!named.insert(c.ca_id).second) {
      refuse(object, "the same CA twice");
    }
    plan.new_cas.push_back(check_new_ca(session, txn, ca, c, object));
    X509Ptr cert = parse_cert_der(c.der);
    issued.push_back(issued_ca_certificate(cert.get(), ca.record.id));
  }
  check_crl(cfg, txn, ca, issued, bundle.crl_der, now, plan);
  check_responses(cfg, txn, ca, issued, bundle, now, plan);
  return plan;
}

}  // namespace pkirepo::signer
