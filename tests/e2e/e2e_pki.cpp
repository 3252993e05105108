#include "e2e_pki.h"

#include <cctype>
#include <ctime>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "support/base64.h"
#include "support/config_snippets.h"
#include "x509/bytes.h"
#include "x509/cert_info.h"
#include "x509/der.h"
#include "x509/time.h"

namespace pkirepo::test {

namespace {

// Beside the test PKI and its RSA issuing CA: a short-lived profile and a CRL-only CA.
const std::string kShortLivedAndCrlOnly =
    profile_toml({.id = "tls-short",
                  .validity = "7d",
                  .eku = {"serverAuth", "clientAuth"},
                  .extra = "policy_oids = [\"2.23.140.1.2.1\"]\nshort_lived = true\n"}) +
    ca_toml({.id = "tls-crl",
             .subject = "CN=Test TLS CRL-only Issuing CA,O=Test,C=US",
             .path_len = 0,
             .profiles = {"tls-server", "tls-short"},
             .eku = {"serverAuth", "clientAuth"},
             .extra = "ocsp = false\n"});

void must(const RunResult& r, const std::string& what) {
  if (r.exit_code != 0) {
    throw std::runtime_error(what + " failed (exit " + std::to_string(r.exit_code) + "): " + r.out +
                             r.err);
  }
}

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

}  // namespace

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

RunResult curl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"curl", "-sS", "--max-time", "10"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

std::string ocsp_get_path(const std::filesystem::path& request_der) {
  const std::string b64 = base64(as_bytes(slurp(request_der)));
  std::string out;
  static const char kHex[] = "0123456789ABCDEF";
  for (char c : b64) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
      out += c;
    } else {  // '+', '/', '=' (RFC 6960 A.1: url-encoding of the base64)
      out += '%';
      out += kHex[static_cast<unsigned char>(c) >> 4];
      out += kHex[static_cast<unsigned char>(c) & 0xf];
    }
  }
  return out;
}

CertUrls cert_urls(const std::filesystem::path& pem) {
  RunResult r = run({"openssl", "x509", "-in", pem.string(), "-noout", "-ext",
                     "authorityInfoAccess,crlDistributionPoints"});
  CertUrls urls;
  std::istringstream lines(r.out);
  std::string line;
  static const std::regex uri_re("URI:(\\S+)");
  bool in_cdp = false;
  while (std::getline(lines, line)) {
    if (contains(line, "CRL Distribution Points")) {
      in_cdp = true;
    } else if (contains(line, "Authority Information Access")) {
      in_cdp = false;
    }
    std::smatch m;
    if (!std::regex_search(line, m, uri_re)) {
      continue;
    }
    if (contains(line, "OCSP - URI:")) {
      urls.ocsp = m[1];
    } else if (contains(line, "CA Issuers - URI:")) {
      urls.ca_issuers = m[1];
    } else if (in_cdp) {
      urls.crl.push_back(m[1]);
    }
  }
  return urls;
}

E2ePki& E2ePki::shared() {
  static std::unique_ptr<E2ePki> pki;
  if (!pki) {
    pki.reset(new E2ePki());
  }
  return *pki;
}

