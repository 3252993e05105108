// Where `audit verify --checkpoint` reads a published checkpoint: a file, or an http(s) URL
// fetched with OpenSSL's HTTP client (no other dependency). HTTPS checks the server's
// certificate against the system's trust store and its name against the URL's host.
#pragma once

#include <string>
#include <vector>

#include "audit/checkpoint.h"

namespace pkirepo::signer {

// The bytes at `source` (a path or an http:// or https:// URL). Throws std::runtime_error
// with the reason (no source name): "HTTP fetch failed: ...", "cannot read: ...".
[[nodiscard]] std::string read_checkpoint_source(const std::string& source);

struct PublishedCheckpoint {
  audit::SignedCheckpoint checkpoint;
  size_t line = 0;  // 0: the whole text was one JSON object (audit-log-checkpoint.json)
};

// audit-log-checkpoint.json (one object) or audit-log-checkpoints.jsonl (one per line, every
// non-empty line). Throws std::runtime_error "line N: reason" or "reason"; an empty text is
// an error too (a checkpoint file that says nothing proves nothing).
[[nodiscard]] std::vector<PublishedCheckpoint> parse_checkpoints(const std::string& text);

}  // namespace pkirepo::signer
