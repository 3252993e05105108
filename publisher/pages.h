// The kinds of page of the repository site, one function each, in the order render_site()
// calls them (the home page shows what the incidents page rendered; the feed and the sitemap
// list what every page before them added).
#pragma once

#include "publisher/page_writer.h"

namespace pkirepo::publisher {

void render_documents(PageWriter& w);          // pages_documents.cpp: versions, redlines, archive
void render_certificates(PageWriter& w);       // pages_certificates.cpp: CA tree and files
void render_ca_inventory(PageWriter& w);       // pages_ca_json.cpp: ca.json
void render_test_certificates(PageWriter& w);  // pages_certificates.cpp
void render_crls(PageWriter& w);               // pages_crls.cpp: CRLs and CCADB lists
void render_audits(PageWriter& w);             // pages_records.cpp
void render_incidents(PageWriter& w);          // pages_records.cpp
void render_home(PageWriter& w);               // pages_home.cpp: index, checkpoint, 404
void render_not_found(PageWriter& w);          // pages_home.cpp
void render_problem_report(PageWriter& w);     // pages_problem_report.cpp
void render_feed(PageWriter& w);               // pages_feeds.cpp: Atom feed
void render_sitemap(PageWriter& w);            // pages_feeds.cpp

}  // namespace pkirepo::publisher
