// Incident response through the real binary: `incident select` with each filter alone and
// combined over a store with known contents (with and without the indexes), `incident revoke`
// by key, its dry run, refusals, all-or-nothing under SIGKILL at 10,000 certificates, and the
// report skeleton rendered by the publisher.

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cli_support.h"
#include "crash_support.h"
#include "run_support.h"
#include "store/cert_index.h"
#include "store/meta_keys.h"
#include "store/store.h"
#include "x509/cert_info.h"
#include "x509/der.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

struct Issued {
  std::string serial;
  std::string spki;
};

// Issues a tls-server certificate for `key` naming `names` (the first is the CN).
Issued issue_for(const TestPki& pki, EVP_PKEY* key, const std::vector<std::string>& names) {
  const auto csr = pki.dir / ("csr/" + names.front() + ".csr");
  write_text(csr, to_pem(make_csr(key, names.front(), names).get()));
  const auto out = pki.dir / (names.front() + ".pem");
  RunResult r = pki.signer({"issue", "--ca", "tls", "--profile", "tls-server", "--csr",
                            csr.string(), "--out", out.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  X509Ptr cert = parse_cert_any(as_bytes(read_text_file(out)));
  REQUIRE(cert);
  return {serial_hex(cert.get()), to_hex(spki_sha256(key))};
}

// The serials `incident select ARGS --json` prints, sorted; exit code in `code`.
std::set<std::string> selected(const TestPki& pki, std::vector<std::string> args,
                               int* code = nullptr) {
  args.insert(args.begin(), {"incident", "select"});
  args.push_back("--json");
  RunResult r = pki.signer(args);
  if (code != nullptr) {
    *code = r.exit_code;
  }
  std::set<std::string> out;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line);
    for (const char* field :
         {"serial", "ca", "subject", "sans", "not_before", "not_after", "status", "spki_sha256"}) {
      CHECK(j.contains(field));
    }
    out.insert(j["serial"].get<std::string>());
  }
  return out;
}

std::string file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The known store: A and B share key k1; C (a wildcard) and D have keys of their own; D is
// revoked (superseded).
struct KnownStore {
  TestPki pki;
  EvpPkeyPtr k1 = make_key("ec-p256");
  EvpPkeyPtr k2 = make_key("ec-p256");
  EvpPkeyPtr k3 = make_key("ec-p256");
  Issued a, b, c, d;
  KnownStore() {
    REQUIRE(pki.signer({"init"}).exit_code == 0);
    a = issue_for(pki, k1.get(), {"a.example.com"});
    b = issue_for(pki, k1.get(), {"b.shop.example.com"});
    c = issue_for(pki, k2.get(), {"*.example.org"});
    d = issue_for(pki, k3.get(), {"c.example.com", "www.other.example.net"});
    REQUIRE(pki.signer({"revoke", "--ca", "tls", "--serial", d.serial, "--reason", "superseded"})
                .exit_code == 0);
  }
};

using Serials = std::set<std::string>;

void check_filters(const KnownStore& s) {
  const TestPki& pki = s.pki;
  CHECK(selected(pki, {"--san-domain", "example.com"}) ==
        Serials{s.a.serial, s.b.serial, s.d.serial});
  CHECK(selected(pki, {"--san-domain", "shop.example.com"}) == Serials{s.b.serial});
  CHECK(selected(pki, {"--san-domain", "EXAMPLE.org."}) == Serials{s.c.serial});  // the wildcard
  CHECK(selected(pki, {"--san-domain", "other.example.net"}) == Serials{s.d.serial});
  CHECK(selected(pki, {"--spki-sha256", s.a.spki}) == Serials{s.a.serial, s.b.serial});
  CHECK(selected(pki, {"--status", "revoked", "--ca", "tls"}) == Serials{s.d.serial});
  CHECK(selected(pki, {"--status", "good", "--ca", "tls"}) ==
        Serials{s.a.serial, s.b.serial, s.c.serial});
  CHECK(selected(pki, {"--subject-contains", "SHOP"}) == Serials{s.b.serial});
  CHECK(selected(pki, {"--profile", "tls-server"}) ==
        Serials{s.a.serial, s.b.serial, s.c.serial, s.d.serial});
  CHECK(selected(pki, {"--profile", "ca"}).size() == 1);  // the issuing CA's certificate
  write_text(pki.dir / "serials.txt",
             "# from the report\n" + s.a.serial + "\n\n" + s.c.serial + "  # wildcard\n");
  CHECK(selected(pki, {"--serials", (pki.dir / "serials.txt").string()}) ==
        Serials{s.a.serial, s.c.serial});
  CHECK(selected(pki, {"--issued-after", "2000-01-01", "--ca", "tls"}).size() == 4);
  int code = 0;
  CHECK(selected(pki, {"--issued-before", "2000-01-01"}, &code).empty());
  CHECK(code == 1);
  // Combined: AND.
  CHECK(selected(pki, {"--san-domain", "example.com", "--status", "good"}) ==
        Serials{s.a.serial, s.b.serial});
  CHECK(selected(pki, {"--spki-sha256", s.a.spki, "--san-domain", "shop.example.com"}) ==
        Serials{s.b.serial});
  CHECK(selected(pki, {"--serials", (pki.dir / "serials.txt").string(), "--san-domain",
                       "example.org"}) == Serials{s.c.serial});
  CHECK(selected(pki, {"--spki-sha256", s.c.spki, "--san-domain", "example.com"}).empty());
}

}  // namespace

