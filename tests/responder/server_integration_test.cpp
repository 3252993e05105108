// The real pkirepo-responder on 127.0.0.1, queried by real clients (openssl ocsp, curl), on a
// store written by the real pkirepo-signer (init, issue, revoke, run) with two issuing CAs,
// one EC and one RSA. Times are the wall clock: openssl checks responses against its own.
#include <signal.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <fstream>
#include <thread>

#include "pki_fixture.h"
#include "responder_process.h"
#include "store/store.h"
#include "support/test_support.h"
#include "x509/der.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A repository with root, tls (EC P-384) and tls-rsa (RSA 4096); one good and one revoked
// certificate under each issuing CA; `run` done. Built once, copied per test (init with an
// RSA-4096 key is the slow part).
struct Repo {
  TempDir dir;
  std::filesystem::path config;
  std::map<std::string, std::string> env = signer_env();
  std::map<std::string, std::string> serial;  // "tls/good", "tls/revoked", ...

  explicit Repo(const std::string& extra = "",
                const std::map<std::string, std::string>& more_env = {}) {
    env.insert(more_env.begin(), more_env.end());
    env["PKIREPO_NOW"] = rfc3339(static_cast<UnixTime>(std::time(nullptr)));
    config = write_demo_config(dir.path(), fixture("ca-tls-rsa.toml") + extra);
    must(signer({"init"}));
    for (const std::string ca : {"tls", "tls-rsa"}) {
      for (const std::string kind : {"good", "revoked"}) {
        issue(ca, kind);
      }
      must(signer({"revoke", "--ca", ca, "--serial", serial[ca + "/revoked"], "--reason",
                   "keyCompromise"}));
    }
    must(signer({"run"}));
  }
  // Issues (again) the certificate "<kind>.<ca>.example.com" at the repo's PKIREPO_NOW; returns
  // what `issue` printed.
  std::string issue(const std::string& ca, const std::string& kind) {
    EvpPkeyPtr key = make_key("ec-p256");
    X509ReqPtr req =
        make_csr(key.get(), kind + "." + ca + ".example.com", {kind + "." + ca + ".example.com"});
    std::filesystem::path csr = dir / (ca + "-" + kind + ".csr");
    write_text(csr, to_pem(req.get()));
    std::filesystem::path pem = dir / (ca + "-" + kind + ".pem");
    const RunResult r = signer({"issue", "--profile", "tls-server", "--ca", ca, "--csr",
                                csr.string(), "--out", pem.string()});
    must(r);
    X509Ptr cert = parse_cert_any(as_bytes(slurp(pem)));
    REQUIRE(cert);
    serial[ca + "/" + kind] = serial_hex(cert.get());
    return r.out;
  }
  RunResult signer(std::vector<std::string> args) const {
    args.insert(args.begin(),
                {binary("pkirepo-signer").string(), "-c", config.string(), "--operator", "tester"});
    return run(args, env);
  }
  static void must(const RunResult& r) {
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
  }
  std::string path(const std::string& rel) const { return (dir / rel).string(); }
  // Issuer certificates as PEM, taken from the responder itself (AIA caIssuers URL).
  void fetch_ca_pems(const ResponderProcess& p) const {
    for (const std::string ca : {"root", "tls", "tls-rsa"}) {
      RunResult r = curl({"-o", path(ca + ".der"), p.url("/ca/" + ca + ".crt")});
      REQUIRE(r.exit_code == 0);
      X509Ptr cert = parse_cert_any(as_bytes(slurp(dir / (ca + ".der"))));
      REQUIRE(cert);
      write_text(dir / (ca + ".ca.pem"), to_pem(cert.get()));
    }
  }
  RunResult ocsp(const ResponderProcess& p, const std::string& ca, const std::string& kind,
                 const std::vector<std::string>& extra = {}) const {
    // openssl wants the CertID digest before -cert.
    std::vector<std::string> args = {"openssl", "ocsp"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(),
                {"-issuer", path(ca + ".ca.pem"), "-cert", path(ca + "-" + kind + ".pem"), "-url",
                 p.url("/ocsp"), "-CAfile", path("root.ca.pem"), "-timeout", "10"});
    return run(args);
  }
};

