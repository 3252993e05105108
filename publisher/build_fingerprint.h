// The fingerprint of everything a site build renders from. When it equals the last build's
// (site_output.h: output_is_current), the output would be byte-identical and rendering is
// skipped, so an input it misses would leave a stale site. What it hashes:
//   - the config file's bytes and folder (every setting, whatever the renderer reads of it);
//   - the site source's digest (SiteSource::input_digest: every file the loader read);
//   - the templates and style sheets;
//   - every field of the store snapshot that is not derived from bytes already hashed
//     (a field added to the snapshot's structs breaks the build at the size checks in
//     build_fingerprint.cpp until it is hashed there, and tests/publisher/fingerprint_test.cpp
//     changes each field in turn);
//   - the render version (bump it whenever the same inputs render differently).
#pragma once

#include <string>

#include "config/config.h"
#include "publisher/site_source.h"
#include "publisher/store_snapshot.h"
#include "publisher/templates.h"
#include "x509/time.h"

namespace pkirepo::publisher {

// Empty when `config.file` cannot be read (a config built in memory): then nothing can vouch
// for the output, and build_site() renders in full.
[[nodiscard]] std::string build_fingerprint(const Config& config, const SiteSource& source,
                                            const Templates& templates,
                                            const StoreSnapshot& snapshot, UnixTime now);

}  // namespace pkirepo::publisher
