// Every key of the `meta` database, in one place: the three programs name a meta value only
// through these, so a key cannot be spelled two ways. Layouts of the values are in schema.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pkirepo::store::meta {

// u64 BE: the schema of the store (schema.h kSchemaVersion), written with the first commit.
inline constexpr std::string_view kSchemaVersion = "schema_version";
// The audit chain (audit/audit_log.h): u64 BE count, 32 B SHA-256 of the newest record, and
// u64 BE seq ‖ i64 BE time of the newest record (a cache for status and health).
inline constexpr std::string_view kAuditCount = "audit_count";
inline constexpr std::string_view kAuditHead = "audit_head";
inline constexpr std::string_view kAuditHeadTime = "audit_head_time";
// Signed audit checkpoints (audit/checkpoint.h): the checkpoint key's SubjectPublicKeyInfo DER,
// and the newest signed checkpoint as its published JSON.
inline constexpr std::string_view kAuditCheckpointKey = "audit_checkpoint_key";
inline constexpr std::string_view kAuditCheckpoint = "audit_checkpoint";
// i64 BE: when the newest `run` committed (the responder's store age).
inline constexpr std::string_view kLastRun = "last_run";
// u64 BE: LMDB's transaction id as the newest `run` committed it; a later run that finds the
// same id knows no writer came between (signer/run.h).
inline constexpr std::string_view kRunTxnId = "run/txnid";
// u64 BE 1: the by_spki and by_domain indexes hold every certificate (store/cert_index.h).
inline constexpr std::string_view kCertIndex = "cert_index";
// u64 BE 1: every revoked certificate has its `revocations` record, so a CA's revoked set is a
// range of that database (store.h revocation_index_complete).
inline constexpr std::string_view kRevocationIndex = "revocation_index";

// u64 BE: the last cRLNumber used for a CA's shard; never reused.
[[nodiscard]] std::string crl_number(std::string_view ca_id, int shard);
// 32 B: SHA-256 of the revoked set on the shard's current CRL (signer/crl_shards.h).
[[nodiscard]] std::string crl_set(std::string_view ca_id, int shard);
// JSON: a CA's run state for cheap no-op runs (signer/run_meta.h CaRunState).
[[nodiscard]] std::string run_ca_state(std::string_view ca_id);
// JSON: the tally of OCSP responses signed since the CA's last audit record (signer/ocsp_tally.h).
[[nodiscard]] std::string run_ocsp_progress(std::string_view ca_id);
// The shared tail of OCSP responses with XXH3-64 id `id` (schema.h OcspTail):
// "ocsp_tail/<16 hex digits>".
[[nodiscard]] std::string ocsp_tail(uint64_t id);

}  // namespace pkirepo::store::meta
