// What config.cpp and the files that read one of its tables share. Internal to core/config.
#pragma once

#include "config/config.h"
#include "config/toml_reader.h"

namespace pkirepo {

using TableReader = TomlTableReader<ConfigError>;

// The [ocsp] table into cfg.ocsp, with its BR checks (ocsp_section.cpp). The caller finishes
// the reader (unknown keys).
void read_ocsp_table(TableReader& r, Config& cfg);

// A CA's `key` table (key_section.cpp): a file or a token key with its PIN source.
[[nodiscard]] KeyConfig read_key(TableReader& parent, const std::string& file,
                                 const std::filesystem::path& dir);
// The [pkcs11] table into cfg.pkcs11_module.
void read_pkcs11_table(TableReader& r, Config& cfg);
// ocsp.responder_pkcs11 and its PIN source, exclusive of responder key files.
void check_responder_token(TableReader& r, OcspConfig& o, const std::filesystem::path& dir);

}  // namespace pkirepo
