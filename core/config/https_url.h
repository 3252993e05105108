// The one URL shape the test websites take (BR 2.2 test web pages; CCADB "Test Website URL"):
// https://HOST[:PORT][/PATH], where HOST is a DNS name or an IPv4 address. Shared by the config
// reader (which refuses anything else) and the publisher (which checks HOST against the test
// certificate's subjectAltName).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pkirepo {

// The host of `url` ("https://valid.example.com:8443/x" -> "valid.example.com"), or
// std::nullopt with `why` set to one line saying what is wrong.
[[nodiscard]] std::optional<std::string> https_url_host(std::string_view url, std::string& why);

}  // namespace pkirepo
