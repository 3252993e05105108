#include "x509/ca_role.h"

#include <array>

namespace pkirepo {
namespace {

constexpr std::array<CaRole, 3> kRoles{CaRole::root, CaRole::intermediate, CaRole::issuing};

}  // namespace

const char* ca_role_name(CaRole r) {
  switch (r) {
    case CaRole::root:
      return "root";
    case CaRole::intermediate:
      return "intermediate";
    case CaRole::issuing:
      return "issuing";
  }
  return "?";
}

bool parse_ca_role(std::string_view name, CaRole& out) {
  for (CaRole r : kRoles) {
    if (name == ca_role_name(r)) {
      out = r;
      return true;
    }
  }
  return false;
}

}  // namespace pkirepo
