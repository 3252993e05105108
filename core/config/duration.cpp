#include "config/duration.h"

#include <charconv>

namespace pkirepo {

std::optional<Duration> parse_duration(std::string_view text) {
  if (text.size() < 2) {
    return std::nullopt;
  }
  std::int64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    case 'y':
      unit = 365 * 86400;
      break;
    default:
      return std::nullopt;
  }
  std::string_view digits = text.substr(0, text.size() - 1);
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || p != digits.data() + digits.size() || n <= 0 || n > 1000000) {
    return std::nullopt;
  }
  return Duration{n * unit, std::string(text)};
}

std::string format_duration(std::int64_t seconds) {
  if (seconds > 0 && seconds % (365 * 86400) == 0) {
    return std::to_string(seconds / (365 * 86400)) + "y";
  }
  if (seconds > 0 && seconds % 86400 == 0) {
    return std::to_string(seconds / 86400) + "d";
  }
  if (seconds > 0 && seconds % 3600 == 0) {
    return std::to_string(seconds / 3600) + "h";
  }
  if (seconds > 0 && seconds % 60 == 0) {
    return std::to_string(seconds / 60) + "m";
  }
  return std::to_string(seconds) + "s";
}

}  // namespace pkirepo
