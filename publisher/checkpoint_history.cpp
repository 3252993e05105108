#include "publisher/checkpoint_history.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "publisher/front_matter.h"

namespace pkirepo::publisher {

std::string extend_checkpoint_history(const store::Txn& txn, const std::string& previous,
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
  std::string out = previous;
  if (!out.empty() && out.back() != '\n') {
    out += '\n';
  }
  if (last && last->count == current.count && last->head_hex == current.head_hex) {
    return out;
  }
  if (last) {
    const std::string at = where + ":" + std::to_string(last_line);
    if (current.count < last->count) {
      throw SiteError(at + ": the audit log now has " + std::to_string(current.count) +
                      " records, fewer than the " + std::to_string(last->count) +
                      " published: refusing to publish a truncated log");
    }
    if (std::string why = audit::prefix_problem(txn, last->count, last->head_hex); !why.empty()) {
      throw SiteError(at + ": the audit log no longer extends the last published checkpoint (" +
                      why + "): refusing to publish");
    }
    if (last->is_signed() && !current.is_signed()) {
      throw SiteError(at +
                      ": the last published checkpoint was signed and this one is not (the "
                      "store lost its checkpoint key?): refusing to publish");
    }
  }
  out += current.to_json();
  out += '\n';
  return out;
}

}  // namespace pkirepo::publisher
