// The audit trail of OCSP signing (CPS 5.4.1 e): one audit record per CA and run, not one per
// response. OcspTally counts the responses of a batch (or of `revoke --publish`) and their
// ranges; the CA's progress record in meta ("run/ocsp_progress/<ca>") accumulates the batches
// in the same transactions that store them, so a run killed between batches loses no count;
// flush_progress() turns the whole progress record into the one audit record at the end of the
// CA's run (including what an interrupted run left) and deletes it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "signer/ocsp_work.h"
#include "signer/session.h"
#include "store/store.h"
#include "x509/bytes.h"
#include "x509/cert_info.h"

namespace pkirepo::signer {

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
  // per batch rather than per response (serial_less() orders both forms alike). Inline: the
  // commit calls it for every response.
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

  // Folds the serials added since the last seal() into serial_min/serial_max.
  void seal();

  void add_serials(const std::string& smin, const std::string& smax);

  void add_times(UnixTime tu_min, UnixTime tu_max, UnixTime nu_min, UnixTime nu_max) {
    this_update_min = this_update_min == 0 ? tu_min : std::min(this_update_min, tu_min);
    this_update_max = std::max(this_update_max, tu_max);
    next_update_min = next_update_min == 0 ? nu_min : std::min(next_update_min, nu_min);
    next_update_max = std::max(next_update_max, nu_max);
  }

  // Adds a tally stored by to_json() (a progress record).
  void merge(const nlohmann::json& j);
  [[nodiscard]] nlohmann::json to_json() const;
  // The details of the "ocsp_responses_signed" audit record. Call seal() first.
  [[nodiscard]] nlohmann::json audit_details(const std::string& ca_id,
                                             const std::string& signer_serial, bool resumed) const;

 private:
  bool unsealed_ = false;  // serials added since the last seal()
  Bytes unsealed_min_;
  Bytes unsealed_max_;
};

// Adds this batch's tally (sealed) to the CA's progress record in `txn`.
void add_progress(store::WriteTxn& txn, const std::string& ca_id, const OcspTally& batch);

// Writes the CA's single OCSP audit record for everything in its progress record, and removes
// the record. `signed_this_run` tells whether earlier, interrupted runs are included.
void flush_progress(store::WriteTxn& txn, Session& session, const std::string& ca_id,
                    const std::string& signer_serial, uint64_t signed_this_run);

}  // namespace pkirepo::signer
