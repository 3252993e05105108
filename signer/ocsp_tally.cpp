// The audit trail of OCSP signing: see ocsp_tally.h.
#include "signer/ocsp_tally.h"

#include "audit/audit_log.h"
#include "signer/run_meta.h"
#include "store/meta_keys.h"
#include "x509/time.h"

namespace pkirepo::signer {

using json = nlohmann::json;

void OcspTally::seal() {
  if (unsealed_) {
    add_serials(to_hex(unsealed_min_), to_hex(unsealed_max_));
    unsealed_ = false;
  }
}

void OcspTally::add_serials(const std::string& smin, const std::string& smax) {
  if (!smin.empty() && (serial_min.empty() || serial_less(smin, serial_min))) {
    serial_min = smin;
  }
  if (!smax.empty() && (serial_max.empty() || serial_less(serial_max, smax))) {
    serial_max = smax;
  }
}

void OcspTally::merge(const json& j) {
  count += j.value("count", uint64_t{0});
  good += j.value("good", uint64_t{0});
  revoked += j.value("revoked", uint64_t{0});
  sha1 += j.value("sha1", uint64_t{0});
  sha256 += j.value("sha256", uint64_t{0});
  add_serials(j.value("serial_min", std::string()), j.value("serial_max", std::string()));
  add_times(j.value("this_update_min", UnixTime{0}), j.value("this_update_max", UnixTime{0}),
            j.value("next_update_min", UnixTime{0}), j.value("next_update_max", UnixTime{0}));
}

json OcspTally::to_json() const {
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

json OcspTally::audit_details(const std::string& ca_id, const std::string& signer_serial,
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

void add_progress(store::WriteTxn& txn, const std::string& ca_id, const OcspTally& batch) {
  const std::string name = store::meta::run_ocsp_progress(ca_id);
  OcspTally total = batch;
  if (auto stored = get_meta_json(txn, name)) {
    total.merge(*stored);
  }
  put_meta_json(txn, name, total.to_json());
}

void flush_progress(store::WriteTxn& txn, Session& session, const std::string& ca_id,
                    const std::string& signer_serial, uint64_t signed_this_run) {
  const std::string name = store::meta::run_ocsp_progress(ca_id);
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

}  // namespace pkirepo::signer
