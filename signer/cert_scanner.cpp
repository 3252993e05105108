// Step 2 of a run: see cert_scanner.h. The per-certificate path (visit, the lookups) is the
// pre-signing benchmark's hot loop: it stays in this one translation unit, with the per-response
// rules inline from due.h and cert_records.h.
#include "signer/cert_scanner.h"

#include <algorithm>
#include <compare>

#include "signer/cert_records.h"
#include "signer/ocsp_signing.h"
#include "store/freshness.h"
#include "x509/der.h"

namespace pkirepo::signer {

// Finds a CA's stored responses for one CertID hash when asked in ascending key order, as the
// scanner asks (certificates and responses of a CA both sort by serial). The next response is
// then almost always the cursor's next entry: one step instead of a descent from the root,
// which at a million certificates missed the cache on every level. Views as for Txn::get().
class CertScanner::ForwardLookup {
 public:
  ForwardLookup(const store::Txn& txn, store::Db db) : cursor_(txn, db) {}

  // `key` must not be less than the key of the previous call.
  [[nodiscard]] std::optional<ByteView> get(ByteView key) {
    if (!positioned_) {
      positioned_ = true;
      valid_ = cursor_.seek(key);
    }
    for (int steps = 0; valid_; ++steps) {
      const int c = compare(cursor_.key(), key);
      if (c == 0) {
        return cursor_.value();
      }
      if (c > 0) {
        return std::nullopt;  // no response for this key; the cursor waits for a later one
      }
      valid_ = steps < 2 ? cursor_.next() : cursor_.seek(key);
    }
    return std::nullopt;
  }

 private:
  // LMDB's default order: bytes, then the shorter key first (lexicographic, as here).
  static int compare(ByteView a, ByteView b) {
    const auto c = std::lexicographical_compare_three_way(a.begin(), a.end(), b.begin(), b.end());
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }

