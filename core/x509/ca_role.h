// A CA's place in its hierarchy: a root signs itself, an intermediate signs only CA
// certificates, an issuing CA signs subscriber certificates. Configured per CA and kept in its
// store record, so both the config and the store name it; it depends on neither.
#pragma once

#include <string_view>

namespace pkirepo {

enum class CaRole { root, intermediate, issuing };

[[nodiscard]] const char* ca_role_name(CaRole r);
// false for anything but "root", "intermediate" or "issuing".
[[nodiscard]] bool parse_ca_role(std::string_view name, CaRole& out);

}  // namespace pkirepo
