#include "publisher/checkpoint_history.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "publisher/front_matter.h"

namespace pkirepo::publisher {

CheckpointHistory extend_checkpoint_history(const store::Txn& txn, const std::string& previous,
                                            const std::string& where,
                                            const audit::SignedCheckpoint& current) {
  std::optional<audit::SignedCheckpoint> last;
  size_t last_line = 0;
  std::istringstream in(previous);
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.empty()) {
      continue;
    }
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    try {
      if (j.is_discarded()) {
        throw std::runtime_error("not JSON");
      }
      last = audit::parse_checkpoint(j);
      last_line = n;
    } catch (const std::runtime_error& e) {
      throw SiteError(where + ":" + std::to_string(n) + ": " + e.what() +
                      " (the published checkpoint history is damaged; restore it from a copy)");
    }
  }
  CheckpointHistory h{previous, {}};
  if (!h.text.empty() && h.text.back() != '\n') {
    h.text += '\n';
  }
  if (last && last->count == current.count && last->head_hex == current.head_hex) {
    return h;
  }
  if (last) {
    const std::string at = where + ":" + std::to_string(last_line);
    const std::string then =
        "; published after it, so anyone holding that line can show it (a restore from a backup "
        "loses the records after the backup: docs/operations.md)";
    if (current.count < last->count) {
      h.problem = at + ": the audit log now has " + std::to_string(current.count) +
                  " records, fewer than the " + std::to_string(last->count) + " published" + then;
    } else if (std::string why = audit::prefix_problem(txn, last->count, last->head_hex);
               !why.empty()) {
      h.problem = at + ": the audit log no longer extends the last published checkpoint (" + why +
                  ")" + then;
    } else if (last->is_signed() && !current.is_signed()) {
      h.problem = at +
                  ": the last published checkpoint was signed and this one is not (the store "
                  "lost its checkpoint key?)" +
                  then;
    }
  }
  h.text += current.to_json();
  h.text += '\n';
  return h;
}

}  // namespace pkirepo::publisher
