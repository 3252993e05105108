#include "publisher/builder.h"

#include <fstream>
#include <sstream>

#include "publisher/build_fingerprint.h"
#include "publisher/checkpoint_history.h"
#include "publisher/document_text.h"
#include "publisher/fragments.h"
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
  const std::filesystem::path output = options.output.empty() ? config.site.output : options.output;
  StoreSnapshot snapshot;
  std::string history_problem;
  {
    store::ReadStore st(config.repository.store);
    snapshot = read_store(config, st, now);
    // The history as the site has it now: append-only, whatever else the build changes.
    const std::filesystem::path history = output / kCheckpointHistoryFile;
    std::string previous;
    if (std::ifstream in{history, std::ios::binary}) {
      std::ostringstream text;
      text << in.rdbuf();
      previous = text.str();
    }
    store::ReadTxn txn = st.begin_read();
    CheckpointHistory h =
        extend_checkpoint_history(txn, previous, history.string(), snapshot.published_checkpoint);
    snapshot.checkpoint_history = std::move(h.text);
    history_problem = std::move(h.problem);
  }
  const FragmentResolver fragments = make_fragment_resolver(config, snapshot);
  std::vector<ComplianceFinding> text_findings =
      settle_document_texts(source, fragments, output, now);
  BuildResult result;
  result.findings = compute_findings(config, source, snapshot, now);
  result.findings.insert(result.findings.end(), text_findings.begin(), text_findings.end());
  if (!history_problem.empty()) {
    result.findings.push_back({"audit log", "CPS 5.4.6", history_problem});
  }
  if (options.strict && !result.findings.empty()) {
    result.refused = true;
    return result;
  }
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
