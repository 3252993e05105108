#include "config/https_url.h"

#include <algorithm>

namespace pkirepo {

std::optional<std::string> https_url_host(std::string_view url, std::string& why) {
  constexpr std::string_view kScheme = "https://";
  if (!url.starts_with(kScheme)) {
    why = "must start with https:// (test websites serve their certificate over TLS)";
    return std::nullopt;
  }
  std::string_view rest = url.substr(kScheme.size());
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    why = "must not carry a user name or password";
    return std::nullopt;
  }
  std::string_view host = authority;
  if (const size_t colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    const std::string_view port = authority.substr(colon + 1);
    const bool digits =
        !port.empty() && port.size() <= 5 &&
        std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535) {
      why = "port \"" + std::string(port) + "\" is not 1-65535";
      return std::nullopt;
    }
  }
  if (host.empty()) {
    why = "has no host";
    return std::nullopt;
  }
  // A DNS name or an IPv4 address: letters, digits, hyphens and dots, no empty label.
  const bool ldh = std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
  });
  if (!ldh || host.size() > 253 || host.front() == '.' || host.back() == '.' ||
      host.find("..") != std::string_view::npos) {
    why = "host \"" + std::string(host) + "\" is not a DNS name or an IPv4 address";
    return std::nullopt;
  }
  std::string out(host);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

}  // namespace pkirepo
