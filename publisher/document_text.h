// The text each policy document version publishes: its Markdown with every generated fragment
// ({{pkirepo:profile-table …}} and the others) expanded from today's config and store, so the
// .md download, the HTML and the redlines all show the same full text.
//
// A version's published text never changes once the version is in effect (Mozilla Root Store
// Policy 3.3 item 4 and 3.3.6: a change needs a new version number and a changelog entry; the
// redline between versions is how relying parties see it). The publisher knows what it
// published from the output folder it builds into: `<output>/<slug>/<version>.md`. When a
// version already in effect would now read differently (a profile in the config changed, a
// root was added, the source file was edited), the build keeps publishing the text it
// published before and reports a finding naming the first line that differs, so `--strict`
// refuses until a new version states the change. A version not yet in effect is re-expanded
// on every build. Remove the published .md from the output to accept a change on purpose.
#pragma once

#include <filesystem>
#include <vector>

#include "publisher/compliance.h"
#include "publisher/markdown.h"
#include "publisher/site_source.h"
#include "x509/time.h"

namespace pkirepo::publisher {

// Fills `published` and `published_body` of every document version in `source`. Throws
// SiteError naming the file for an unknown fragment or a malformed published file.
[[nodiscard]] std::vector<ComplianceFinding> settle_document_texts(
    SiteSource& source, const FragmentResolver& fragments, const std::filesystem::path& output,
    UnixTime now);

}  // namespace pkirepo::publisher
