// audit-log-checkpoints.jsonl: every checkpoint the site ever published, one JSON object per
// line, oldest first, append-only. Anyone who keeps a copy can later show that the CA's log
// was cut back: the publisher refuses to publish a checkpoint that does not extend the last
// one it published, and `audit verify --checkpoint` checks every line against the log.
#pragma once

#include <filesystem>
#include <string>

#include "audit/checkpoint.h"
#include "store/lmdb.h"

namespace pkirepo::publisher {

inline constexpr const char* kCheckpointHistoryFile = "audit-log-checkpoints.jsonl";

// The history to publish: `previous` (the file as last published; empty for none) with
// `current` appended unless its last line already has the same count and head. Throws SiteError
// naming `where` when `previous` is malformed, or when `current` does not extend its last line
// (fewer records, or the log in `txn` no longer holds that head at that count): a truncated or
// rewritten log is refused, never published over.
[[nodiscard]] std::string extend_checkpoint_history(const store::Txn& txn,
                                                    const std::string& previous,
                                                    const std::string& where,
                                                    const audit::SignedCheckpoint& current);

}  // namespace pkirepo::publisher
