// audit-log-checkpoints.jsonl: every checkpoint the site ever published, one JSON object per
// line, oldest first, append-only. Anyone who keeps a copy can later show that the CA's log
// was cut back: a checkpoint that does not extend the last one published is still appended
// (the site, with its CRLs, must not stop after a restore from a backup) but is a compliance
// finding, so `build --strict` refuses it; `audit verify --checkpoint` checks every line.
#pragma once

#include <filesystem>
#include <string>

#include "audit/checkpoint.h"
#include "store/lmdb.h"

namespace pkirepo::publisher {

inline constexpr const char* kCheckpointHistoryFile = "audit-log-checkpoints.jsonl";

struct CheckpointHistory {
  std::string text;     // the file to publish
  std::string problem;  // one line when `current` does not extend the last line; else empty
};

// The history to publish: `previous` (the file as last published; empty for none) with
// `current` appended unless its last line already has the same count and head. When `current`
// does not extend that line (fewer records, the log in `txn` no longer holds that head at that
// count, or unsigned after signed: a log restored from a backup, or rewritten), it is appended
// all the same and `problem` says so, naming `where` and the line. Throws SiteError naming
// `where` when `previous` is malformed.
[[nodiscard]] CheckpointHistory extend_checkpoint_history(const store::Txn& txn,
                                                          const std::string& previous,
                                                          const std::string& where,
                                                          const audit::SignedCheckpoint& current);

}  // namespace pkirepo::publisher
