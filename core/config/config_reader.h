// What config.cpp and the files that read one of its tables share. Internal to core/config.
#pragma once

#include "config/config.h"
#include "config/toml_reader.h"

namespace pkirepo {

using TableReader = TomlTableReader<ConfigError>;

// The [ocsp] table into cfg.ocsp, with its BR checks (ocsp_section.cpp). The caller finishes
// the reader (unknown keys).
void read_ocsp_table(TableReader& r, Config& cfg);

}  // namespace pkirepo
