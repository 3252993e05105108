// Durations as operators write them in pkirepo.toml: "90s", "30m", "8h", "4d", "397d", "25y".
// A year is 365 days and a day 86,400 s: exact calendar limits (CPS 6.3.2) are checked with
// add_years() where they matter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pkirepo {

struct Duration {
  std::int64_t seconds = 0;
  std::string text;  // as written, for messages
  friend bool operator==(const Duration& a, const Duration& b) { return a.seconds == b.seconds; }
};

// nullopt for anything but <positive integer><s|m|h|d|y>.
[[nodiscard]] std::optional<Duration> parse_duration(std::string_view text);
// "4d", "12h", "90s": the largest unit that divides evenly.
[[nodiscard]] std::string format_duration(std::int64_t seconds);

}  // namespace pkirepo
