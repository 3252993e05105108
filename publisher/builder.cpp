#include "publisher/builder.h"

#include "publisher/build_fingerprint.h"
#include "publisher/pages.h"
#include "store/store.h"

namespace pkirepo::publisher {

SiteFiles render_site(const Config& config, const SiteSource& source, const StoreSnapshot& snapshot,
                      const Templates& templates, UnixTime now) {
  PageWriter w(config, source, snapshot, templates, now);
  render_documents(w);
  render_certificates(w);
  render_ca_inventory(w);
  render_crls(w);
  render_test_certificates(w);
  render_audits(w);
  render_incidents(w);
  render_home(w);  // after incidents: it shows their table
  render_problem_report(w);
  render_not_found(w);
  render_feed(w);     // after every page that announces itself
  render_sitemap(w);  // after every HTML page
  w.add_file("style.css", templates.stylesheet());
  w.add_file("print.css", templates.print_stylesheet());
  return w.take_files();
}

BuildResult build_site(const Config& config, const BuildOptions& options, UnixTime now) {
  SiteSource source = load_site_source(config.site.source);
  Templates templates(config.site.templates);
  StoreSnapshot snapshot;
  {
    store::ReadStore st(config.repository.store);
    snapshot = read_store(config, st, now);
  }
  BuildResult result;
  result.findings = compute_findings(config, source, snapshot, now);
  if (options.strict && !result.findings.empty()) {
    result.refused = true;
    return result;
  }
  const std::filesystem::path output = options.output.empty() ? config.site.output : options.output;
  const std::string fingerprint = build_fingerprint(config, source, templates, snapshot, now);
  if (!fingerprint.empty() && output_is_current(output, fingerprint, result.files)) {
    result.stats.unchanged = result.files;
    return result;  // same inputs, same files on disk: nothing to render, nothing to write
  }
  SiteFiles site = render_site(config, source, snapshot, templates, now);
  result.files = site.files().size();
  result.stats = commit_site(site, output);
  if (!fingerprint.empty()) {
    record_build_state(output, fingerprint, site);
  }
  return result;
}

}  // namespace pkirepo::publisher
