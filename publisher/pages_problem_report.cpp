// The "Report a problem" page (CPS 1.5.2, 4.9.3, 4.9.12): where and how anyone reports a key
// compromise, a mis-issued certificate or misuse, what a report must hold, and what happens
// next. Contacts come from [site.problem_reporting]; the page is linked from every footer.
#include "publisher/pages.h"

namespace pkirepo::publisher {

void render_problem_report(PageWriter& w) {
  const SiteConfig::ProblemReporting& pr = w.config().site.problem_reporting;
  data c = object();
  set_opt(c, "email", pr.email);
  set_opt(c, "url", pr.url);
  set_opt(c, "postal_address", pr.postal_address);
  c.set("response_time", pr.response_time);
  c.set("has_contact", !pr.email.empty() || !pr.url.empty());
  w.page("report-a-problem.html", "Report a problem", "report-a-problem", c);
}

}  // namespace pkirepo::publisher