TEST_CASE("incident select: each filter alone and combined, with and without the indexes",
          "[signer][incident]") {
  KnownStore s;
  check_filters(s);

  RunResult csv = s.pki.signer({"incident", "select", "--san-domain", "example.org", "--csv"});
  REQUIRE(csv.exit_code == 0);
  CHECK_THAT(csv.out, Catch::StartsWith("serial,ca,subject,sans,not_before,not_after,status,"
                                        "spki_sha256"));
  CHECK_THAT(csv.out, Catch::Contains(s.c.serial + ",tls,CN=*.example.org,DNS:*.example.org,"));
  RunResult table = s.pki.signer({"incident", "select", "--spki-sha256", s.a.spki});
  CHECK_THAT(table.err, Catch::Contains("2 certificates match"));
  CHECK_THAT(table.err, Catch::Contains("from the indexes"));

  // Refusals, one line each, naming the option.
  RunResult r = s.pki.signer({"incident", "select", "--ca", "nope"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("--ca nope: unknown CA"));
  r = s.pki.signer({"incident", "select", "--spki-sha256", "abcd"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("--spki-sha256 abcd: not a SHA-256 hash"));
  r = s.pki.signer({"incident", "select", "--san-domain", "exa mple.com"});
  CHECK_THAT(r.err, Catch::Contains("--san-domain exa mple.com: not a domain name"));
  write_text(s.pki.dir / "bad.txt", "0a\nzz\n");
  r = s.pki.signer({"incident", "select", "--serials", (s.pki.dir / "bad.txt").string()});
  CHECK_THAT(r.err, Catch::Contains("bad.txt:2: \"zz\" is not a hexadecimal serial number"));

  // A store from before the indexes: the same answers from a walk, and `run` builds them.
  {
    store::WriteStore st(s.pki.dir / "store");
    st.transact([](store::WriteTxn& txn) {
      REQUIRE(txn.del(store::Db::meta, as_bytes(store::meta::kCertIndex)));
      for (store::Db db : {store::Db::by_spki, store::Db::by_domain}) {
        std::vector<Bytes> keys;
        store::Cursor c(txn, db);
        for (bool ok = c.first(); ok; ok = c.next()) {
          keys.emplace_back(c.key().begin(), c.key().end());
        }
        for (const Bytes& k : keys) {
          txn.del(db, k);
        }
      }
    });
  }
  CHECK(s.pki.records("by_spki") == 0);
  table = s.pki.signer({"incident", "select", "--spki-sha256", s.a.spki});
  CHECK_THAT(table.err, Catch::Contains("2 certificates match"));
  CHECK_THAT(table.err, !Catch::Contains("from the indexes"));
  check_filters(s);
  RunResult run = s.pki.signer({"run"});
  INFO(run.out << run.err);
  CHECK_THAT(run.out, Catch::Contains("indexed 5 certificates by key and by domain"));
  CHECK(s.pki.records("by_spki") == 5);
  table = s.pki.signer({"incident", "select", "--spki-sha256", s.a.spki});
  CHECK_THAT(table.err, Catch::Contains("from the indexes"));
  check_filters(s);
}

TEST_CASE("incident revoke: by key, dry run byte-identical, refusals, key blocked",
          "[signer][incident]") {
  KnownStore s;
  TestPki& pki = s.pki;
  const auto data_mdb = pki.dir / "store" / "data.mdb";

  // Dry run: the exact bytes of the store stay, and it says what would happen.
  const std::string before_bytes = file_bytes(data_mdb);
  const auto before = snapshot(pki.dir / "store");
  RunResult dry = pki.signer({"incident", "revoke", "--spki-sha256", s.a.spki, "--reason",
                              "keyCompromise", "--ticket", "INC-1", "--dry-run"});
  INFO(dry.err);
  REQUIRE(dry.exit_code == 0);
  CHECK_THAT(dry.out, Catch::Contains("would revoke tls  " + s.a.serial));
  CHECK_THAT(dry.out, Catch::Contains("would revoke 2 certificates (keyCompromise, ticket INC-1) "
                                      "of 1 CAs and block 1 keys"));
  CHECK(file_bytes(data_mdb) == before_bytes);
  CHECK(snapshot(pki.dir / "store") == before);

  // Nothing to do: an empty match, an unknown CA, no filter at all, no ticket.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--san-domain", "nothing.test"},
        std::vector<std::string>{"--ca", "nope"}, std::vector<std::string>{}}) {
    std::vector<std::string> argv{"incident", "revoke", "--reason", "superseded", "--ticket", "X"};
    argv.insert(argv.end(), args.begin(), args.end());
    RunResult r = pki.signer(argv);
    CHECK(r.exit_code == 1);
    CHECK(snapshot(pki.dir / "store") == before);
  }
  // D is revoked already: superseded again changes nothing.
  RunResult same = pki.signer({"incident", "revoke", "--serials", (pki.dir / "d.txt").string(),
                               "--reason", "superseded", "--ticket", "X"});
  CHECK(same.exit_code == 1);
  write_text(pki.dir / "d.txt", s.d.serial + "\n");
  same = pki.signer({"incident", "revoke", "--serials", (pki.dir / "d.txt").string(), "--reason",
                     "superseded", "--ticket", "X"});
  CHECK(same.exit_code == 1);
  CHECK_THAT(same.err, Catch::Contains("revoked already; nothing changed"));
  CHECK(snapshot(pki.dir / "store") == before);

  // The real thing: both certificates for k1, not C, published at once.
  RunResult done = pki.signer({"incident", "revoke", "--spki-sha256", s.a.spki, "--reason",
                               "keyCompromise", "--ticket", "INC-1"});
  INFO(done.out << done.err);
  REQUIRE(done.exit_code == 0);
  CHECK_THAT(done.out, Catch::Contains("revoked 2 certificates (keyCompromise, ticket INC-1)"));
  CHECK_THAT(done.out, Catch::Contains("published for CA tls: 4 OCSP responses, CRL shard 0"));
  CHECK(selected(pki, {"--status", "revoked", "--ca", "tls"}) ==
        Serials{s.a.serial, s.b.serial, s.d.serial});
  CHECK(selected(pki, {"--status", "good", "--ca", "tls"}) == Serials{s.c.serial});
  for (const std::string& serial : {s.a.serial, s.b.serial}) {
    auto rec = ocsp_record(pki.dir / "store", "tls", serial, CertIdHash::sha256);
    REQUIRE(rec);
    CHECK(rec->status == store::CertStatus::revoked);
  }
  // openssl reads the CRL: both serials, reason keyCompromise.
  auto crl = crl_record(pki.dir / "store", "tls", 0);
  REQUIRE(crl);
  const std::string crl_pem = write_crl_pem(pki.dir / "tls.crl", crl->der);
  RunResult text = run({"openssl", "crl", "-in", crl_pem, "-noout", "-text"});
  std::string upper_a = s.a.serial;
  std::string upper_b = s.b.serial;
  for (std::string* u : {&upper_a, &upper_b}) {
    std::transform(u->begin(), u->end(), u->begin(), ::toupper);
    CHECK_THAT(text.out, Catch::Contains(*u));
  }
  CHECK_THAT(text.out, Catch::Contains("Key Compromise"));
  // The key is blocked: issue refuses it, naming the certificate and the ticket.
  write_text(pki.dir / "again.csr",
             to_pem(make_csr(s.k1.get(), "again.example.com", {"again.example.com"}).get()));
  RunResult again = pki.signer({"issue", "--ca", "tls", "--profile", "tls-server", "--csr",
                                (pki.dir / "again.csr").string()});
  CHECK(again.exit_code != 0);
  CHECK_THAT(again.err, Catch::Contains("INC-1"));
  // Audit: one record per certificate, one for the incident, the chain intact.
  RunResult audit = pki.signer({"audit", "export"});
  size_t per_cert = 0;
  size_t incident = 0;
  std::istringstream lines(audit.out);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line);
    if (j["details"].value("ticket", "") != "INC-1") {
      continue;
    }
    per_cert += j["event"] == "certificate_revoked" ? 1 : 0;
    if (j["event"] == "incident_revocation") {
      ++incident;
      CHECK(j["details"]["revoked"] == 2);
      CHECK(j["details"]["filters"]["spki_sha256"] == s.a.spki);
      CHECK(j["operator"] == "tester");
    }
  }
  CHECK(per_cert == 2);
  CHECK(incident == 1);
  CHECK(pki.signer({"audit", "verify"}).exit_code == 0);
}

