// The dedicated TLS hierarchy of a config (Chrome Root Program policy 1.4 §4), checked once
// every CA's parent is known. Internal to config.cpp.
#pragma once

#include <set>
#include <string>

#include "config/config.h"

namespace pkirepo {

// Resolves each root's tls_dedicated (default: true above any serverAuth profile, unless the
// file in `explicit_dedication` says otherwise) and checks the CAs and profiles below it.
// Throws ConfigError naming `file`, the line and the key.
void check_tls_hierarchies(Config& cfg, const std::string& file,
                           const std::set<std::string>& explicit_dedication);

}  // namespace pkirepo
