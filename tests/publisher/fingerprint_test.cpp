// The build fingerprint (publisher/build_fingerprint.h) must change with every input a page
// can show: a missed input would leave a stale site behind a "no change" build. Each field of
// the store snapshot is changed in turn; the config file and the site source by their bytes.
#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <iterator>

#include "publisher/build_fingerprint.h"
#include "support/test_support.h"

using namespace pkirepo;
using namespace pkirepo::publisher;
using pkirepo::test::TempDir;

namespace {

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Every Inputs of a test shares one folder (the config's folder is an input too).
struct Inputs {
  std::filesystem::path dir;
  Config config;
  SiteSource source;
  StoreSnapshot snap;
  UnixTime now = *parse_rfc3339("2026-06-01T00:00:00Z");

  explicit Inputs(std::filesystem::path folder) : dir(std::move(folder)) {
    config.file = dir / "pkirepo.toml";
    config.dir = dir;
    test::write_text(config.file, "[repository]\nname = \"Test PKI\"\n");
    source.input_digest = "source-digest";
    CaEntry ca;
    ca.id = "root";
    ca.der = {1, 2, 3};
    ca.status_reason = "";
    CaCertificate own;
    own.issuer_ca = "root";
    own.current = true;
    own.held_by = "root";
    own.der = {1, 2, 3};
    own.status = "good";
    ca.same_key.push_back(own);
    snap.cas.push_back(ca);
    CrlEntry crl;
    crl.ca_id = "root";
    crl.url = "http://pki.example.test/crl/root.crl";
    crl.path = "crl/root.crl";
    crl.record.crl_number = 7;
    crl.record.this_update = now - 86400;
    crl.record.next_update = now + 86400;
    crl.record.entries = 1;
    crl.record.der = {4, 5, 6};
    snap.crls.push_back(crl);
    snap.crl_lists["root"] = "[\"http://pki.example.test/crl/root.crl\"]\n";
    TestCertEntry t;
    t.ca_id = "root";
    t.kind = "valid";
    t.der = {7, 8};
    t.status = "good";
    snap.test_certificates.push_back(t);
    snap.checkpoint.count = 3;
    snap.checkpoint.head_hex = "ab";
  }

  std::string fingerprint(const Templates& templates) const {
    return build_fingerprint(config, source, templates, snap, now);
  }
};

}  // namespace

TEST_CASE("the build fingerprint changes with every input a page shows",
          "[publisher][fingerprint]") {
  Templates templates(test::source_dir() / "site-templates");
  TempDir dir;
  const std::string base = Inputs(dir.path()).fingerprint(templates);
  REQUIRE(base.size() == 32);
  CHECK(Inputs(dir.path()).fingerprint(templates) == base);  // same inputs, same fingerprint

  const std::vector<std::pair<std::string, std::function<void(Inputs&)>>> changes = {
      {"config file bytes",
       [](Inputs& in) {
         test::write_text(in.config.file, "[repository]\nname = \"Other PKI\"\n");
       }},
      {"config folder", [](Inputs& in) { in.config.dir = in.dir / "elsewhere"; }},
      {"site source", [](Inputs& in) { in.source.input_digest = "other"; }},
      {"ca.id", [](Inputs& in) { in.snap.cas[0].id = "root2"; }},
      {"ca.role", [](Inputs& in) { in.snap.cas[0].role = CaRole::issuing; }},
      {"ca.parent", [](Inputs& in) { in.snap.cas[0].parent = "x"; }},
      {"ca.der", [](Inputs& in) { in.snap.cas[0].der.push_back(9); }},
      {"ca.status", [](Inputs& in) { in.snap.cas[0].status = CaStatus::revoked; }},
      {"ca.status_reason", [](Inputs& in) { in.snap.cas[0].status_reason = "expired"; }},
      {"another CA", [](Inputs& in) { in.snap.cas.push_back(in.snap.cas[0]); }},
      {"ca.state", [](Inputs& in) { in.snap.cas[0].state = CaState::backup; }},
      {"ca.state_reason", [](Inputs& in) { in.snap.cas[0].state_reason = "backup"; }},
      {"ca.created", [](Inputs& in) { in.snap.cas[0].created = 5; }},
      {"ca.revoked_at", [](Inputs& in) { in.snap.cas[0].revoked_at = 5; }},
      {"ca.chain", [](Inputs& in) { in.snap.cas[0].chain.push_back("x"); }},
      {"another certificate for the key",
       [](Inputs& in) { in.snap.cas[0].same_key.push_back(in.snap.cas[0].same_key[0]); }},
      {"same_key.issuer_ca", [](Inputs& in) { in.snap.cas[0].same_key[0].issuer_ca = "x"; }},
      {"same_key.current", [](Inputs& in) { in.snap.cas[0].same_key[0].current = false; }},
      {"same_key.held_by", [](Inputs& in) { in.snap.cas[0].same_key[0].held_by = "x"; }},
      {"same_key.der", [](Inputs& in) { in.snap.cas[0].same_key[0].der.push_back(0); }},
      {"same_key.status", [](Inputs& in) { in.snap.cas[0].same_key[0].status = "revoked"; }},
      {"same_key.issued_at", [](Inputs& in) { in.snap.cas[0].same_key[0].issued_at = 5; }},
      {"same_key.revoked_at", [](Inputs& in) { in.snap.cas[0].same_key[0].revoked_at = 5; }},
      {"same_key.revocation_reason",
       [](Inputs& in) { in.snap.cas[0].same_key[0].revocation_reason = "keyCompromise"; }},
      {"crl.ca_id", [](Inputs& in) { in.snap.crls[0].ca_id = "x"; }},
      {"crl.shard", [](Inputs& in) { in.snap.crls[0].shard = 1; }},
      {"crl.url", [](Inputs& in) { in.snap.crls[0].url += "x"; }},
      {"crl.path", [](Inputs& in) { in.snap.crls[0].path += "x"; }},
      {"crl.crl_number", [](Inputs& in) { in.snap.crls[0].record.crl_number = 8; }},
      {"crl.this_update", [](Inputs& in) { in.snap.crls[0].record.this_update += 1; }},
      {"crl.next_update", [](Inputs& in) { in.snap.crls[0].record.next_update += 1; }},
      {"crl.entries", [](Inputs& in) { in.snap.crls[0].record.entries = 2; }},
      {"crl.der", [](Inputs& in) { in.snap.crls[0].record.der.push_back(0); }},
      {"a CRL past its nextUpdate", [](Inputs& in) { in.now += 2 * 86400; }},
      {"crl list", [](Inputs& in) { in.snap.crl_lists["root"] = "[]\n"; }},
      {"test.ca_id", [](Inputs& in) { in.snap.test_certificates[0].ca_id = "x"; }},
      {"test.kind", [](Inputs& in) { in.snap.test_certificates[0].kind = "revoked"; }},
      {"test.der", [](Inputs& in) { in.snap.test_certificates[0].der.push_back(0); }},
      {"test.status", [](Inputs& in) { in.snap.test_certificates[0].status = "revoked"; }},
      {"test.url", [](Inputs& in) { in.snap.test_certificates[0].url = "https://x.example/"; }},
      {"checkpoint.count", [](Inputs& in) { in.snap.checkpoint.count = 4; }},
      {"checkpoint.head", [](Inputs& in) { in.snap.checkpoint.head_hex = "cd"; }},
      {"problems", [](Inputs& in) { in.snap.problems.push_back("test certificate missing"); }},
  };
  for (const auto& [what, change] : changes) {
    Inputs in(dir.path());
    change(in);
    INFO(what);
    CHECK(in.fingerprint(templates) != base);
  }
  // `now` alone, with nothing crossing a deadline, does not force a rebuild.
  Inputs later(dir.path());
  later.now += 3600;
  CHECK(later.fingerprint(templates) == base);
}

TEST_CASE("a config that is not a file gets no fingerprint (always rendered in full)",
          "[publisher][fingerprint]") {
  Templates templates(test::source_dir() / "site-templates");
  TempDir dir;
  Inputs in(dir.path());
  in.config.file.clear();
  CHECK(in.fingerprint(templates).empty());
}

TEST_CASE("the site source digest covers every file the loader reads", "[publisher][fingerprint]") {
  TempDir dir;
  std::filesystem::create_directories(dir / "audits");
  std::filesystem::create_directories(dir / "incidents");
  test::write_text(dir / "index.md", "Welcome.\n");
  test::write_text(dir / "terms.md",
                   "+++\ntitle = \"Terms\"\nkind = \"terms\"\nversion = \"1.0\"\n"
                   "effective = 2026-01-01\n+++\nText.\n");
  test::write_text(dir / "audits/2025.toml",
                   "auditor = \"A\"\nscheme = \"WebTrust for CAs\"\nperiod_start = 2025-01-01\n"
                   "period_end = 2025-12-31\nreport_date = 2026-02-01\ncas = [\"root\"]\n"
                   "report = \"2025.md\"\n");
  test::write_text(dir / "audits/2025.md", "Report.\n");
  test::write_text(dir / "incidents/one.md",
                   "+++\ntitle = \"One\"\ndate = 2026-01-02\nstatus = \"closed\"\n+++\nBody.\n");
  const std::string base = load_site_source(dir.path()).input_digest;
  REQUIRE_FALSE(base.empty());
  CHECK(load_site_source(dir.path()).input_digest == base);
  for (const char* file :
       {"index.md", "terms.md", "audits/2025.toml", "audits/2025.md", "incidents/one.md"}) {
    INFO(file);
    const std::string before = read_all(dir / file);
    // Appending a line keeps every file valid.
    test::write_text(dir / file, before + "\n");
    CHECK(load_site_source(dir.path()).input_digest != base);
    test::write_text(dir / file, before);
  }
}
