// Generated fragments a document can include, so the CPS states exactly what the signer
// enforces. A paragraph holding only one of these tags is replaced by a Markdown (GFM) table,
// so the published Markdown is the full text:
//   {{pkirepo:profile-table ID}}   the profile's extensions as policy/profiles.cpp writes them
//   {{pkirepo:key-size-table}}     the CPS 6.1.5 key table that policy::check_public_key applies
//   {{pkirepo:root-fingerprints}}  SHA-256 fingerprints of the root certificates in the store
//   {{pkirepo:ca-table}}           every CA with role, parent, validity and status
// All text from config and certificates is escaped (md_escape, md_code).
#pragma once

#include <string>

#include "config/config.h"
#include "publisher/markdown.h"
#include "publisher/store_snapshot.h"

namespace pkirepo::publisher {

// Throws SiteError for an unknown profile id.
[[nodiscard]] std::string profile_table_md(const Config& config, std::string_view profile_id);
[[nodiscard]] std::string key_size_table_md();
[[nodiscard]] std::string root_fingerprints_md(const StoreSnapshot& snapshot);
[[nodiscard]] std::string ca_table_md(const StoreSnapshot& snapshot);

// A resolver over the functions above. `config` and `snapshot` must outlive it.
[[nodiscard]] FragmentResolver make_fragment_resolver(const Config& config,
                                                      const StoreSnapshot& snapshot);

}  // namespace pkirepo::publisher
