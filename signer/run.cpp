// `run` and `revoke --publish`: see run.h for the sequence and the meta keys.
#include "signer/run.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <compare>
#include <condition_variable>
#include <functional>
#include <iostream>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "audit/audit_log.h"
#include "policy/profiles.h"
#include "policy/rules.h"
#include "signer/ca_lifecycle.h"
#include "signer/ca_setup.h"
#include "signer/commands.h"
#include "signer/crl_signing.h"
#include "signer/ocsp_signing.h"
#include "store/freshness.h"
#include "x509/cert_info.h"
#include "x509/der.h"

namespace pkirepo::signer {

std::vector<CertIdHash> ocsp_cert_id_hashes(const Config& cfg) {
  std::vector<CertIdHash> out{CertIdHash::sha1};
  for (const auto& name : cfg.ocsp.cert_id_hashes) {
    auto h = cert_id_hash_from_name(name);
    if (h && std::find(out.begin(), out.end(), *h) == out.end()) {
      out.push_back(*h);
    }
  }
  return out;
}

UnixTime ocsp_refresh_point(const Config& cfg, UnixTime this_update, UnixTime next_update) {
  const UnixTime refresh = cfg.ocsp.refresh_after.seconds;
  const UnixTime validity = cfg.ocsp.validity.seconds;
  return std::min(this_update + refresh, next_update - (validity - refresh));
}

bool crl_sharded(const Config& cfg, CaRole role) {
  return role == CaRole::issuing && cfg.crl.shards > 1;
}

int crl_shard_count(const Config& cfg, CaRole role, int max_shard) {
  return crl_sharded(cfg, role) ? std::max(cfg.crl.shards, max_shard + 1) : 1;
}

UnixTime crl_validity(const Config& cfg, CaRole role) {
  return role == CaRole::issuing ? cfg.crl.validity.seconds : cfg.crl.root_validity.seconds;
}

namespace {

constexpr UnixTime kNever = std::numeric_limits<UnixTime>::max();
constexpr size_t kKeyIdSize = 20;

using json = nlohmann::json;

// --- small helpers ---------------------------------------------------------------------------

std::string meta_name(std::string_view prefix, std::string_view ca_id) {
  return std::string(prefix) + std::string(ca_id);
}

std::string shard_meta(std::string_view prefix, std::string_view ca_id, int shard) {
  return std::string(prefix) + std::string(ca_id) + "/" + std::to_string(shard);
}

std::optional<json> get_meta_json(const store::Txn& txn, const std::string& name) {
  auto v = txn.get(store::Db::meta, as_bytes(name));
  if (!v) {
    return std::nullopt;
  }
  json j = json::parse(v->begin(), v->end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return std::nullopt;
  }
  return j;
}

void put_meta_json(store::WriteTxn& txn, const std::string& name, const json& j) {
  txn.put(store::Db::meta, as_bytes(name), as_bytes(j.dump()));
}

// A CRLReason as responses state it: unspecified (0) is left out, like no reason (-1).
int normal_reason(int reason) {
  return reason <= 0 ? -1 : reason;
}

// Everything in the config that changes what a run would sign. When it changes, every CA is
// walked again instead of trusting the stored "next due" times.
std::string config_hash(const Config& cfg) {
  json j = {{"ocsp_validity", cfg.ocsp.validity.seconds},
            {"ocsp_refresh", cfg.ocsp.refresh_after.seconds},
            {"hashes", cfg.ocsp.cert_id_hashes},
            {"signer", cfg.ocsp.signer == OcspSigner::ca ? "ca" : "responder"},
            {"responder_validity", cfg.ocsp.responder_validity.seconds},
            {"crl_validity", cfg.crl.validity.seconds},
            {"crl_refresh_before", cfg.crl.refresh_before.seconds},
            {"crl_root_validity", cfg.crl.root_validity.seconds},
            {"shards", cfg.crl.shards},
            {"next_crl_publish", cfg.crl.next_crl_publish},
            {"base_url", cfg.repository.base_url},
            {"ocsp_path", cfg.ocsp.path}};
  return to_hex(sha256(as_bytes(j.dump()))).substr(0, 32);
}

// The reason a stored revoked response states (-1: none), or -2 when it cannot be read.
int response_reason(const store::Txn& txn, const store::OcspView& view) {
  const std::optional<Bytes> der = store::ocsp_der(txn, view);
  OcspResponsePtr resp = der ? parse_ocsp_response_der(*der) : nullptr;
  if (!resp) {
    return -2;
  }
  OcspBasicRespPtr basic(OCSP_response_get1_basic(resp.get()));
  OCSP_SINGLERESP* single = basic ? OCSP_resp_get0(basic.get(), 0) : nullptr;
  if (single == nullptr) {
    return -2;
  }
  int reason = -1;
  ASN1_GENERALIZEDTIME* revtime = nullptr;
  ASN1_GENERALIZEDTIME* thisupd = nullptr;
  ASN1_GENERALIZEDTIME* nextupd = nullptr;
  if (OCSP_single_get0_status(single, &reason, &revtime, &thisupd, &nextupd) !=
      V_OCSP_CERTSTATUS_REVOKED) {
    return -2;
  }
  return normal_reason(reason);
}

// --- the worker pool -------------------------------------------------------------------------

// A fixed set of threads that run fn(worker, item) over [0, count) and tell when done. start()
// returns at once so the main thread can scan and commit while the workers sign.
class WorkerPool {
 public:
  using Fn = std::function<void(unsigned worker, size_t item)>;
  explicit WorkerPool(unsigned threads) {
    for (unsigned i = 0; i < threads; ++i) {
      threads_.emplace_back([this, i] { loop(i); });
    }
  }
  ~WorkerPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) {
      t.join();
    }
  }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  [[nodiscard]] unsigned size() const { return static_cast<unsigned>(threads_.size()); }