  store::Cursor cursor_;
  bool positioned_ = false;
  bool valid_ = false;
};

namespace {

// Whether the stored revoked response of `view` can be read and states `reason`.
bool response_states(const store::Txn& txn, const store::OcspView& view, StatedReason reason) {
  const std::optional<Bytes> der = store::ocsp_der(txn, view);
  OcspResponsePtr resp = der ? parse_ocsp_response_der(*der) : nullptr;
  if (!resp) {
    return false;
  }
  OcspBasicRespPtr basic(OCSP_response_get1_basic(resp.get()));
  OCSP_SINGLERESP* single = basic ? OCSP_resp_get0(basic.get(), 0) : nullptr;
  if (single == nullptr) {
    return false;
  }
  int code = -1;
  ASN1_GENERALIZEDTIME* revtime = nullptr;
  ASN1_GENERALIZEDTIME* thisupd = nullptr;
  ASN1_GENERALIZEDTIME* nextupd = nullptr;
  return OCSP_single_get0_status(single, &code, &revtime, &thisupd, &nextupd) ==
             V_OCSP_CERTSTATUS_REVOKED &&
         reason_from_code(code) == reason;
}

}  // namespace

CertScanner::CertScanner(store::WriteStore& st, const Config& cfg, const CaContext& ca,
                         UnixTime signer_not_after, std::vector<CertIdHash> hashes, UnixTime now,
                         bool force, bool withhold_good, bool sign_ocsp)
    : st_(st),
      cfg_(cfg),
      ca_(ca),
      signer_not_after_(signer_not_after),
      hashes_(std::move(hashes)),
      now_(now),
      force_(force),
      withhold_good_(withhold_good),
      sign_ocsp_(sign_ocsp) {
  for (CertIdHash h : hashes_) {
    name_hash_[static_cast<size_t>(h)] = issuer_name_hash(ca.cert.get(), h);
    key_hash_[static_cast<size_t>(h)] = issuer_key_hash(ca.cert.get(), h);
  }
}

void CertScanner::next_chunk(size_t max_items, std::vector<OcspWork>& out) {
  filled_ = 0;
  if (done_) {
    out.clear();
    return;
  }
  store::ReadTxn txn = st_.begin_read();
  store::Cursor cursor(txn, store::Db::certs);
  Lookups responses;  // by index into hashes_
  for (size_t i = 0; i < hashes_.size(); ++i) {
    responses.push_back(std::make_unique<ForwardLookup>(txn, store::Db::ocsp));
  }
  // The revocation index shares the certs keys, so it is read in the same order.
  auto revocations = std::make_unique<ForwardLookup>(txn, store::Db::revocations);
  bool ok = cursor.seek(resume_.empty() ? ByteView(ca_.key_prefix) : ByteView(resume_));
  if (ok && !resume_.empty() && std::ranges::equal(cursor.key(), resume_)) {
    ok = cursor.next();
  }
  for (; ok; ok = cursor.next()) {
    ByteView key = cursor.key();
    if (!is_ca_cert_key(key, ca_.key_prefix)) {
      break;
    }
    visit(txn, responses, revocations, key, cursor.value(), out);
    if (filled_ >= max_items) {
      resume_.assign(key.begin(), key.end());
      out.resize(filled_);
      return;
    }
  }
  done_ = true;
  out.resize(filled_);
}

void CertScanner::visit(const store::Txn& txn, Lookups& responses,
                        std::unique_ptr<ForwardLookup>& revocations, ByteView key, ByteView value,
                        std::vector<OcspWork>& out) {
  store::CertRecord rec;
  if (!store::decode(value, rec)) {
    ++malformed;
    return;
  }
  ByteView serial = cert_key_serial(key);
  max_shard = std::max<int>(max_shard, rec.shard);
  if (rec.status == store::CertStatus::good) {
    if (const std::optional<ByteView> index = revocations->get(key)) {
      try {
        if (apply_revocation_index(rec, *index)) {
          unrevoked.push_back(to_hex(serial));  // answered and listed as revoked all the same
        }
      } catch (const std::runtime_error&) {
        // A revocation record that does not decode: something was revoked here. Nothing is
        // said about this certificate until the store is repaired.
        ++malformed;
        return;
      }
    }
  }
  if (rec.status == store::CertStatus::revoked) {
    revoked.emplace_back(rec.shard, crl_entry(cfg_, serial, rec));
  }
  if (store::certificate_expired(rec.not_after, now_)) {
    ++expired;  // not re-signed: its last response is served until it runs out, then removed
    collect_removals(responses, serial, true, lapsed_removals);
    return;
  }
  if (!rec.ocsp_url || !sign_ocsp_) {
    // A certificate without an OCSP URL (CRL-only CA, short-lived) has no responses; any left
    // from before are removed once they run out.
    ++without_ocsp;
    collect_removals(responses, serial, true, lapsed_removals);
    return;
  }
  if (withhold_good_ && rec.status == store::CertStatus::good) {
    // Nothing says "good" under a CA that may not vouch for it: its responses go now, and
    // the responder answers as for an unknown certificate.
    ++withheld;
    collect_removals(responses, serial, false, withheld_removals);
    return;
  }
  for (size_t hi = 0; hi < hashes_.size(); ++hi) {
    const CertIdHash h = hashes_[hi];
    Bytes okey = store::ocsp_key(h, name_hash_[static_cast<size_t>(h)],
                                 key_hash_[static_cast<size_t>(h)], serial);
    UnixTime prev_this_update = 0;
    bool due = force_;
    const std::optional<ByteView> v = responses[hi]->get(okey);
    if (!due) {
      store::OcspView view;
      if (!v || !store::decode_view(*v, view)) {
        due = true;
      } else {
        prev_this_update = view.this_update;
        UnixTime refresh = ocsp_refresh_point(cfg_, view.this_update, view.next_update);
        due = view.status != rec.status || now_ >= refresh ||
              (rec.status == store::CertStatus::revoked && !response_states(txn, view, rec.reason));
        if (!due) {
          ++fresh;
          next_due = std::min(next_due, refresh);
          earliest_next_update = std::min(earliest_next_update, view.next_update);
          continue;
        }
      }
    } else if (v) {
      store::OcspView view;
      if (store::decode_view(*v, view)) {
        prev_this_update = view.this_update;
      }
    }
    if (filled_ == out.size()) {
      out.emplace_back();
    }
    OcspWork& w = out[filled_++];
    w.key = std::move(okey);
    w.serial.assign(serial.begin(), serial.end());
    w.hash = h;
    w.status = ocsp_status(rec);
    const ResponseTimes times = response_times(cfg_, now_, prev_this_update, signer_not_after_);
    w.this_update = times.this_update;
    w.next_update = times.next_update;
    w.ok = false;
    w.error.clear();  // (w.value keeps its buffer for the worker to encode into)
  }
}

void CertScanner::collect_removals(Lookups& responses, ByteView serial, bool only_lapsed,
                                   std::vector<Bytes>& out) {
  for (size_t hi = 0; hi < hashes_.size(); ++hi) {
    const CertIdHash h = hashes_[hi];
    Bytes okey = store::ocsp_key(h, name_hash_[static_cast<size_t>(h)],
                                 key_hash_[static_cast<size_t>(h)], serial);
    const std::optional<ByteView> v = responses[hi]->get(okey);
    if (!v) {
      continue;
    }
    store::OcspView view;
    if (!only_lapsed || !store::decode_view(*v, view) || view.next_update <= now_) {
      out.push_back(std::move(okey));
    } else {
      next_due = std::min(next_due, view.next_update);  // removed once it runs out
    }
  }
}

}  // namespace pkirepo::signer