E2ePki::E2ePki() {
  // The responder's port must be known before init: it goes into every AIA and CDP URL.
  port_ = reserve_free_port();
  config_ = write_demo_config(dir(), fixture("ca-tls-rsa.toml") + kShortLivedAndCrlOnly);
  std::string text = slurp(config_);
  const std::string placeholder = "http://pki.test.example";
  text.replace(text.find(placeholder), placeholder.size(), url());
  write_text(config_, text);

  // Real clients check validity, thisUpdate and nextUpdate against their own clock.
  env_ = signer_env();
  env_["PKIREPO_NOW"] = rfc3339(static_cast<UnixTime>(std::time(nullptr)));

  must(signer({"init"}), "pkirepo-signer init");
  for (const std::string ca : {"tls", "tls-rsa", kCrlOnlyCa}) {
    for (const std::string kind : {"good", "revoked", "short"}) {
      if (kind == "short" && ca != kCrlOnlyCa) {
        continue;
      }
      std::string host = kind + "." + ca + ".example.com";
      EvpPkeyPtr key = make_key(ca == "tls-rsa" ? "rsa-2048" : "ec-p256");
      X509ReqPtr req = make_csr(key.get(), host, {host});
      std::filesystem::path csr = file(ca + "-" + kind + ".csr");
      write_text(csr, to_pem(req.get()));
      must(signer({"issue", "--profile", kind == "short" ? "tls-short" : "tls-server", "--ca", ca,
                   "--csr", csr.string(), "--out", leaf_pem(ca, kind).string()}),
           "pkirepo-signer issue");
      X509Ptr cert = parse_cert_any(as_bytes(slurp(leaf_pem(ca, kind))));
      if (!cert) {
        throw std::runtime_error("cannot read " + leaf_pem(ca, kind).string());
      }
      serials_[ca + "-" + kind] = serial_hex(cert.get());
      must(run({"openssl", "x509", "-in", leaf_pem(ca, kind).string(), "-outform", "DER", "-out",
                leaf_der(ca, kind).string()}),
           "openssl x509 -outform DER");
    }
    must(signer({"revoke", "--ca", ca, "--serial", serial(ca, "revoked"), "--reason",
                 "keyCompromise"}),
         "pkirepo-signer revoke");
  }
  must(signer({"run"}), "pkirepo-signer run");

  responder_ = std::make_unique<ServerProcess>(
      std::vector<std::string>{binary("pkirepo-responder").string(), "-c", config_.string(),
                               "--listen", "127.0.0.1:" + std::to_string(port_), "--threads", "2"},
      std::map<std::string, std::string>{}, unset_env());
  if (!responder_->wait_for_output("listening on", 20000)) {
    throw std::runtime_error("pkirepo-responder did not start on port " + std::to_string(port_) +
                             ": " + responder_->output());
  }

  // CA certificates the way a client finds them: the caIssuers URL of the certificate below.
  auto fetch_issuer = [&](const std::filesystem::path& child_pem, const std::string& ca) {
    CertUrls urls = cert_urls(child_pem);
    if (urls.ca_issuers != url("/ca/" + ca + ".crt")) {
      throw std::runtime_error(child_pem.string() + ": unexpected caIssuers URL '" +
                               urls.ca_issuers + "'");
    }
    must(curl({"-f", "-o", ca_der(ca).string(), urls.ca_issuers}), "curl " + urls.ca_issuers);
    X509Ptr cert = parse_cert_any(as_bytes(slurp(ca_der(ca))));
    if (!cert) {
      throw std::runtime_error(urls.ca_issuers + ": not a certificate");
    }
    write_bytes(ca_pem(ca), to_pem(cert.get()));
  };
  for (const std::string ca : {"tls", "tls-rsa", kCrlOnlyCa}) {
    fetch_issuer(leaf_pem(ca, "good"), ca);
  }
  fetch_issuer(ca_pem("tls"), "root");
}

std::string E2ePki::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::filesystem::path E2ePki::leaf_pem(const std::string& ca, const std::string& kind) const {
  return file(ca + "-" + kind + ".pem");
}
std::filesystem::path E2ePki::leaf_der(const std::string& ca, const std::string& kind) const {
  return file(ca + "-" + kind + ".der");
}
std::filesystem::path E2ePki::ca_pem(const std::string& ca) const {
  return file(ca + ".pem");
}
std::filesystem::path E2ePki::ca_der(const std::string& ca) const {
  return file(ca + ".der");
}

const std::string& E2ePki::serial(const std::string& ca, const std::string& kind) const {
  return serials_.at(ca + "-" + kind);
}

uint64_t E2ePki::requests(const std::string& route, const std::string& base_url) const {
  RunResult r = curl({"-f", (base_url.empty() ? url() : base_url) + "/metrics"});
  if (r.exit_code != 0) {
    throw std::runtime_error("GET /metrics failed: " + r.err);
  }
  uint64_t total = 0;
  std::istringstream lines(r.out);
  std::string line;
  const std::string prefix = "pkirepo_responder_requests_total{route=\"" + route + "\"";
  while (std::getline(lines, line)) {
    if (line.rfind(prefix, 0) == 0) {
      total += std::stoull(line.substr(line.rfind(' ') + 1));
    }
  }
  return total;
}

RunResult E2ePki::signer(std::vector<std::string> args) const {
  args.insert(args.begin(),
              {binary("pkirepo-signer").string(), "-c", config_.string(), "--operator", "e2e"});
  return run(args, env_);
}

}  // namespace pkirepo::test
