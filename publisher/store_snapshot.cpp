#include "publisher/store_snapshot.h"

#include <algorithm>
#include <set>

#include "policy/rules.h"
#include "publisher/front_matter.h"
#include "store/lmdb.h"
#include "x509/cert_info.h"
#include "x509/der.h"

namespace pkirepo::publisher {

const char* ca_status_name(CaStatus s) {
  switch (s) {
    case CaStatus::active:
      return "active";
    case CaStatus::retired:
      return "retired";
    case CaStatus::revoked:
      return "revoked";
  }
  return "active";
}

CertFacts cert_facts(ByteView der, const std::string& where) {
  X509Ptr cert = parse_cert_der(der);
  if (!cert) {
    throw SiteError(where + ": not a DER certificate");
  }
  CertFacts f;
  f.subject = subject_string(cert.get());
  f.issuer = issuer_string(cert.get());
  f.serial_hex = serial_hex(cert.get());
  f.not_before = not_before(cert.get());
  f.not_after = not_after(cert.get());
  if (const EVP_PKEY* key = X509_get0_pubkey(cert.get())) {
    f.key = describe_key(key).text;
  } else {
    f.key = "unknown";
  }
  Sha256Digest fp = fingerprint_sha256(cert.get());
  f.sha256_colon = to_hex(fp, true, ':');
  f.sha256_ccadb = to_hex(fp, true);
  f.sha1_colon = to_hex(fingerprint_sha1(cert.get()), true, ':');
  f.spki_sha256 = to_hex(spki_sha256(cert.get()));
  f.pem = to_pem(cert.get());
  return f;
}

std::string site_path_for_url(const Config& config, const std::string& url) {
  const std::string& base = config.repository.base_url;
  if (url.size() <= base.size() + 1 || url.compare(0, base.size(), base) != 0 ||
      url[base.size()] != '/') {
    throw SiteError(url + ": not under repository.base_url " + base);
  }
  std::string path = url.substr(base.size() + 1);
  if (path.find("..") != std::string::npos || path.find("//") != std::string::npos ||
      path.find('?') != std::string::npos || path.find('#') != std::string::npos) {
    throw SiteError(url + ": not a plain file path under repository.base_url");
  }
  return path;
}

namespace {

// The URL a CRL is served at: the issuingDistributionPoint URI of a partitioned CRL (RFC 5280
// 5.2.5: byte-identical to the certificates' CDP), otherwise the CA's full-CRL URL.
std::string crl_url_of(const Config& config, const std::string& ca_id, ByteView der,
                       const std::string& where) {
  X509CrlPtr crl = parse_crl_der(der);
  if (!crl) {
    throw SiteError(where + ": not a DER CRL");
  }
  int crit = 0;
  IssuingDistPointPtr idp(static_cast<ISSUING_DIST_POINT*>(
      X509_CRL_get_ext_d2i(crl.get(), NID_issuing_distribution_point, &crit, nullptr)));
  if (idp && idp->distpoint && idp->distpoint->type == 0) {
    GENERAL_NAMES* names = idp->distpoint->name.fullname;
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
      if (gn->type == GEN_URI) {
        const ASN1_IA5STRING* uri = gn->d.uniformResourceIdentifier;
        return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                           static_cast<size_t>(ASN1_STRING_length(uri)));
      }
    }
  }
  return config.crl_url(ca_id, -1);
}

}  // namespace

