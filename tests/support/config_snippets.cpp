#include "support/config_snippets.h"

namespace pkirepo::test {
namespace {

std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}

std::string array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& item : items) {
    out += (out.size() > 1 ? ", " : "") + quoted(item);
  }
  return out + "]";
}

}  // namespace

std::string ca_toml(const CaToml& ca) {
  std::string out = "\n[[ca]]\nid = " + quoted(ca.id) + "\nrole = " + quoted(ca.role) + "\n";
  if (!ca.parent.empty()) {
    out += "parent = " + quoted(ca.parent) + "\n";
  }
  out += "subject = " + quoted(ca.subject.empty() ? "CN=" + ca.id + ",O=Test,C=US" : ca.subject) +
         "\n";
  out += "key = { algorithm = " + quoted(ca.algorithm) +
         ", file = " + quoted("keys/" + ca.id + ".pem") + " }\n";
  out += "validity = " + quoted(ca.validity) + "\n";
  if (ca.path_len) {
    out += "path_len = " + std::to_string(*ca.path_len) + "\n";
  }
  if (!ca.profiles.empty()) {
    out += "profiles = " + array(ca.profiles) + "\n";
  }
  if (!ca.eku.empty()) {
    out += "eku = " + array(ca.eku) + "\n";
  }
  return out + ca.extra;
}

std::string profile_toml(const ProfileToml& profile) {
  return "\n[[profile]]\nid = " + quoted(profile.id) + "\nvalidity = " + quoted(profile.validity) +
         "\neku = " + array(profile.eku) + "\n" + profile.extra;
}

}  // namespace pkirepo::test
