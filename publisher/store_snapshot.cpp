#include "publisher/store_snapshot.h"

#include <algorithm>
#include <map>
#include <set>

#include "policy/rules.h"
#include "publisher/front_matter.h"
#include "store/cert_index.h"
#include "store/lmdb.h"
#include "x509/cert_info.h"
#include "x509/der.h"

namespace pkirepo::publisher {

const char* ca_state_name(CaState s) {
  switch (s) {
    case CaState::active:
      return "active";
    case CaState::backup:
      return "backup";
    case CaState::retired:
      return "retired";
    case CaState::revoked:
      return "revoked";
    case CaState::not_in_root_programs:
      return "not-in-root-programs";
  }
  return "active";
}

const char* ca_state_label(CaState s) {
  switch (s) {
    case CaState::active:
      return "Active";
    case CaState::backup:
      return "Backup";
    case CaState::retired:
      return "Retired";
    case CaState::revoked:
      return "Revoked";
    case CaState::not_in_root_programs:
      return "Not in root programs";
  }
  return "Active";
}

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

std::string cert_status(const store::CertRecord& rec, UnixTime now) {
  return rec.status == store::CertStatus::revoked ? "revoked"
         : rec.not_after < now                    ? "expired"
                                                  : "good";
}

// Every CA certificate the store holds for each CA's key: the `cas` records (two CA ids may
// share a key) and, through the by_spki index, the CA certificates in `certs` (profile "ca":
// each CA certificate a parent signed, re-issued and cross-signed ones included). A store
// whose index is not complete yet shows the `cas` records only.
void read_same_key_certificates(const store::ReadTxn& txn, UnixTime now, StoreSnapshot& snap) {
  const bool indexed = store::cert_index_complete(txn);
  for (CaEntry& ca : snap.cas) {
    std::map<std::string, CaCertificate> by_fp;  // CCADB fingerprint -> certificate
    for (const CaEntry& other : snap.cas) {
      if (other.facts.spki_sha256 != ca.facts.spki_sha256) {
        continue;
      }
      CaCertificate c;
      c.issuer_ca = other.parent.empty() ? other.id : other.parent;
      c.current = other.id == ca.id;
      c.held_by = other.id;
      c.der = other.der;
      c.facts = other.facts;
      c.status = other.status == CaStatus::revoked ? "revoked"
                 : other.facts.not_after < now     ? "expired"
                                                   : "good";
      c.issued_at = other.created;
      c.revoked_at = other.revoked_at;
      by_fp[c.facts.sha256_ccadb] = std::move(c);
    }
    X509Ptr cert = parse_cert_der(ca.der);
    if (indexed && cert) {
      for (const Bytes& key : store::certs_by_spki(txn, spki_sha256(cert.get()))) {
        if (key.size() <= Sha1Digest{}.size()) {
          continue;
        }
        Sha1Digest issuer_key_id{};
        std::copy(key.begin(), key.begin() + static_cast<std::ptrdiff_t>(issuer_key_id.size()),
                  issuer_key_id.begin());
        ByteView serial(key.data() + issuer_key_id.size(), key.size() - issuer_key_id.size());
        auto rec = store::get_cert(txn, issuer_key_id, serial);
        if (!rec || rec->profile != "ca") {
          continue;
        }
        CertFacts facts = cert_facts(rec->der, "store certs/" + rec->ca_id + " CA certificate");
        auto [it, inserted] = by_fp.try_emplace(facts.sha256_ccadb);
        CaCertificate& c = it->second;
        if (inserted) {
          c.der = rec->der;
          c.facts = std::move(facts);
        }
        c.issuer_ca = rec->ca_id;
        c.status = cert_status(*rec, now);
        c.issued_at = rec->issued_at;
        if (rec->status == store::CertStatus::revoked) {
          c.revoked_at = rec->revocation_time;
          c.revocation_reason = policy::reason_name(rec->reason);
        }
      }
    }
    for (auto& [fp, c] : by_fp) {
      ca.same_key.push_back(std::move(c));
    }
    std::sort(ca.same_key.begin(), ca.same_key.end(),
              [](const CaCertificate& a, const CaCertificate& b) {
                return a.facts.not_before != b.facts.not_before
                           ? a.facts.not_before < b.facts.not_before
                           : a.facts.sha256_ccadb < b.facts.sha256_ccadb;
              });
  }
}

}  // namespace

void derive_ca_states(const Config& config, StoreSnapshot& snap) {
  std::map<std::string, const CaEntry*> by_id;
  for (const CaEntry& ca : snap.cas) {
    by_id[ca.id] = &ca;
  }
  // The root at the top of `id`'s chain, and the chain itself (bounded: no cycles).
  auto chain_of = [&](const std::string& id) {
    std::vector<std::string> chain;
    auto it = by_id.find(id);
    while (it != by_id.end() && !it->second->parent.empty() && chain.size() < 16) {
      chain.push_back(it->second->parent);
      it = by_id.find(it->second->parent);
    }
    return chain;
  };
  auto root_included = [&](const std::string& root) {
    const CaConfig* c = config.find_ca(root);
    return c == nullptr || c->in_root_programs;
  };
  for (CaEntry& ca : snap.cas) {
    ca.chain = chain_of(ca.id);
  }
  for (CaEntry& ca : snap.cas) {
    const std::string root = ca.chain.empty() ? ca.id : ca.chain.back();
    // A certificate for this key signed by a CA whose own root is included (a cross-sign)
    // makes the CA trusted through that root.
    bool included = root_included(root);
    for (const CaCertificate& c : ca.same_key) {
      if (c.status != "good" || c.issuer_ca == ca.id || !by_id.count(c.issuer_ca)) {
        continue;
      }
      std::vector<std::string> up = chain_of(c.issuer_ca);
      included = included || root_included(up.empty() ? c.issuer_ca : up.back());
    }
    const CaConfig* cfg = config.find_ca(ca.id);
    ca.state_reason = ca.status_reason;
    if (ca.status == CaStatus::revoked) {
      ca.state = CaState::revoked;
    } else if (ca.status == CaStatus::retired) {
      ca.state = CaState::retired;
    } else if (cfg != nullptr && cfg->backup) {
      ca.state = CaState::backup;
      ca.state_reason = "kept ready to take over; issues nothing until then (ca.backup)";
    } else if (!included) {
      ca.state = CaState::not_in_root_programs;
      ca.state_reason = root == ca.id ? "not included in the browsers' root programs"
                                      : "below root " + root +
                                            ", which is not included in the browsers' root "
                                            "programs";
    } else {
      ca.state = CaState::active;
    }
  }
}

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
    e.created = r.created;
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
          e.revoked_at = rec->revocation_time;
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
  read_same_key_certificates(txn, now, snap);
  derive_ca_states(config, snap);

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
    struct Kind {
      std::string kind, serial, url;
    };
    for (const auto& [kind, serial, url] :
         {Kind{"valid", tc.valid, tc.valid_url}, Kind{"revoked", tc.revoked, tc.revoked_url},
          Kind{"expired", tc.expired, tc.expired_url}}) {
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
      t.status = cert_status(*rec, now);
      t.url = url;
      // An "expired" one still good is check_test_websites()'s finding (it names the notAfter).
      if (t.status != kind && !(kind == "valid" && t.status == "good") &&
          !(kind == "expired" && t.status == "good")) {
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
