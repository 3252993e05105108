// Where key files are: see Config::ca_key_path() in config.h.
#include "config/config.h"

namespace pkirepo {

std::filesystem::path Config::ca_key_path(std::string_view ca_id,
                                          const std::string& recorded) const {
  if (const CaConfig* ca = find_ca(ca_id)) {
    return ca->key.file;
  }
  return recorded;
}

std::filesystem::path Config::responder_key_dir_of(const CaConfig& ca) const {
  return ocsp.responder_key_dir.empty() ? ca.key.file.parent_path() : ocsp.responder_key_dir;
}

std::filesystem::path Config::responder_key_path(std::string_view ca_id,
                                                 const std::string& recorded) const {
  const std::filesystem::path name = std::filesystem::path(recorded).filename();
  if (!ocsp.responder_key_dir.empty()) {
    return ocsp.responder_key_dir / name;
  }
  if (const CaConfig* ca = find_ca(ca_id)) {
    return ca->key.file.parent_path() / name;
  }
  return recorded;
}

}  // namespace pkirepo