TEST_CASE("incident report: skeleton from the audit records, rendered by the publisher",
          "[signer][incident][publisher]") {
  TestPki pki;
  // A site source of our own beside the test PKI: the demo's incidents (a sample) only.
  std::filesystem::create_directories(pki.dir / "site");
  std::filesystem::copy(source_dir() / "examples/demo/site/incidents", pki.dir / "site/incidents",
                        std::filesystem::copy_options::recursive);
  {
    std::ofstream cfg(pki.config, std::ios::app);
    cfg << "\n[site]\nsource = \"site\"\ntemplates = \""
        << (source_dir() / "site-templates").string()
        << "\"\noutput = \"public\"\n[site.problem_reporting]\nemail = \"report@example.test\"\n";
  }
  REQUIRE(pki.signer({"init"}).exit_code == 0);
  EvpPkeyPtr key = make_key("ec-p256");
  const Issued a = issue_for(pki, key.get(), {"a.example.com"});
  issue_for(pki, make_key("ec-p256").get(), {"b.example.com"});
  REQUIRE(pki.signer({"incident", "revoke", "--san-domain", "a.example.com", "--reason",
                      "keyCompromise", "--ticket", "INC-9"})
              .exit_code == 0);
  RunResult none = pki.signer({"incident", "report", "--ticket", "INC-404"});
  CHECK(none.exit_code == 1);
  CHECK_THAT(none.err, Catch::Contains("--ticket INC-404: no audit record names this ticket"));

  RunResult rep = pki.signer(
      {"incident", "report", "--ticket", "INC-9", "--title", "Key compromise of a.example.com"});
  INFO(rep.out << rep.err);
  REQUIRE(rep.exit_code == 0);
  std::filesystem::path md;
  for (const auto& e : std::filesystem::directory_iterator(pki.dir / "site/incidents")) {
    if (e.path().filename().string().find("inc-9.md") != std::string::npos) {
      md = e.path();
    }
  }
  REQUIRE(!md.empty());
  const std::string text = read_text_file(md);
  CHECK_THAT(text, Catch::Contains("ticket = \"INC-9\""));
  CHECK_THAT(text, Catch::Contains("certificates = 1"));
  CHECK_THAT(text, Catch::Contains("## Root cause"));
  CHECK_THAT(text, Catch::Contains("## Changes to the CP/CPS"));
  // The whole CCADB template, and the fields the publisher's closure check reads.
  for (const char* section :
       {"## Summary", "## Impact", "## Timeline", "## Related incidents", "## Root cause analysis",
        "## Lessons learned", "## Action items", "## Appendix"}) {
    CHECK_THAT(text, Catch::Contains(section));
  }
  CHECK_THAT(text, Catch::Contains("report_status = \"preliminary\""));
  CHECK_THAT(text, Catch::Contains("bugzilla = \"\""));
  CHECK_THAT(text, Catch::Contains("1 of 1 matching certificates revoked (keyCompromise)"));
  const std::string csv = read_text_file(md.parent_path() / (md.stem().string() + "-affected.csv"));
  CHECK_THAT(csv, Catch::Contains(a.serial + ",tls,CN=a.example.com,DNS:a.example.com,"));
  CHECK(pki.signer({"incident", "report", "--ticket", "INC-9"}).exit_code == 1);  // exists

  // Rendered: the page, the CSV beside it, the feed, the footer link to the problem page.
  auto publish = [&](UnixTime now) {
    std::map<std::string, std::string> env = pki.env;
    env["PKIREPO_NOW"] = rfc3339(now);
    return run({binary("pkirepo-publisher").string(), "-c", pki.config.string(), "build"}, env);
  };
  const UnixTime now = pki.env.count("PKIREPO_NOW") != 0
                           ? *parse_rfc3339(pki.env.at("PKIREPO_NOW"))
                           : static_cast<UnixTime>(std::time(nullptr));
  RunResult built = publish(now);
  INFO(built.out << built.err);
  REQUIRE(built.exit_code == 0);
  const auto page = pki.dir / "public/incidents" / (md.stem().string() + ".html");
  REQUIRE(std::filesystem::exists(page));
  const std::string html = read_text_file(page);
  CHECK_THAT(html, Catch::Contains("Key compromise of a.example.com"));
  CHECK_THAT(html, Catch::Contains("INC-9"));
  CHECK_THAT(html, Catch::Contains(md.stem().string() + "-affected.csv"));
  CHECK(read_text_file(pki.dir / "public/incidents" / (md.stem().string() + "-affected.csv")) ==
        csv);
  CHECK_THAT(read_text_file(pki.dir / "public/feed.xml"),
             Catch::Contains("Key compromise of a.example.com"));
  CHECK_THAT(html, Catch::Contains("report-a-problem.html"));
  const std::string problem = read_text_file(pki.dir / "public/report-a-problem.html");
  CHECK_THAT(problem, Catch::Contains("mailto:report@example.test"));
  CHECK_THAT(problem, Catch::Contains("Proof of key compromise for"));
  CHECK_THAT(built.err, !Catch::Contains("notification deadline"));

  // Two days on, still open and never reported: the 24-hour notification finding.
  RunResult late = publish(now + 2 * 86400);
  CHECK_THAT(late.err, Catch::Contains("incident INC-9"));
  CHECK_THAT(late.err, Catch::Contains("not reported to the root programs by its notification "
                                       "deadline"));
  REQUIRE(pki.signer({"incident", "report", "--ticket", "INC-9", "--force", "--reported",
                      rfc3339(now + 3600)})
              .exit_code == 0);
  late = publish(now + 2 * 86400);
  CHECK_THAT(late.err, !Catch::Contains("incident INC-9"));
}

