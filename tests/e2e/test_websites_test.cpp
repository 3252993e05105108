// The BR 2.2 test websites as a relying party meets them: nginx serves a valid, a revoked and an
// expired certificate of a test PKI (each with its chain) on 127.0.0.1, the real responder
// serves the PKI's OCSP responses and CRLs, and the `openssl` CLI checks what each site serves:
// the valid one verifies and is "good" by OCSP; the revoked one is "revoked" by OCSP and by the
// CRL; the expired one fails verification with "certificate has expired". The publisher then
// builds the site with the three URLs and reports none of the test website findings.
//
// Its own PKI (not E2ePki::shared()): the hierarchy starts 50 days ago so that a 47-day
// certificate issued then has expired, the way scripts/demo makes its expired one.
#include <openssl/pem.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <memory>

#include "e2e_pki.h"
#include "x509/der.h"
#include "x509/time.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

constexpr const char* kKinds[] = {"valid", "revoked", "expired"};

bool have_nginx() {
  return run({"sh", "-c", "command -v nginx"}).exit_code == 0;
}

void must(const RunResult& r, const std::string& what) {
  INFO(what << " (exit " << r.exit_code << "):\n" << r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

// An unencrypted PEM private key, readable by its owner only (nginx reads it).
void write_key(const std::filesystem::path& path, EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  REQUIRE(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  write_text(path, std::string(data, static_cast<size_t>(size)));
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

// The first certificate `openssl s_client -showcerts` printed: what the server sent as its own.
std::string first_pem(const std::string& text) {
  const size_t begin = text.find("-----BEGIN CERTIFICATE-----");
  const std::string end_marker = "-----END CERTIFICATE-----";
  const size_t end = text.find(end_marker, begin);
  if (begin == std::string::npos || end == std::string::npos) {
    return {};
  }
  return text.substr(begin, end + end_marker.size() - begin) + "\n";
}

}  // namespace

TEST_CASE("test websites: nginx serves valid, revoked and expired, and openssl tells them apart",
          "[e2e][nginx][test-websites]") {
  if (!have_nginx()) {
    WARN("SKIPPED: nginx is not installed (scripts/setup installs nginx-light)");
    return;
  }
  TempDir dir;
  const int responder_port = reserve_free_port();
  const std::string base = "http://127.0.0.1:" + std::to_string(responder_port);
  std::filesystem::path config = write_demo_config(dir.path());
  {
    std::string text = slurp(config);
    const std::string placeholder = "http://pki.test.example";
    text.replace(text.find(placeholder), placeholder.size(), base);
    write_text(config, text);
  }
  const UnixTime now = static_cast<UnixTime>(std::time(nullptr));
  const std::string past = rfc3339(now - 50 * 86400);
  auto signer = [&](std::vector<std::string> args, const std::string& at) {
    args.insert(args.begin(),
                {binary("pkirepo-signer").string(), "-c", config.string(), "--operator", "e2e"});
    std::map<std::string, std::string> env = signer_env();
    env["PKIREPO_NOW"] = at;
    return run(args, env);
  };
  must(signer({"init"}, past), "pkirepo-signer init");

  // Keys and certificates for the three sites: the expired one issued 50 days ago (47-day
  // profile), the others now (audit record times never go back).
  std::map<std::string, std::string> serials;
  for (const std::string kind : {"expired", "valid", "revoked"}) {
    const std::string host = kind + ".sites.example.com";
    EvpPkeyPtr key = make_key("ec-p256");
    write_key(dir / (kind + ".key"), key.get());
    X509ReqPtr req = make_csr(key.get(), host, {host});
    write_text(dir / (kind + ".csr"), to_pem(req.get()));
    RunResult r =
        signer({"issue", "--ca", "tls", "--profile", "tls-server", "--csr",
                (dir / (kind + ".csr")).string(), "--out", (dir / (kind + ".pem")).string()},
               kind == "expired" ? past : rfc3339(now));
    must(r, "pkirepo-signer issue " + kind);
    const size_t at = r.out.find(" serial ");
    REQUIRE(at != std::string::npos);
    serials[kind] = r.out.substr(at + 8, r.out.find(' ', at + 8) - (at + 8));
  }
  must(
      signer({"revoke", "--ca", "tls", "--serial", serials["revoked"], "--reason", "keyCompromise"},
             rfc3339(now)),
      "pkirepo-signer revoke");
  must(signer({"run"}, rfc3339(now)), "pkirepo-signer run");

  ServerProcess responder({binary("pkirepo-responder").string(), "-c", config.string(), "--listen",
                           "127.0.0.1:" + std::to_string(responder_port), "--threads", "1"},
                          {}, E2ePki::unset_env());
  REQUIRE(responder.wait_for_output("listening on", 20000));

  // The CA certificates and the issuing CA's CRL, from the responder.
  for (const std::string ca : {"root", "tls"}) {
    must(curl({"-f", "-o", (dir / (ca + ".der")).string(), base + "/ca/" + ca + ".crt"}),
         "GET /ca/" + ca + ".crt");
    must(run({"openssl", "x509", "-inform", "DER", "-in", (dir / (ca + ".der")).string(), "-out",
              (dir / (ca + "-ca.pem")).string()}),
         "openssl x509 " + ca);
  }
  must(curl({"-f", "-o", (dir / "tls.crl").string(), base + "/crl/tls.crl"}), "GET /crl/tls.crl");
  must(run({"openssl", "crl", "-inform", "DER", "-in", (dir / "tls.crl").string(), "-out",
            (dir / "tls-crl.pem").string()}),
       "openssl crl");
  const std::string root_pem = (dir / "root-ca.pem").string();
  const std::string tls_pem = (dir / "tls-ca.pem").string();

  // nginx: one TLS server per site, each on its own port, serving the leaf and its issuing CA.
  const std::filesystem::path prefix = dir / "nginx";
  std::filesystem::create_directories(prefix);
  std::map<std::string, int> ports;
  std::unique_ptr<ServerProcess> nginx;
  for (int attempt = 0; attempt < 3 && !nginx; ++attempt) {
    const std::string p = prefix.string();
    std::string servers;
    for (const std::string kind : kKinds) {
      ports[kind] = reserve_free_port();
      write_text(dir / (kind + "-chain.pem"), slurp(dir / (kind + ".pem")) + slurp(tls_pem));
      servers += "  server {\n    listen 127.0.0.1:" + std::to_string(ports[kind]) +
                 " ssl;\n    server_name " + kind + ".sites.example.com;\n    ssl_certificate " +
                 (dir / (kind + "-chain.pem")).string() + ";\n    ssl_certificate_key " +
                 (dir / (kind + ".key")).string() + ";\n    location / { return 200 \"" + kind +
                 " test website\\n\"; }\n  }\n";
    }
    write_text(prefix / "nginx.conf",
               "master_process off;\nworker_processes 1;\npid " + p + "/nginx.pid;\n" +
                   "error_log stderr notice;\nevents { worker_connections 64; }\nhttp {\n" +
                   "  access_log " + p + "/access.log;\n  client_body_temp_path " + p +
                   "/body;\n  proxy_temp_path " + p + "/proxy;\n  fastcgi_temp_path " + p +
                   "/fastcgi;\n  uwsgi_temp_path " + p + "/uwsgi;\n  scgi_temp_path " + p +
                   "/scgi;\n" + servers + "}\n");
    auto process = std::make_unique<ServerProcess>(std::vector<std::string>{
        "nginx", "-p", p + "/", "-c", p + "/nginx.conf", "-e", "stderr", "-g", "daemon off;"});
    bool up = true;
    for (const auto& [kind, port] : ports) {
      up = up && wait_for_port(port, 10000);
    }
    if (up) {
      nginx = std::move(process);
      break;
    }
    const std::string out = process->output();
    process->stop();
    if (!contains(out, "Address already in use")) {
      FAIL("nginx did not start:\n" << out);
    }
  }
  REQUIRE(nginx);

  // What each site serves, as `openssl s_client` sees it (SNI and host name checked).
  auto connect = [&](const std::string& kind) {
    const std::string host = kind + ".sites.example.com";
    return run({"timeout", "20", "openssl", "s_client", "-connect",
                "127.0.0.1:" + std::to_string(ports[kind]), "-servername", host, "-verify_hostname",
                host, "-CAfile", root_pem, "-verify_return_error", "-showcerts"});
  };
  auto served = [&](const std::string& kind, const RunResult& r) {
    const std::string pem = first_pem(r.out);
    REQUIRE_FALSE(pem.empty());
    // The site serves the very certificate the signer issued for it.
    CHECK(pem == slurp(dir / (kind + ".pem")));
    const std::filesystem::path path = dir / ("served-" + kind + ".pem");
    write_text(path, pem);
    return path.string();
  };
  auto ocsp = [&](const std::string& cert) {
    return run({"timeout", "20", "openssl", "ocsp", "-issuer", tls_pem, "-cert", cert, "-url",
                base + "/ocsp", "-CAfile", root_pem, "-no_nonce", "-timeout", "10"});
  };
  auto crl_verify = [&](const std::string& cert) {
    return run({"openssl", "verify", "-crl_check", "-CRLfile", (dir / "tls-crl.pem").string(),
                "-CAfile", root_pem, "-untrusted", tls_pem, cert});
  };

  {  // valid: the chain verifies, OCSP and the CRL say good
    RunResult r = connect("valid");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "Verify return code: 0 (ok)"));
    const std::string cert = served("valid", r);
    RunResult o = ocsp(cert);
    INFO(o.out << o.err);
    CHECK(o.exit_code == 0);
    CHECK(contains(o.out + o.err, "Response verify OK"));
    CHECK(contains(o.out, cert + ": good"));
    RunResult v = crl_verify(cert);
    INFO(v.out << v.err);
    CHECK(v.exit_code == 0);
    CHECK(contains(v.out, cert + ": OK"));
  }
  {  // revoked: the chain verifies, OCSP and the CRL say revoked
    RunResult r = connect("revoked");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);  // s_client checks no revocation: the chain itself is sound
    const std::string cert = served("revoked", r);
    RunResult o = ocsp(cert);
    INFO(o.out << o.err);
    CHECK(o.exit_code == 0);
    CHECK(contains(o.out + o.err, "Response verify OK"));
    CHECK(contains(o.out, cert + ": revoked"));
    CHECK(contains(o.out, "Reason: keyCompromise"));
    RunResult v = crl_verify(cert);
    INFO(v.out << v.err);
    CHECK(v.exit_code != 0);
    CHECK(contains(v.out + v.err, "certificate revoked"));
  }
  {  // expired: verification fails with "certificate has expired"
    RunResult r = connect("expired");
    INFO(r.out << r.err);
    CHECK(r.exit_code != 0);
    CHECK(contains(r.out + r.err, "certificate has expired"));
  }
  {  // the publisher finds nothing to say about these test websites
    std::string table = "\n[site]\noutput = \"public\"\nsource = \"site\"\ntemplates = \"" +
                        (source_dir() / "site-templates").string() +
                        "\"\n[[site.test_certificates]]\nca = \"tls\"\n";
    for (const std::string kind : kKinds) {
      table += kind + " = \"" + serials[kind] + "\"\n" + kind + "_url = \"https://" + kind +
               ".sites.example.com:" + std::to_string(ports[kind]) + "/\"\n";
    }
    std::filesystem::create_directories(dir / "site");
    write_text(config, slurp(config) + table);
    RunResult b = run({binary("pkirepo-publisher").string(), "-c", config.string(), "build"},
                      {{"PKIREPO_NOW", rfc3339(now)}});
    INFO(b.out << b.err);
    REQUIRE(b.exit_code == 0);
    CHECK_FALSE(contains(b.err, "test website"));
    CHECK_FALSE(contains(b.err, "site.test_certificates"));
    CHECK(contains(slurp(dir / "public/test-certificates.html"),
                   "https://revoked.sites.example.com:" + std::to_string(ports["revoked"]) + "/"));
  }

  CHECK(nginx->stop() == 0);
  CHECK(responder.stop() == 0);
}