  void start(size_t count, Fn fn) {
    std::lock_guard<std::mutex> lock(mutex_);
    fn_ = std::move(fn);
    count_ = count;
    next_ = 0;
    active_ = size();
    ++generation_;
    wake_.notify_all();
  }

  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return active_ == 0; });
  }

 private:
  void loop(unsigned index) {
    uint64_t seen = 0;
    for (;;) {
      Fn fn;
      size_t count = 0;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) {
          return;
        }
        seen = generation_;
        fn = fn_;
        count = count_;
      }
      for (size_t i = next_++; i < count; i = next_++) {
        fn(index, i);
      }
      std::lock_guard<std::mutex> lock(mutex_);
      if (--active_ == 0) {
        done_.notify_all();
      }
    }
  }

  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  Fn fn_;
  size_t count_ = 0;
  std::atomic<size_t> next_{0};
  unsigned active_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
};

// --- one CA ----------------------------------------------------------------------------------

struct CaContext {
  store::CaRecord record;
  X509Ptr cert;
  Sha1Digest key_id{};
  Bytes key_prefix;
  const CaConfig* config = nullptr;  // nullptr when the CA is no longer in the config
  bool sharded = false;              // partitioned CRLs (issuing CAs with crl.shards > 1)
  UnixTime crl_validity = 0;
};

CaContext make_ca_context(const Config& cfg, store::CaRecord record) {
  CaContext ca;
  ca.record = std::move(record);
  ca.cert = parse_cert_der(ca.record.cert_der);
  if (!ca.cert) {
    throw std::runtime_error("CA " + ca.record.id + ": the stored CA certificate does not parse");
  }
  ca.key_id = key_id_sha1(ca.cert.get());
  ca.key_prefix.assign(ca.key_id.begin(), ca.key_id.end());
  ca.config = cfg.find_ca(ca.record.id);
  ca.sharded = crl_sharded(cfg, ca.record.role);
  ca.crl_validity = crl_validity(cfg, ca.record.role);
  return ca;
}