bool contains(const std::string& s, const std::string& needle) {
  return s.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE(
    "openssl ocsp POST: good, revoked, unknown serial and issuer, SHA-1 and SHA-256, "
    "nonce ignored; curl GET with headers and 304; revoke + run served at once",
    "[responder][integration]") {
  Repo repo;
  ResponderProcess p(repo.config, repo.env);
  repo.fetch_ca_pems(p);

  for (const std::string ca : {"tls", "tls-rsa"}) {
    for (const std::string digest : {"-sha1", "-sha256"}) {
      INFO(ca << " " << digest);
      RunResult good = repo.ocsp(p, ca, "good", {digest});
      CHECK(good.exit_code == 0);
      CHECK(contains(good.out, ": good"));
      CHECK(contains(good.err, "Response verify OK"));
      // The default request carries a nonce: the pre-signed answer has none (RFC 9919 3.2.1).
      CHECK(contains(good.err + good.out, "WARNING: no nonce in response"));

      RunResult revoked = repo.ocsp(p, ca, "revoked", {digest, "-no_nonce"});
      CHECK(contains(revoked.out, ": revoked"));
      CHECK(contains(revoked.out, "Reason: keyCompromise"));

      RunResult unknown =
          run({"openssl", "ocsp", digest, "-issuer", repo.path(ca + ".ca.pem"), "-serial",
               "0x0123456789abcdef01", "-url", p.url("/ocsp"), "-no_nonce", "-timeout", "10"});
      CHECK(contains(unknown.out + unknown.err, "unauthorized"));
    }
  }
  // Unknown issuer: the root did not issue the leaf; its key hash is in no CertID we hold.
  RunResult wrong_issuer =
      run({"openssl", "ocsp", "-issuer", repo.path("root.ca.pem"), "-cert",
           repo.path("tls-good.pem"), "-url", p.url("/ocsp"), "-no_nonce", "-timeout", "10"});
  CHECK(contains(wrong_issuer.out + wrong_issuer.err, "unauthorized"));

  // GET: the request DER base64-encoded in the path, read with curl.
  REQUIRE(run({"openssl", "ocsp", "-sha256", "-issuer", repo.path("tls.ca.pem"), "-cert",
               repo.path("tls-good.pem"), "-no_nonce", "-reqout", repo.path("get.req")})
              .exit_code == 0);
  std::string b64 = base64(as_bytes(slurp(repo.dir / "get.req")));
  RunResult get = curl({"-D", "-", "-o", repo.path("get.resp"), p.url("/ocsp/" + b64)});
  REQUIRE(get.exit_code == 0);
  const std::string& h = get.out;
  CHECK(contains(h, "HTTP/1.1 200"));
  CHECK(header_value(h, "Content-Type") == "application/ocsp-response");
  CHECK(header_value(h, "Cache-Control").starts_with("max-age="));
  CHECK(contains(header_value(h, "Cache-Control"), ", public, no-transform, must-revalidate"));
  CHECK(!header_value(h, "Last-Modified").empty());
  CHECK(!header_value(h, "Expires").empty());
  CHECK(!header_value(h, "Date").empty());
  const std::string etag = header_value(h, "ETag");
  std::string body = slurp(repo.dir / "get.resp");
  CHECK(etag == "\"" + to_hex(sha256(as_bytes(body))) + "\"");
  RunResult text =
      run({"openssl", "ocsp", "-respin", repo.path("get.resp"), "-resp_text", "-noverify"});
  CHECK(contains(text.out, "Hash Algorithm: sha256"));
  CHECK(contains(text.out, "Cert Status: good"));
  // Percent-encoded path and a HEAD request.
  std::string pct;
  for (char c : b64) {
    pct += c == '+'   ? std::string("%2B")
           : c == '/' ? std::string("%2F")
           : c == '=' ? std::string("%3D")
                      : std::string(1, c);
  }
  CHECK(contains(curl({"-D", "-", "-o", "/dev/null", p.url("/ocsp/" + pct)}).out, "200 OK"));
  CHECK(contains(curl({"-I", p.url("/ocsp/" + b64)}).out, "200 OK"));

  // 304 on If-None-Match and on If-Modified-Since.
  RunResult inm =
      curl({"-D", "-", "-o", "/dev/null", "-H", "If-None-Match: " + etag, p.url("/ocsp/" + b64)});
  CHECK(contains(inm.out, "HTTP/1.1 304"));
  CHECK(header_value(inm.out, "ETag") == etag);
  RunResult ims =
      curl({"-D", "-", "-o", "/dev/null", "-H",
            "If-Modified-Since: " + header_value(h, "Last-Modified"), p.url("/ocsp/" + b64)});
  CHECK(contains(ims.out, "HTTP/1.1 304"));

  // CRL and CA certificate with their content types.
  RunResult crl = curl({"-D", "-", "-o", repo.path("tls.crl"), p.url("/crl/tls.crl")});
  CHECK(header_value(crl.out, "Content-Type") == "application/pkix-crl");
  CHECK(
      run({"openssl", "crl", "-inform", "DER", "-in", repo.path("tls.crl"), "-noout"}).exit_code ==
      0);
  CHECK(header_value(curl({"-D", "-", "-o", "/dev/null", p.url("/ca/tls-rsa.crt")}).out,
                     "Content-Type") == "application/pkix-cert");
  CHECK(contains(curl({"-D", "-", p.url("/healthz")}).out, "200 OK"));

  // Revoke + run while the responder runs: the next request sees it.
  Repo::must(repo.signer(
      {"revoke", "--ca", "tls", "--serial", repo.serial["tls/good"], "--reason", "superseded"}));
  Repo::must(repo.signer({"run"}));
  RunResult now_revoked = repo.ocsp(p, "tls", "good", {"-no_nonce"});
  CHECK(contains(now_revoked.out, ": revoked"));
  CHECK(contains(now_revoked.out, "Reason: superseded"));

  RunResult metrics = curl({p.url("/metrics")});
  CHECK(contains(metrics.out,
                 "pkirepo_responder_requests_total{route=\"ocsp_post\",outcome=\"good\"}"));
  CHECK(contains(metrics.out, "pkirepo_responder_store_age_seconds"));
  CHECK(p.stop() == 0);
}

TEST_CASE("bad input over HTTP: each answered, the responder stays up",
          "[responder][integration][bad-input]") {
  Repo repo;
  ResponderProcess p(repo.config, repo.env);
  auto code = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"-o", "/dev/null", "-w", "%{http_code}"});
    return curl(args).out;
  };
  auto ocsp_status_of = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"-o", repo.path("bad.resp")});
    curl(args);
    OcspResponsePtr r = parse_ocsp_response_der(as_bytes(slurp(repo.dir / "bad.resp")));
    return r ? OCSP_response_status(r.get()) : -1;
  };
  // 1 MiB body: 413 without reading it. The client waits for the answer before sending the
  // body (Expect: 100-continue); otherwise the early close races the upload and a loaded
  // machine sees a reset (curl's 000) instead of the 413.
  write_text(repo.dir / "big.bin", std::string(1 << 20, 'x'));
  CHECK(code({"--data-binary", "@" + repo.path("big.bin"), "-H",
              "Content-Type: application/ocsp-request", "-H", "Expect: 100-continue",
              p.url("/ocsp")}) == "413");
  // Random bytes and truncated DER: malformedRequest.
  std::string random(200, '\0');
  for (size_t i = 0; i < random.size(); ++i) {
    random[i] = static_cast<char>((i * 2654435761u) >> 13);
  }
  write_text(repo.dir / "random.bin", random);
  CHECK(ocsp_status_of({"--data-binary", "@" + repo.path("random.bin"), p.url("/ocsp")}) ==
        OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  write_text(repo.dir / "trunc.bin", std::string("\x30\x45\x30\x43\x30\x41", 6));
  CHECK(ocsp_status_of({"--data-binary", "@" + repo.path("trunc.bin"), p.url("/ocsp")}) ==
        OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  // Chunked upload past the cap: the connection is closed, no body read beyond 4 KiB.
  RunResult chunked =
      curl({"-o", "/dev/null", "-w", "%{http_code}", "-H", "Transfer-Encoding: chunked",
            "--data-binary", "@" + repo.path("big.bin"), p.url("/ocsp")});
  CHECK(chunked.out != "200");
  // 10,000-character GET path: 414; percent-encoding garbage: malformedRequest.
  CHECK(code({p.url("/ocsp/" + std::string(10000, 'A'))}) == "414");
  CHECK(ocsp_status_of({p.url("/ocsp/%ZZ%4")}) == OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  CHECK(ocsp_status_of({p.url("/ocsp/MEow%00%01")}) == OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  // Wrong method: 405.
  CHECK(code({"-X", "DELETE", p.url("/ocsp")}) == "405");
  CHECK(code({"-X", "PUT", "--data", "x", p.url("/crl/tls.crl")}) == "405");
  CHECK(code({p.url("/crl/nope.crl")}) == "404");
  // Two CertIDs in one request: malformedRequest.
  REQUIRE(run({"openssl", "ocsp", "-issuer", repo.path("tls-good.pem"), "-serial", "0x01",
               "-serial", "0x02", "-no_nonce", "-reqout", repo.path("two.req")})
              .exit_code == 0);
  CHECK(ocsp_status_of({"--data-binary", "@" + repo.path("two.req"), "-H",
                        "Content-Type: application/ocsp-request", p.url("/ocsp")}) ==
        OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  // Unsupported CertID hash (SHA-384): nothing we hold can match → unauthorized.
  RunResult sha384 =
      run({"openssl", "ocsp", "-sha384", "-issuer", repo.path("tls-good.pem"), "-serial", "0x01",
           "-no_nonce", "-url", p.url("/ocsp"), "-timeout", "10"});
  CHECK(contains(sha384.out + sha384.err, "unauthorized"));
  // Still serving, and GET keeps the connection alive (libmicrohttpd closes it after an
  // answer queued on the first callback, so the adapter answers on the second).
  CHECK(code({p.url("/")}) == "200");
  RunResult twice =
      curl({"-v", "-o", "/dev/null", "-o", "/dev/null", p.url("/healthz"), p.url("/ca/tls.crt")});
  CHECK(contains(twice.err, "Re-using existing connection"));
  CHECK_FALSE(contains(twice.err, "Connection: close"));
  CHECK(p.stop() == 0);
}

namespace {

// nonce = "sign" with the responder keys under their own passphrase, and the environment of a
// responder that holds only that one: the CA passphrase variable is empty (unset for us).
const std::string kNonceSign =
    "\n[ocsp]\nnonce = \"sign\"\nresponder_passphrase_env = "
    "\"PKIREPO_TEST_RESPONDER_PASSPHRASE\"\n";

std::map<std::string, std::string> responder_only_env(std::map<std::string, std::string> env) {
  env["PKIREPO_TEST_PASSPHRASE"] = "";
  return env;
}

// A Repo whose signer knows both passphrases from the start (init writes the responder keys).
struct NonceRepo : Repo {
  NonceRepo()
      : Repo(kNonceSign,
             {{"PKIREPO_TEST_RESPONDER_PASSPHRASE", "responder keys only, not the CA's"}}) {}
};

}  // namespace

TEST_CASE("nonce = sign: openssl's nonce is echoed by the delegated responder, SIGHUP reloads",
          "[responder][integration][nonce]") {
  NonceRepo repo;
  ResponderProcess p(repo.config, responder_only_env(repo.env));
  repo.fetch_ca_pems(p);
  for (const std::string ca : {"tls", "tls-rsa"}) {
    RunResult r = repo.ocsp(p, ca, "good", {"-sha256"});
    INFO(r.out << r.err);
    CHECK(contains(r.out, ": good"));
    CHECK(contains(r.err, "Response verify OK"));
    CHECK_FALSE(contains(r.err + r.out, "WARNING: no nonce"));
    // Without a nonce: the pre-signed response.
    CHECK(contains(repo.ocsp(p, ca, "revoked", {"-no_nonce"}).out, ": revoked"));
  }
  // SIGHUP with nonce = ignore: the same port now answers without a nonce.
  std::string text = slurp(repo.config);
  text.replace(text.find("nonce = \"sign\""), 14, "nonce = \"ignore\"");
  write_text(repo.config, text);
  p.send(SIGHUP);
  REQUIRE(p.wait_for_output("reloaded", 10000));
  RunResult after = repo.ocsp(p, "tls", "good");
  CHECK(contains(after.out, ": good"));
  CHECK(contains(after.err + after.out, "WARNING: no nonce in response"));
  // A broken config on SIGHUP is refused and the running one kept.
  write_text(repo.config, text + "\n[responder]\nno_such_key = 1\n");
  p.send(SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(contains(repo.ocsp(p, "tls-rsa", "good", {"-no_nonce"}).out, ": good"));
  CHECK(p.stop() == 0);
}

TEST_CASE("a store directory swapped under the same path is served after SIGHUP",
          "[responder][integration][reload]") {
  // docs/scale-out.md: a replica receives an export, swaps directories, sends SIGHUP.
  Repo repo;
  ResponderProcess p(repo.config, repo.env);
  repo.fetch_ca_pems(p);
  REQUIRE(contains(repo.ocsp(p, "tls", "good").out, ": good"));
  // The copy that arrives from the signer: an export of the store, in which the certificate is
  // then revoked and its response re-signed (through a config that points at the copy).
  std::filesystem::create_directories(repo.dir / "incoming");
  Repo::must(repo.signer({"export", "--out", repo.path("incoming/data.mdb")}));
  std::string text = slurp(repo.config);
  text.replace(text.find("store = \"store\""), 15, "store = \"incoming\"");
  const std::filesystem::path incoming_config = repo.dir / "incoming.toml";
  write_text(incoming_config, text);
  RunResult revoked = run({binary("pkirepo-signer").string(), "-c", incoming_config.string(),
                           "--operator", "tester", "revoke", "--ca", "tls", "--serial",
                           repo.serial["tls/good"], "--reason", "keyCompromise", "--publish"},
                          repo.env);
  Repo::must(revoked);
  std::filesystem::rename(repo.dir / "store", repo.dir / "store.old");
  std::filesystem::rename(repo.dir / "incoming", repo.dir / "store");
  // Before the reload the responder still holds the old environment open...
  CHECK(contains(repo.ocsp(p, "tls", "good").out, ": good"));
  // ...after it, the swapped-in store.
  p.send(SIGHUP);
  REQUIRE(p.wait_for_output("reopened", 10000));
  RunResult after = repo.ocsp(p, "tls", "good");
  INFO(after.out << after.err);
  CHECK(contains(after.out, ": revoked"));
  CHECK(contains(after.err, "Response verify OK"));
  // A signer run on the new store is seen by the next request, as before the swap.
  Repo::must(repo.signer({"revoke", "--ca", "tls-rsa", "--serial", repo.serial["tls-rsa/good"],
                          "--reason", "superseded", "--publish"}));
  CHECK(contains(repo.ocsp(p, "tls-rsa", "good").out, ": revoked"));
  // /healthz scans the new store.
  RunResult health = curl({"-s", "-o", "/dev/null", "-w", "%{http_code}", p.url("/healthz")});
  CHECK(health.out == "200");
  // A reload whose store cannot be opened keeps serving the running one.
  std::filesystem::rename(repo.dir / "store", repo.dir / "store.moved");
  p.send(SIGHUP);
  REQUIRE(p.wait_for_output("keeping the running config and store", 10000));
  CHECK(contains(repo.ocsp(p, "tls-rsa", "good").out, ": revoked"));
  CHECK(p.stop() == 0);
}

TEST_CASE("nonce = sign: after run rotates a responder certificate the responder loads its key",
          "[responder][integration][nonce][rotation]") {
  NonceRepo repo;
  ResponderProcess p(repo.config, responder_only_env(repo.env));
  repo.fetch_ca_pems(p);
  // Responder certificates live 90 days and rotate twice the 4-day OCSP validity before their
  // end: a run 82 days on rotates them and re-signs every response with the new keys.
  const UnixTime start = *parse_rfc3339(repo.env.at("PKIREPO_NOW"));
  const UnixTime later = start + 82 * 86400 + 3600;
  repo.env["PKIREPO_NOW"] = rfc3339(later);
  // The 47-day certificates issued at the start have expired by then: ask about a new one.
  // Issuing it rotates the issuing CA's responder certificate first (its first responses are
  // signed at issuance); the run rotates the root's.
  const std::string issued = repo.issue("tls", "good");
  RunResult run = repo.signer({"run"});
  INFO(issued << run.out << run.err);
  REQUIRE(run.exit_code == 0);
  REQUIRE(contains(issued + run.out, "rotated the responder certificate of CA tls"));
  REQUIRE(contains(run.out, "rotated the responder certificate of CA root"));
  // No SIGHUP: the responder notices the new certificates in the store and reloads.
  REQUIRE(p.wait_for_output("reloaded", 10000));
  CHECK(contains(p.output(), "new responder certificates"));
  // The nonce is echoed under the new responder certificate (valid from `later` on). The run
  // rotates one CA after another: a store scan between two rotations reloads with part of the
  // new keys and reloads again once the rest are in, so allow a few seconds for the last one.
  RunResult r;
  for (int attempt = 0; attempt < 20; ++attempt) {
    r = repo.ocsp(p, "tls", "good", {"-attime", std::to_string(later + 60)});
    if (!contains(r.err + r.out, "WARNING: no nonce")) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  INFO(r.out << r.err);
  // (openssl checks thisUpdate against its own clock and warns "status not yet valid" between
  // the file name and the status.)
  CHECK(contains(r.out, "good\n\tThis Update"));
  CHECK(contains(r.err, "Response verify OK"));
  CHECK_FALSE(contains(r.err + r.out, "WARNING: no nonce"));
  CHECK(p.stop() == 0);
}

TEST_CASE("nonce = sign: the responder holds only the responder passphrase, never the CA's",
          "[responder][integration][nonce]") {
  NonceRepo repo;
  // The key files say so themselves: the CA passphrase opens no responder key, the responder
  // passphrase no CA key.
  const auto keys = repo.dir / "keys";
  for (const auto& e : std::filesystem::directory_iterator(keys)) {
    const bool responder = e.path().filename().string().find("-ocsp-") != std::string::npos;
    auto with_ca = run({"openssl", "pkey", "-in", e.path().string(), "-noout", "-passin",
                        "env:PKIREPO_TEST_PASSPHRASE"},
                       repo.env);
    auto with_responder = run({"openssl", "pkey", "-in", e.path().string(), "-noout", "-passin",
                               "env:PKIREPO_TEST_RESPONDER_PASSPHRASE"},
                              repo.env);
    INFO(e.path());
    CHECK((with_ca.exit_code == 0) == !responder);
    CHECK((with_responder.exit_code == 0) == responder);
  }

  // The same config without a responder passphrase: the responder keeps answering with the
  // pre-signed responses and ignores nonces rather than take the CA passphrase.
  std::string text = slurp(repo.config);
  text.replace(text.find("responder_passphrase_env"), 24, "# responder_passphrase_env");
  write_text(repo.config, text);
  ResponderProcess p(repo.config, repo.env);
  repo.fetch_ca_pems(p);
  REQUIRE(p.wait_for_output("nonces will be ignored", 10000));
  RunResult r = repo.ocsp(p, "tls", "good");
  CHECK(contains(r.out, ": good"));
  CHECK(contains(r.err + r.out, "WARNING: no nonce in response"));
  auto doctor = repo.signer({"doctor"});
  CHECK(contains(doctor.out, "ocsp.nonce = \"sign\" without a responder passphrase"));
  CHECK(p.stop() == 0);
}
