// pkirepo-publisher build: site source + store (read-only) + templates -> static site.
//
// render_site() is pure: the same inputs and `now` give byte-identical files (nothing reads
// the clock, the environment or directory order). `now` only decides what counts as expired
// and the compliance checks; it is never printed on a page, so a rebuild with no change in the
// inputs produces the same bytes and commit_site() writes nothing.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "config/config.h"
#include "publisher/compliance.h"
#include "publisher/site_output.h"
#include "publisher/site_source.h"
#include "publisher/store_snapshot.h"
#include "publisher/templates.h"
#include "x509/time.h"

namespace pkirepo::publisher {

// Every page, file and feed of the site. Throws SiteError naming the input at fault.
[[nodiscard]] SiteFiles render_site(const Config& config, const SiteSource& source,
                                    const StoreSnapshot& snapshot, const Templates& templates,
                                    UnixTime now);

struct BuildOptions {
  std::filesystem::path output;  // empty: [site] output
  bool strict = false;           // compliance findings fail the build (nothing is written)
};

struct BuildResult {
  std::vector<ComplianceFinding> findings;
  CommitStats stats;
  size_t files = 0;
  bool refused = false;  // strict and findings: nothing written
};

// Loads config-named inputs, opens the store read-only, renders and commits. Throws
// SiteError / StoreError / ConfigError with a one-line message.
[[nodiscard]] BuildResult build_site(const Config& config, const BuildOptions& options,
                                     UnixTime now);

}  // namespace pkirepo::publisher