StoreSnapshot read_store(const Config& config, store::ReadStore& st, UnixTime now) {
  StoreSnapshot snap;
  store::ReadTxn txn = st.begin_read();

  std::vector<store::CaRecord> records = store::list_cas(txn);
  // Parents first, then by id: the order the certificates page and the tree use.
  std::vector<store::CaRecord> ordered;
  std::set<std::string> placed;
  while (ordered.size() < records.size()) {
    size_t before = ordered.size();
    std::vector<const store::CaRecord*> ready;
    for (const auto& r : records) {
      if (!placed.count(r.id) && (r.parent.empty() || placed.count(r.parent) ||
                                  std::none_of(records.begin(), records.end(),
                                               [&](const auto& o) { return o.id == r.parent; }))) {
        ready.push_back(&r);
      }
    }
    std::sort(ready.begin(), ready.end(), [](auto* a, auto* b) { return a->id < b->id; });
    for (const auto* r : ready) {
      placed.insert(r->id);
      ordered.push_back(*r);
    }
    if (ordered.size() == before) {
      break;  // a parent cycle cannot come from the signer; stop rather than loop
    }
  }

  std::map<std::string, Bytes> ca_der;
  for (const store::CaRecord& r : ordered) {
    CaEntry e;
    e.id = r.id;
    e.role = r.role;
    e.parent = r.parent;
    e.der = r.cert_der;
    e.facts = cert_facts(r.cert_der, "store cas/" + r.id);
    ca_der[r.id] = r.cert_der;
    // Revoked: the parent's certs record for this CA certificate says so.
    if (!r.parent.empty() && ca_der.count(r.parent)) {
      X509Ptr parent = parse_cert_der(ca_der[r.parent]);
      X509Ptr cert = parse_cert_der(r.cert_der);
      if (parent && cert) {
        auto rec = store::get_cert(txn, key_id_sha1(parent.get()), serial_bytes(cert.get()));
        if (rec && rec->status == store::CertStatus::revoked) {
          e.status = CaStatus::revoked;
          e.status_reason = "revoked " + date_text(rec->revocation_time) + " (" +
                            policy::reason_name(rec->reason) + ")";
        }
      }
    }
    if (e.status == CaStatus::active) {
      if (e.facts.not_after < now) {
        e.status = CaStatus::retired;
        e.status_reason = "expired " + date_text(e.facts.not_after);
      } else if (config.find_ca(r.id) == nullptr) {
        e.status = CaStatus::retired;
        e.status_reason = "no longer in the configuration";
      }
    }
    snap.cas.push_back(std::move(e));
  }

  // CRLs: every "<ca>/<shard>" record; "<ca>/list.json" is the CCADB JSON list when the signer
  // writes one.
  store::Cursor cur(txn, store::Db::crls);
  for (bool ok = cur.first(); ok; ok = cur.next()) {
    std::string key(reinterpret_cast<const char*>(cur.key().data()), cur.key().size());
    size_t slash = key.rfind('/');
    if (slash == std::string::npos) {
      continue;
    }
    std::string ca = key.substr(0, slash);
    std::string rest = key.substr(slash + 1);
    if (rest == "list.json") {
      // The signer stores the JSON as the `der` of a CrlRecord (this_update = when written).
      store::CrlRecord list;
      if (!store::decode(cur.value(), list)) {
        throw SiteError("store crls/" + key + ": malformed record");
      }
      snap.crl_lists[ca] = std::string(list.der.begin(), list.der.end());
      continue;
    }
    int shard = 0;
    try {
      size_t used = 0;
      shard = std::stoi(rest, &used);
      if (used != rest.size()) {
        continue;
      }
    } catch (const std::exception&) {
      continue;
    }
    CrlEntry e;
    e.ca_id = ca;
    e.shard = shard;
    if (!store::decode(cur.value(), e.record)) {
      throw SiteError("store crls/" + key + ": malformed record");
    }
    e.url = crl_url_of(config, ca, e.record.der, "store crls/" + key);
    e.path = site_path_for_url(config, e.url);
    snap.crls.push_back(std::move(e));
  }
  std::sort(snap.crls.begin(), snap.crls.end(), [](const CrlEntry& a, const CrlEntry& b) {
    return a.ca_id != b.ca_id ? a.ca_id < b.ca_id : a.shard < b.shard;
  });

  for (const SiteConfig::TestCerts& tc : config.site.test_certificates) {
    auto it = ca_der.find(tc.ca);
    if (it == ca_der.end()) {
      snap.problems.push_back("site.test_certificates: CA \"" + tc.ca + "\" is not in the store");
      continue;
    }
    X509Ptr issuer = parse_cert_der(it->second);
    for (const auto& [kind, serial] : {std::pair<std::string, std::string>{"valid", tc.valid},
                                       {"revoked", tc.revoked},
                                       {"expired", tc.expired}}) {
      if (serial.empty()) {
        continue;
      }
      Bytes serial_b;
      if (!parse_serial_hex(serial, serial_b)) {
        snap.problems.push_back("site.test_certificates " + tc.ca + " " + kind + ": \"" + serial +
                                "\" is not a hex serial");
        continue;
      }
      auto rec = store::get_cert(txn, key_id_sha1(issuer.get()), serial_b);
      if (!rec) {
        snap.problems.push_back("site.test_certificates " + tc.ca + " " + kind + ": serial " +
                                serial + " was not issued by " + tc.ca);
        continue;
      }
      TestCertEntry t;
      t.ca_id = tc.ca;
      t.kind = kind;
      t.der = rec->der;
      t.facts = cert_facts(rec->der, "store certs/" + serial);
      t.status = rec->status == store::CertStatus::revoked ? "revoked"
                 : rec->not_after < now                    ? "expired"
                                                           : "good";
      if (t.status != kind && !(kind == "valid" && t.status == "good")) {
        snap.problems.push_back("site.test_certificates " + tc.ca + " " + kind + ": serial " +
                                serial + " is " + t.status + ", not " + kind);
      }
      snap.test_certificates.push_back(std::move(t));
    }
  }
  snap.checkpoint = audit::checkpoint(txn);
  snap.published_checkpoint.count = snap.checkpoint.count;
  snap.published_checkpoint.head_hex = snap.checkpoint.head_hex;
  try {
    if (EvpPkeyPtr key = audit::stored_checkpoint_key(txn)) {
      snap.checkpoint_key_pem = audit::public_key_pem(key.get());
      snap.checkpoint_key_id = audit::checkpoint_key_id(key.get());
      if (std::optional<audit::SignedCheckpoint> cp = audit::stored_checkpoint(txn)) {
        // Never publish a checkpoint the store's own key and log do not bear out.
        if (std::string why = audit::signature_problem(*cp, key.get()); !why.empty()) {
          throw SiteError("store " + config.repository.store.string() +
                          ": the stored audit checkpoint: " + why);
        }
        if (std::string why = audit::prefix_problem(txn, cp->count, cp->head_hex); !why.empty()) {
          throw SiteError("store " + config.repository.store.string() +
                          ": the stored audit checkpoint: " + why);
        }
        snap.published_checkpoint = *cp;
      }
    }
  } catch (const SiteError&) {
    throw;
  } catch (const std::runtime_error& e) {
    throw SiteError("store " + config.repository.store.string() + ": " + e.what());
  }
  return snap;
}

}  // namespace pkirepo::publisher