TEST_CASE("incident revoke of 10,000 certificates is all or nothing under SIGKILL",
          "[signer][incident][crash]") {
  const UnixTime T = *parse_rfc3339("2026-11-22T00:00:00Z");
  RunRepo repo(T);
  const size_t count = 10000;
  add_synthetic_certs(repo.store_dir(), "tls", count, 0, T - 86400, T + 90 * 86400);
  const std::vector<std::string> args{"incident",  "revoke",     "--ca",     "tls",
                                      "--profile", "tls-server", "--reason", "superseded",
                                      "--ticket",  "INC-KILL"};
  auto revoked = [&] {
    std::set<std::string> s;
    RunResult r =
        repo.signer({"incident", "select", "--ca", "tls", "--status", "revoked", "--json"});
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      s.insert(line);
    }
    return s.size();
  };
  int kills = 0;
  for (int delay_ms : {400, 1500}) {
    const Outcome o =
        kill_after(spawn_signer(repo.config, args, T), std::chrono::milliseconds(delay_ms));
    const size_t n = revoked();
    INFO("after " << delay_ms << " ms: " << n << " revoked");
    if (o.killed) {
      ++kills;
      CHECK(n == 0);
    } else {
      CHECK(n == count);
      break;
    }
    CHECK(repo.signer({"audit", "verify"}).exit_code == 0);
  }
  CHECK(kills >= 1);
  RunResult done = repo.signer(args);
  INFO(done.out << done.err);
  REQUIRE(done.exit_code == 0);
  CHECK(revoked() == count);
  auto crl = crl_record(repo.store_dir(), "tls", 0);
  REQUIRE(crl);
  CHECK(crl->entries == count);
  CHECK(repo.signer({"audit", "verify"}).exit_code == 0);
}