// The key and certificate that sign a CA's OCSP responses.
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
// when nothing can be signed for this CA.
std::optional<OcspKeyMaterial> load_ocsp_signer(Session& session, CaContext& ca, bool rotate,
                                                RunSummary* summary,
                                                std::vector<std::string>& problems) {
  const Config& cfg = session.config();
  const UnixTime now = session.now();
  OcspKeyMaterial m;
  try {
    if (cfg.ocsp.signer == OcspSigner::ca) {
      m.cert = up_ref(ca.cert.get());
      m.key = session.load_key(ca.record.key_file);
      m.delegated = false;
    } else {
      m.cert = parse_cert_der(ca.record.responder_cert_der);
      if (!m.cert) {
        problems.push_back("CA " + ca.record.id +
                           ": the stored responder certificate does not parse");
        return std::nullopt;
      }
      const UnixTime rotate_at = not_after(m.cert.get()) - 2 * cfg.ocsp.validity.seconds;
      if (rotate && now >= rotate_at) {
        if (ca.config == nullptr) {
          problems.push_back("CA " + ca.record.id + ": responder certificate rotation is needed (" +
                             "notAfter " + rfc3339(not_after(m.cert.get())) +
                             ") but the CA is no longer in the config");
        } else if (!std::filesystem::exists(ca.record.key_file)) {
          problems.push_back("CA " + ca.record.id +
                             ": responder certificate rotation is needed (notAfter " +
                             rfc3339(not_after(m.cert.get())) + ") but the CA key " +
                             ca.record.key_file + " is offline; bring it online and run again");
        } else {
          EvpPkeyPtr ca_key = session.load_key(ca.record.key_file);
          KeyFileGuard guard;
          ResponderIssue issued =
              issue_responder_certificate(session, *ca.config, ca.cert.get(), ca_key.get(), guard);
          store::CaRecord updated = ca.record;
          const std::string old_serial = serial_hex(m.cert.get());
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
      m.key = session.load_key(ca.record.responder_key_file);
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

// One response to sign.
struct OcspWork {
  Bytes key;  // ocsp db key
  Bytes serial;
  CertIdHash hash = CertIdHash::sha1;
  OcspStatus status;
  UnixTime this_update = 0;
  UnixTime next_update = 0;
  bool ok = false;
  Bytes value;  // encoded OcspRecord
  std::string error;
};

// Tally of the OCSP responses signed for one CA since its last audit record (CPS 5.4.1 e):
// kept in meta across batches and crashed runs, turned into one audit record per run.
struct OcspTally {
  uint64_t count = 0;
  uint64_t good = 0;
  uint64_t revoked = 0;
  uint64_t sha1 = 0;
  uint64_t sha256 = 0;
  std::string serial_min;
  std::string serial_max;
  UnixTime this_update_min = 0;
  UnixTime this_update_max = 0;
  UnixTime next_update_min = 0;
  UnixTime next_update_max = 0;

  // Counts one signed response. Its serial joins serial_min/serial_max at seal(), in hex once
  // per batch rather than per response (serial_less() orders both forms alike).
  void add(const OcspWork& w) {
    ++count;
    (w.status.status == store::CertStatus::good ? good : revoked) += 1;
    (w.hash == CertIdHash::sha1 ? sha1 : sha256) += 1;
    add_times(w.this_update, w.this_update, w.next_update, w.next_update);
    if (!unsealed_ || serial_less(w.serial, unsealed_min_)) {
      unsealed_min_ = w.serial;
    }
    if (!unsealed_ || serial_less(unsealed_max_, w.serial)) {
      unsealed_max_ = w.serial;
    }
    unsealed_ = true;
  }

  void seal() {
    if (unsealed_) {
      add_serials(to_hex(unsealed_min_), to_hex(unsealed_max_));
      unsealed_ = false;
    }
  }

  void add_serials(const std::string& smin, const std::string& smax) {
    if (!smin.empty() && (serial_min.empty() || serial_less(smin, serial_min))) {
      serial_min = smin;
    }
    if (!smax.empty() && (serial_max.empty() || serial_less(serial_max, smax))) {
      serial_max = smax;
    }
  }

  void add_times(UnixTime tu_min, UnixTime tu_max, UnixTime nu_min, UnixTime nu_max) {
    this_update_min = this_update_min == 0 ? tu_min : std::min(this_update_min, tu_min);
    this_update_max = std::max(this_update_max, tu_max);
    next_update_min = next_update_min == 0 ? nu_min : std::min(next_update_min, nu_min);
    next_update_max = std::max(next_update_max, nu_max);
  }

  void merge(const json& j) {
    count += j.value("count", uint64_t{0});
    good += j.value("good", uint64_t{0});
    revoked += j.value("revoked", uint64_t{0});
    sha1 += j.value("sha1", uint64_t{0});
    sha256 += j.value("sha256", uint64_t{0});
    add_serials(j.value("serial_min", std::string()), j.value("serial_max", std::string()));
    add_times(j.value("this_update_min", UnixTime{0}), j.value("this_update_max", UnixTime{0}),
              j.value("next_update_min", UnixTime{0}), j.value("next_update_max", UnixTime{0}));
  }

  [[nodiscard]] json to_json() const {
    return {{"count", count},
            {"good", good},
            {"revoked", revoked},
            {"sha1", sha1},
            {"sha256", sha256},
            {"serial_min", serial_min},
            {"serial_max", serial_max},
            {"this_update_min", this_update_min},
            {"this_update_max", this_update_max},
            {"next_update_min", next_update_min},
            {"next_update_max", next_update_max}};
  }

  [[nodiscard]] json audit_details(const std::string& ca_id, const std::string& signer_serial,
                                   bool resumed) const {
    return {{"ca", ca_id},
            {"responses", count},
            {"good", good},
            {"revoked", revoked},
            {"cert_id_sha1", sha1},
            {"cert_id_sha256", sha256},
            {"serial_min", serial_min},
            {"serial_max", serial_max},
            {"this_update_min", rfc3339(this_update_min)},
            {"this_update_max", rfc3339(this_update_max)},
            {"next_update_min", rfc3339(next_update_min)},
            {"next_update_max", rfc3339(next_update_max)},
            {"signer_serial", signer_serial},
            {"includes_interrupted_run", resumed}};
  }

 private:
  bool unsealed_ = false;  // serials added since the last seal()
  Bytes unsealed_min_;
  Bytes unsealed_max_;
};

// Adds this batch's tally to the CA's progress record in `txn`.
void add_progress(store::WriteTxn& txn, const std::string& ca_id, const OcspTally& batch) {
  const std::string name = meta_name("run/ocsp_progress/", ca_id);
  OcspTally total = batch;
  if (auto stored = get_meta_json(txn, name)) {
    total.merge(*stored);
  }
  put_meta_json(txn, name, total.to_json());
}

// Writes the CA's single OCSP audit record for everything in its progress record.
void flush_progress(store::WriteTxn& txn, Session& session, const std::string& ca_id,
                    const std::string& signer_serial, uint64_t signed_this_run) {
  const std::string name = meta_name("run/ocsp_progress/", ca_id);
  auto stored = get_meta_json(txn, name);
  if (!stored) {
    return;
  }
  OcspTally total;
  total.merge(*stored);
  if (total.count > 0) {
    audit::append(txn, session.now(), session.operator_name(), "ocsp_responses_signed",
                  total.audit_details(ca_id, signer_serial, total.count != signed_this_run));
  }
  (void)txn.del(store::Db::meta, as_bytes(name));
}

// Finds a CA's stored responses for one CertID hash when asked in ascending key order, as the
// scanner asks (certificates and responses of a CA both sort by serial). The next response is
// then almost always the cursor's next entry: one step instead of a descent from the root,
// which at a million certificates missed the cache on every level. Views as for Txn::get().
class ForwardLookup {
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

// Walks a CA's certificates in chunks (one short read transaction each, so a long run pins no
// old pages) and collects the responses that are due, the revoked entries and the shards seen.
class CertScanner {
 public:
  CertScanner(store::WriteStore& st, const Config& cfg, const CaContext& ca,
              UnixTime signer_not_after, std::vector<CertIdHash> hashes, UnixTime now, bool force,
              bool withhold_good)
      : st_(st),
        cfg_(cfg),
        ca_(ca),
        signer_not_after_(signer_not_after),
        hashes_(std::move(hashes)),
        now_(now),
        force_(force),
        withhold_good_(withhold_good) {
    for (CertIdHash h : hashes_) {
      name_hash_[static_cast<size_t>(h)] = issuer_name_hash(ca.cert.get(), h);
      key_hash_[static_cast<size_t>(h)] = issuer_key_hash(ca.cert.get(), h);
    }
  }

  [[nodiscard]] bool done() const { return done_; }

  // Fills `out` with up to `max_items` responses that are due; empty when the CA is done. The
  // elements of `out` are reused, buffers and all: each batch is filled into the one committed
  // before it, so the workers' encoding buffers are not freed by this thread (a free from
  // another thread's malloc arena took 1.5% of a full run's CPU) and not allocated again.
  void next_chunk(size_t max_items, std::vector<OcspWork>& out) {
    filled_ = 0;
    if (done_) {
      out.clear();
      return;
    }
    store::ReadTxn txn = st_.begin_read();
    store::Cursor cursor(txn, store::Db::certs);
    std::vector<std::unique_ptr<ForwardLookup>> responses;  // by index into hashes_
    for (size_t i = 0; i < hashes_.size(); ++i) {
      responses.push_back(std::make_unique<ForwardLookup>(txn, store::Db::ocsp));
    }
    bool ok = cursor.seek(resume_.empty() ? ByteView(ca_.key_prefix) : ByteView(resume_));
    if (ok && !resume_.empty() && std::ranges::equal(cursor.key(), resume_)) {
      ok = cursor.next();
    }
    for (; ok; ok = cursor.next()) {
      ByteView key = cursor.key();
      if (key.size() <= kKeyIdSize ||
          !std::equal(ca_.key_prefix.begin(), ca_.key_prefix.end(), key.begin())) {
        break;
      }
      visit(txn, responses, key, cursor.value(), out);
      if (filled_ >= max_items) {
        resume_.assign(key.begin(), key.end());
        out.resize(filled_);
        return;
      }
    }
    done_ = true;
    out.resize(filled_);
  }

  std::vector<std::pair<int, CrlEntry>> revoked;  // (shard, entry) of every revoked certificate
  // OCSP keys to delete: responses of expired certificates that have run out (store/freshness.h),
  // and good responses of a CA that may not vouch for anything any more.
  std::vector<Bytes> lapsed_removals;
  std::vector<Bytes> withheld_removals;
  int max_shard = 0;
  uint64_t fresh = 0;
  uint64_t expired = 0;
  uint64_t withheld = 0;  // good certificates of a CA that may not vouch for them any more
  uint64_t malformed = 0;
  UnixTime next_due = kNever;  // earliest refresh point of the responses left as they are
  UnixTime earliest_next_update = kNever;

 private:
  void visit(const store::Txn& txn, std::vector<std::unique_ptr<ForwardLookup>>& responses,
             ByteView key, ByteView value, std::vector<OcspWork>& out) {
    store::CertRecord rec;
    if (!store::decode(value, rec)) {
      ++malformed;
      return;
    }
    ByteView serial = key.subspan(kKeyIdSize);
    max_shard = std::max<int>(max_shard, rec.shard);
    if (rec.status == store::CertStatus::revoked) {
      revoked.emplace_back(rec.shard,
                           CrlEntry{Bytes(serial.begin(), serial.end()), rec.revocation_time,
                                    normal_reason(rec.reason), rec.invalidity_date, rec.not_after});
    }
    if (store::certificate_expired(rec.not_after, now_)) {
      ++expired;  // not re-signed: its last response is served until it runs out, then removed
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
                (rec.status == store::CertStatus::revoked &&
                 response_reason(txn, view) != normal_reason(rec.reason));
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
      w.status = {rec.status, normal_reason(rec.reason), rec.revocation_time};
      // thisUpdate never goes backwards, even when the clock does.
      w.this_update = std::max(now_, prev_this_update);
      w.next_update = std::min(w.this_update + cfg_.ocsp.validity.seconds, signer_not_after_);
      w.ok = false;
      w.error.clear();  // (w.value keeps its buffer for the worker to encode into)
    }
  }

  // Adds the stored responses of `serial` (each CertID hash) to `out`: those past their
  // nextUpdate when `only_lapsed`, else all of them. Keeps the lookups in key order.
  void collect_removals(std::vector<std::unique_ptr<ForwardLookup>>& responses, ByteView serial,
                        bool only_lapsed, std::vector<Bytes>& out) {
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

  store::WriteStore& st_;
  const Config& cfg_;
  const CaContext& ca_;
  UnixTime signer_not_after_;
  std::vector<CertIdHash> hashes_;
  UnixTime now_;
  bool force_;
  bool withhold_good_;
  Bytes name_hash_[3];
  Bytes key_hash_[3];
  Bytes resume_;
  bool done_ = false;
  size_t filled_ = 0;  // elements of next_chunk's `out` filled so far
};

// The CRL shard of an entry, as the certificates' CDP says.
int entry_shard(const CaContext& ca, int stored_shard) {
  return ca.sharded ? stored_shard : 0;
}

std::string crl_url_of(const Config& cfg, const CaContext& ca, int shard) {
  return ca.sharded ? cfg.crl_url(ca.record.id, shard) : cfg.crl_url(ca.record.id, -1);
}

// The CCADB JSON array of every CRL URL of the CA (CCADB policy 6.2).
Bytes crl_url_list(const Config& cfg, const CaContext& ca, int shards) {
  json urls = json::array();
  for (int s = 0; s < shards; ++s) {
    urls.push_back(crl_url_of(cfg, ca, s));
  }
  std::string text = urls.dump() + "\n";
  return Bytes(text.begin(), text.end());
}

struct CrlResult {
  bool stored = false;
  std::string problem;
  store::CrlRecord record;
};

// Builds, checks and stores one CRL shard in `txn`, with its audit record. Safe to repeat
// (WriteStore::transact may run it again after growing the map).
CrlResult sign_crl_shard(Session& session, store::WriteTxn& txn, const CaContext& ca,
                         EVP_PKEY* ca_key, int shard, std::vector<CrlEntry> entries,
                         const Sha256Digest& set_hash) {
  const Config& cfg = session.config();
  const std::string id = ca.record.id;
  CrlResult result;
  auto previous = store::get_crl(txn, id, shard);
  const std::string number_name = shard_meta("crl_number/", id, shard);
  uint64_t last_number = store::get_meta_u64(txn, number_name).value_or(0);
  if (previous) {
    last_number = std::max(last_number, previous->crl_number);
  }
  CrlSpec spec;
  spec.issuer = ca.cert.get();
  spec.key = ca_key;
  spec.crl_number = last_number + 1;  // RFC 5280 5.2.3: strictly increasing, never reused
  spec.this_update = previous ? std::max(session.now(), previous->this_update + 1) : session.now();
  spec.next_update = spec.this_update + ca.crl_validity;
  if (ca.sharded) {
    spec.idp_url = crl_url_of(cfg, ca, shard);
  }
  if (cfg.crl.next_crl_publish) {
    spec.next_publish = spec.next_update - cfg.crl.refresh_before.seconds;
  }
  spec.entries = std::move(entries);
  X509CrlPtr crl = build_crl(spec);
  result.record.crl_number = spec.crl_number;
  result.record.this_update = spec.this_update;
  result.record.next_update = spec.next_update;
  result.record.entries = static_cast<uint32_t>(spec.entries.size());
  result.record.der = to_der(crl.get());
  result.record.etag = "\"" + to_hex(sha256(result.record.der)) + "\"";
  result.problem =
      check_crl_safety(previous ? &*previous : nullptr, result.record, ca.cert.get(), spec.entries,
                       [&](ByteView serial) -> std::optional<UnixTime> {
                         auto rec = store::get_cert(txn, ca.key_id, serial);
                         return rec ? std::optional<UnixTime>(rec->not_after) : std::nullopt;
                       });
  if (!result.problem.empty()) {
    return result;
  }
  txn.put(store::Db::crls, store::crl_key(id, shard), store::encode(result.record));
  store::put_meta_u64(txn, number_name, spec.crl_number);
  txn.put(store::Db::meta, as_bytes(shard_meta("crl_set/", id, shard)), set_hash);
  std::string smin;
  std::string smax;
  for (const CrlEntry& e : spec.entries) {
    std::string s = to_hex(e.serial);
    if (smin.empty() || serial_less(s, smin)) {
      smin = s;
    }
    if (smax.empty() || serial_less(smax, s)) {
      smax = s;
    }
  }
  audit::append(txn, session.now(), session.operator_name(), "crl_signed",
                {{"ca", id},
                 {"shard", shard},
                 {"url", crl_url_of(cfg, ca, shard)},
                 {"crl_number", spec.crl_number},
                 {"this_update", rfc3339(spec.this_update)},
                 {"next_update", rfc3339(spec.next_update)},
                 {"entries", spec.entries.size()},
                 {"serial_min", smin},
                 {"serial_max", smax},
                 {"bytes", result.record.der.size()},
                 {"sha256", to_hex(sha256(result.record.der))}});
  result.stored = true;
  return result;
}

// Per-CA state kept in meta "run/ca/<ca>" for cheap no-op runs.
struct CaRunState {
  UnixTime due = kNever;
  UnixTime earliest_next_update = kNever;
  uint64_t fresh = 0;
  uint64_t crls = 0;
  std::string config;
};

std::optional<CaRunState> read_ca_state(const store::Txn& txn, const std::string& ca_id) {
  auto j = get_meta_json(txn, meta_name("run/ca/", ca_id));
  if (!j) {
    return std::nullopt;
  }
  CaRunState s;
  s.due = j->value("due", UnixTime{0});
  s.earliest_next_update = j->value("earliest_next_update", kNever);
  s.fresh = j->value("responses", uint64_t{0});
  s.crls = j->value("crls", uint64_t{0});
  s.config = j->value("config", std::string());
  return s;
}

class CaRun {
 public:
  CaRun(Session& session, const RunOptions& options, WorkerPool& pool, RunSummary& summary,
        CaContext ca)
      : session_(session),
        cfg_(session.config()),
        options_(options),
        pool_(pool),
        summary_(summary),
        ca_(std::move(ca)) {}

  void run() {
    const UnixTime now = session_.now();
    std::vector<std::string> problems;
    std::optional<std::string> unusable;
    {
      store::ReadTxn txn = session_.store().begin_read();
      unusable = ca_unusable_reason(txn, ca_.record.id, now);
    }
    // A dead CA gets no new responder certificate either: that would be issuance.
    auto material = load_ocsp_signer(session_, ca_, !unusable, &summary_, problems);
    UnixTime signer_not_after = material ? material->not_after : now;
    UnixTime due = kNever;
    if (material && material->delegated) {
      due = std::min(due, material->not_after - 2 * cfg_.ocsp.validity.seconds);
    }

    // OCSP: scan, sign and commit in a pipeline.
    CertScanner scanner(session_.store(), cfg_, ca_, signer_not_after, ocsp_cert_id_hashes(cfg_),
                        now, options_.force, unusable.has_value());
    std::vector<std::unique_ptr<OcspSigningContext>> contexts;
    if (material) {
      for (unsigned i = 0; i < pool_.size(); ++i) {
        contexts.push_back(std::make_unique<OcspSigningContext>(*material->signer));
      }
    }
    const store::OcspTail tail = material ? material->tail() : store::OcspTail{};
    uint64_t signed_here = 0;
    uint64_t failed_here = 0;
    std::vector<OcspWork> pending;
    std::vector<OcspWork> next;  // after the swap below: the batch last committed, to refill
    scanner.next_chunk(options_.batch_size, pending);
    start_signing(pending, contexts, tail);
    while (!pending.empty()) {
      scanner.next_chunk(options_.batch_size, next);  // overlaps signing
      pool_.wait();
      start_signing(next, contexts, tail);
      commit(pending, tail, signed_here, failed_here, due);  // overlaps signing of `next`
      std::swap(pending, next);
    }
    pool_.wait();
    if (failed_here > 0 && !material) {
      problems.push_back("CA " + ca_.record.id + ": " + std::to_string(failed_here) +
                         " OCSP responses are due and could not be signed");
    }
    if (unusable) {
      problems.push_back(*unusable + ": CA " + ca_.record.id + " signs no new \"good\" status (" +
                         std::to_string(scanner.withheld) + " certificates withheld)");
    }
    remove_responses(scanner.lapsed_removals,
                     "the certificates expired and their last "
                     "responses ran out");
    remove_responses(scanner.withheld_removals, unusable ? *unusable : std::string());
    if (scanner.malformed > 0) {
      problems.push_back("CA " + ca_.record.id + ": " + std::to_string(scanner.malformed) +
                         " malformed certificate records were skipped");
    }
    summary_.ocsp_signed += signed_here;
    summary_.ocsp_failed += failed_here;
    summary_.ocsp_not_due += scanner.fresh;
    summary_.ocsp_expired += scanner.expired;
    due = std::min(due, scanner.next_due);
    UnixTime earliest = std::min(scanner.earliest_next_update, earliest_signed_);

    // CRLs.
    const int shards = crl_shard_count(cfg_, ca_.record.role, scanner.max_shard);
    std::vector<std::vector<CrlEntry>> by_shard(static_cast<size_t>(shards));
    for (auto& [shard, entry] : scanner.revoked) {
      if (crl_keeps(entry, now)) {
        by_shard[static_cast<size_t>(entry_shard(ca_, shard))].push_back(std::move(entry));
      }
    }
    uint64_t crls_present = 0;
    EvpPkeyPtr ca_key;
    bool ca_key_failed = false;
    for (int s = 0; s < shards; ++s) {
      auto& entries = by_shard[static_cast<size_t>(s)];
      Sha256Digest set_hash = crl_entry_set_hash(entries);
      std::optional<store::CrlRecord> previous;
      bool same_set = false;
      {
        store::ReadTxn txn = session_.store().begin_read();
        previous = store::get_crl(txn, ca_.record.id, s);
        auto stored = txn.get(store::Db::meta, as_bytes(shard_meta("crl_set/", ca_.record.id, s)));
        same_set = stored && std::ranges::equal(*stored, set_hash);
      }
      const UnixTime refresh_at =
          previous ? previous->next_update - cfg_.crl.refresh_before.seconds : 0;
      if (previous && same_set && now < refresh_at && !options_.force) {
        ++summary_.crl_not_due;
        ++crls_present;
        due = std::min(due, refresh_at);
        earliest = std::min(earliest, previous->next_update);
        continue;
      }
      if (!ca_key && !ca_key_failed) {
        try {
          ca_key = session_.load_key(ca_.record.key_file);
        } catch (const std::exception& e) {
          ca_key_failed = true;
          problems.push_back("CA " + ca_.record.id +
                             ": CRLs are due but the CA key cannot be used: " + e.what());
        }
      }
      if (!ca_key) {
        ++summary_.crl_failed;
        due = now;
        if (previous) {
          earliest = std::min(earliest, previous->next_update);
          ++crls_present;
        }
        continue;
      }
      CrlResult result;
      session_.store().transact([&](store::WriteTxn& txn) {
        result = sign_crl_shard(session_, txn, ca_, ca_key.get(), s, entries, set_hash);
      });
      if (!result.stored) {
        ++summary_.crl_failed;
        problems.push_back("CA " + ca_.record.id + ": CRL shard " + std::to_string(s) +
                           " refused: " + result.problem);
        due = now;
        if (previous) {
          earliest = std::min(earliest, previous->next_update);
          ++crls_present;
        }
        continue;
      }
      ++summary_.crl_signed;
      ++crls_present;
      due = std::min(due, result.record.next_update - cfg_.crl.refresh_before.seconds);
      earliest = std::min(earliest, result.record.next_update);
    }
    if (failed_here > 0) {
      due = now;
    }

    // Last transaction: the CA's OCSP audit record, its CRL URL list, its next due time.
    const std::string signer_serial = material ? serial_hex(material->cert.get()) : "";
    const Bytes url_list = crl_url_list(cfg_, ca_, shards);
    CaRunState state{due, earliest, scanner.fresh + signed_here, crls_present, config_hash(cfg_)};
    session_.store().transact([&](store::WriteTxn& txn) {
      flush_progress(txn, session_, ca_.record.id, signer_serial, signed_here);
      Bytes list_key = store::crl_list_key(ca_.record.id);
      auto existing = txn.get(store::Db::crls, list_key);
      store::CrlRecord current;
      if (!existing || !store::decode(*existing, current) || current.der != url_list) {
        store::CrlRecord list;
        list.entries = static_cast<uint32_t>(shards);
        list.this_update = now;
        list.der = url_list;
        list.etag = "\"" + to_hex(sha256(url_list)) + "\"";
        txn.put(store::Db::crls, list_key, store::encode(list));
      }
      put_meta_json(txn, meta_name("run/ca/", ca_.record.id),
                    {{"due", state.due},
                     {"earliest_next_update", state.earliest_next_update},
                     {"responses", state.fresh},
                     {"crls", state.crls},
                     {"config", state.config}});
    });
    if (earliest != kNever) {
      merge_earliest(earliest);
    }
    for (auto& p : problems) {
      summary_.problems.push_back(std::move(p));
    }
  }

 private:
  void merge_earliest(UnixTime t) {
    summary_.earliest_next_update =
        summary_.earliest_next_update == 0 ? t : std::min(summary_.earliest_next_update, t);
  }

  // Deletes OCSP records in one transaction with one audit record saying why (CPS 5.4.1).
  void remove_responses(const std::vector<Bytes>& keys, const std::string& why) {
    if (keys.empty()) {
      return;
    }
    session_.store().transact([&](store::WriteTxn& txn) {
      for (const Bytes& key : keys) {
        (void)txn.del(store::Db::ocsp, key);
      }
      audit::append(txn, session_.now(), session_.operator_name(), "ocsp_responses_removed",
                    {{"ca", ca_.record.id}, {"count", keys.size()}, {"reason", why}});
    });
    summary_.ocsp_removed += keys.size();
  }

  void start_signing(std::vector<OcspWork>& batch,
                     std::vector<std::unique_ptr<OcspSigningContext>>& contexts,
                     const store::OcspTail& tail) {
    if (batch.empty() || contexts.empty()) {
      return;
    }
    OcspWork* items = batch.data();  // stays put: only the other batch is refilled meanwhile
    records_.resize(contexts.size());
    store::OcspRecord* records = records_.data();  // one per worker, buffers reused
    pool_.start(batch.size(), [items, records, &contexts, &tail](unsigned worker, size_t i) {
      OcspWork& w = items[i];
      store::OcspRecord& record = records[worker];
      if (w.this_update >= w.next_update) {
        w.error = "the signer certificate expires before this response could start";
        return;
      }
      w.ok = contexts[worker]->sign(w.hash, w.serial, w.status, w.this_update, w.next_update,
                                    record, w.error);
      if (w.ok) {
        store::encode_into(record, &tail, w.value);
      }
    });
  }

  void commit(std::vector<OcspWork>& batch, const store::OcspTail& tail, uint64_t& signed_count,
              uint64_t& failed_count, UnixTime& due) {
    OcspTally tally;
    for (const OcspWork& w : batch) {
      if (w.ok) {
        tally.add(w);
        due = std::min(due, ocsp_refresh_point(cfg_, w.this_update, w.next_update));
        earliest_signed_ = std::min(earliest_signed_, w.next_update);
      } else {
        ++failed_count;
        if (!w.error.empty() && failure_lines_ < 5) {
          ++failure_lines_;
          problem_lines_.push_back("CA " + ca_.record.id + ": serial " + to_hex(w.serial) +
                                   ": OCSP signing failed: " + w.error);
        }
      }
    }
    tally.seal();
    if (tally.count > 0) {
      session_.store().transact([&](store::WriteTxn& txn) {
        store::put_ocsp_tail(txn, tail);  // with the first records that name it
        // One cursor per CertID hash: each hash's keys come in order (they sort like the
        // certificates), so most puts land on the page the previous one did.
        std::unique_ptr<store::Cursor> by_hash[3];
        for (const OcspWork& w : batch) {
          if (w.ok) {
            auto& cursor = by_hash[static_cast<size_t>(w.hash)];
            if (!cursor) {
              cursor = std::make_unique<store::Cursor>(txn, store::Db::ocsp);
            }
            cursor->put(w.key, w.value);
          }
        }
        add_progress(txn, ca_.record.id, tally);
      });
    }
    signed_count += tally.count;
    for (auto& p : problem_lines_) {
      summary_.problems.push_back(std::move(p));
    }
    problem_lines_.clear();
  }

  Session& session_;
  const Config& cfg_;
  const RunOptions& options_;
  WorkerPool& pool_;
  RunSummary& summary_;
  CaContext ca_;
  UnixTime earliest_signed_ = kNever;
  std::vector<store::OcspRecord> records_;  // each worker's scratch record
  int failure_lines_ = 0;
  std::vector<std::string> problem_lines_;
};

}  // namespace

RunSummary run_signing(Session& session, const RunOptions& options) {
  const Config& cfg = session.config();
  const UnixTime now = session.now();
  store::WriteStore& st = session.store();
  RunSummary summary;

  std::vector<store::CaRecord> cas;
  bool unchanged = false;
  std::vector<std::optional<CaRunState>> states;
  {
    store::ReadTxn txn = st.begin_read();
    cas = store::list_cas(txn);
    MDB_envinfo info;
    mdb_env_info(st.env().handle(), &info);
    auto last = store::get_meta_u64(txn, "run/txnid");
    unchanged = last && *last == static_cast<uint64_t>(info.me_last_txnid);
    for (const auto& ca : cas) {
      states.push_back(read_ca_state(txn, ca.id));
    }
  }
  if (cas.empty()) {
    throw std::runtime_error(cfg.repository.store.string() +
                             ": no CA in the store (run pkirepo-signer init first)");
  }
  const std::string hash = config_hash(cfg);
  unsigned threads =
      options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  std::unique_ptr<WorkerPool> pool;
  bool wrote = false;
  for (size_t i = 0; i < cas.size(); ++i) {
    const auto& state = states[i];
    if (unchanged && !options.force && state && state->config == hash && now < state->due) {
      ++summary.cas_unchanged;
      summary.ocsp_not_due += state->fresh;
      summary.crl_not_due += state->crls;
      if (state->earliest_next_update != kNever) {
        summary.earliest_next_update =
            summary.earliest_next_update == 0
                ? state->earliest_next_update
                : std::min(summary.earliest_next_update, state->earliest_next_update);
      }
      continue;
    }
    if (!pool) {
      pool = std::make_unique<WorkerPool>(threads);
    }
    CaRun(session, options, *pool, summary, make_ca_context(cfg, std::move(cas[i]))).run();
    wrote = true;
  }
  if (wrote) {
    st.transact([&](store::WriteTxn& txn) {
      store::put_meta_u64(txn, "last_run", static_cast<uint64_t>(now));
      store::put_meta_u64(txn, "run/txnid", static_cast<uint64_t>(mdb_txn_id(txn.handle())));
    });
  }
  return summary;
}

// --- revoke --publish ------------------------------------------------------------------------

struct RevocationPublisher::State {
  CaContext ca;
  std::optional<OcspKeyMaterial> material;
  EvpPkeyPtr ca_key;
};

RevocationPublisher::RevocationPublisher(Session& session, const std::string& ca_id)
    : session_(session), state_(std::make_unique<State>()) {
  std::optional<store::CaRecord> record;
  {
    store::ReadTxn txn = session.store().begin_read();
    record = store::get_ca(txn, ca_id);
  }
  if (!record) {
    throw std::runtime_error("--ca " + ca_id + ": unknown CA (not in the store)");
  }
  state_->ca = make_ca_context(session.config(), std::move(*record));
  std::vector<std::string> problems;
  state_->material = load_ocsp_signer(session, state_->ca, false, nullptr, problems);
  if (!state_->material) {
    throw std::runtime_error("--publish: " +
                             (problems.empty() ? std::string("no OCSP signer") : problems.front()));
  }
  try {
    state_->ca_key = session.load_key(state_->ca.record.key_file);
  } catch (const std::exception& e) {
    throw std::runtime_error("--publish: the CRL of CA " + ca_id +
                             " needs the CA key, which cannot be used: " + e.what() +
                             " (revoke without --publish and run later)");
  }
}

RevocationPublisher::~RevocationPublisher() = default;

RevocationPublisher::Outcome RevocationPublisher::publish(store::WriteTxn& txn,
                                                          const RevocationResult& revocation) {
  const Config& cfg = session_.config();
  const UnixTime now = session_.now();
  const CaContext& ca = state_->ca;
  OcspKeyMaterial& m = *state_->material;
  Outcome outcome;
  Bytes serial;
  if (!parse_serial_hex(revocation.serial_hex, serial)) {
    throw std::runtime_error("--serial " + revocation.serial_hex + ": not a hexadecimal serial");
  }
  const store::CertRecord& rec = revocation.record;

  // OCSP: every CertID hash, at once (CPS 4.9.7).
  OcspSigningContext ctx(*m.signer);
  const store::OcspTail tail = m.tail();
  store::put_ocsp_tail(txn, tail);
  OcspTally tally;
  for (CertIdHash h : ocsp_cert_id_hashes(cfg)) {
    OcspWork w;
    w.key = m.signer->store_key(h, serial);
    w.serial = serial;
    w.hash = h;
    w.status = {rec.status, normal_reason(rec.reason), rec.revocation_time};
    UnixTime prev = 0;
    if (auto v = txn.get(store::Db::ocsp, w.key)) {
      store::OcspView view;
      if (store::decode_view(*v, view)) {
        prev = view.this_update;
      }
    }
    w.this_update = std::max(now, prev);
    w.next_update = std::min(w.this_update + cfg.ocsp.validity.seconds, m.not_after);
    store::OcspRecord record;
    if (!ctx.sign(h, serial, w.status, w.this_update, w.next_update, record, w.error)) {
      throw std::runtime_error("--publish: OCSP signing failed: " + w.error);
    }
    store::encode_into(record, &tail, w.value);
    txn.put(store::Db::ocsp, w.key, w.value);
    tally.add(w);
  }
  tally.seal();
  audit::append(txn, now, session_.operator_name(), "ocsp_responses_signed",
                tally.audit_details(ca.record.id, serial_hex(m.cert.get()), false));
  outcome.responses = tally.count;

  // The CRL shard: every revoked certificate of the CA in that shard, from the store as this
  // transaction sees it (with the new revocation).
  const int shard = entry_shard(ca, rec.shard);
  std::vector<CrlEntry> entries;
  store::Cursor cursor(txn, store::Db::certs);
  for (bool ok = cursor.seek(ca.key_prefix); ok; ok = cursor.next()) {
    ByteView key = cursor.key();
    if (key.size() <= kKeyIdSize ||
        !std::equal(ca.key_prefix.begin(), ca.key_prefix.end(), key.begin())) {
      break;
    }
    store::CertRecord r;
    if (!store::decode(cursor.value(), r) || r.status != store::CertStatus::revoked ||
        entry_shard(ca, r.shard) != shard) {
      continue;
    }
    ByteView s = key.subspan(kKeyIdSize);
    CrlEntry e{Bytes(s.begin(), s.end()), r.revocation_time, normal_reason(r.reason),
               r.invalidity_date, r.not_after};
    if (crl_keeps(e, now)) {
      entries.push_back(std::move(e));
    }
  }
  Sha256Digest set_hash = crl_entry_set_hash(entries);
  CrlResult result =
      sign_crl_shard(session_, txn, ca, state_->ca_key.get(), shard, std::move(entries), set_hash);
  if (!result.stored) {
    throw std::runtime_error("--publish: CRL shard " + std::to_string(shard) + " of CA " +
                             ca.record.id + " refused: " + result.problem);
  }
  outcome.shard = shard;
  outcome.crl_number = result.record.crl_number;
  outcome.this_update = result.record.this_update;
  return outcome;
}

// --- the command -----------------------------------------------------------------------------

namespace {

int run_command(CommandRunner& runner, const RunOptions& options) {
  auto started = std::chrono::steady_clock::now();
  Session session(runner.globals, runner.now);
  if (options.batch_size == 0) {
    throw std::runtime_error("--batch-size 0: must be at least 1");
  }
  // Never create a store as a side effect: `run` works on what `init` made.
  const auto& store_dir = session.config().repository.store;
  if (!std::filesystem::exists(store_dir / "data.mdb")) {
    throw std::runtime_error(store_dir.string() +
                             ": no store here (run pkirepo-signer init first)");
  }
  check_profile_dates(session.config(), session.now(), false);
  RunSummary s = run_signing(session, options);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  for (const auto& p : s.problems) {
    std::cerr << "pkirepo-signer: run: " << p << "\n";
  }
  std::cout << "run: OCSP " << s.ocsp_signed << " signed, " << s.ocsp_not_due << " not due, "
            << s.ocsp_expired << " expired certificates skipped, " << s.ocsp_failed << " failed, "
            << s.ocsp_removed << " removed; CRLs " << s.crl_signed << " signed, " << s.crl_not_due
            << " not due, " << s.crl_failed << " failed";
  if (s.rotations > 0) {
    std::cout << "; " << s.rotations << " responder certificates rotated";
  }
  if (s.cas_unchanged > 0) {
    std::cout << "; " << s.cas_unchanged << " CAs unchanged since the last run";
  }
  std::cout << "; earliest nextUpdate "
            << (s.earliest_next_update == 0 ? std::string("none") : rfc3339(s.earliest_next_update))
            << "; " << secs << " s";
  if (s.ocsp_signed > 0 && secs > 0) {
    std::cout << " (" << static_cast<uint64_t>(static_cast<double>(s.ocsp_signed) / secs)
              << " responses/s)";
  }
  std::cout << "\n";
  return s.failed() ? 1 : 0;
}

}  // namespace

void add_run_command(CLI::App& app, CommandRunner& runner) {
  auto opt = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Sign every OCSP response and CRL that is due (cron-safe, idempotent)");
  cmd->add_option("--threads", opt->threads, "Signing threads (default: every core)");
  cmd->add_option("--batch-size", opt->batch_size, "OCSP responses per write transaction")
      ->capture_default_str();
  cmd->add_flag("--force", opt->force, "Re-sign every response and CRL now, due or not");
  cmd->callback([&runner, opt] { runner.exit_code = run_command(runner, *opt); });
}

}  // namespace pkirepo::signer
