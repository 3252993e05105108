#include "daily_repo.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "store/store.h"
#include "support/config_snippets.h"
#include "x509/cert_info.h"
#include "x509/der.h"

namespace pkirepo::test {

DailyRepo::DailyRepo()
    : DemoRepo(
          profile_toml({.id = "tls-short", .validity = "2d"}) +
          profile_toml({.id = "tls-week", .validity = "7d"}) +
          profile_toml({.id = "tls-ephemeral", .validity = "2d", .extra = "short_lived = true\n"}) +
          ca_toml({.id = "crl-only",
                   .subject = "CN=Test CRL-only Issuing CA,O=Test,C=US",
                   .path_len = 0,
                   .profiles = {"tls-server"},
                   .eku = {"serverAuth", "clientAuth"},
                   .extra = "ocsp = false\n"})) {
  // The demo config's issuing CA issues under tls-server only: add the short profiles.
  std::ifstream in(config);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  const std::string from = "profiles = [\"tls-server\"]";
  text.replace(text.find(from), from.size(),
               "profiles = [\"tls-server\", \"tls-short\", \"tls-week\", \"tls-ephemeral\"]");
  write_text(config, text);
}

RunResult DailyRepo::signer(std::vector<std::string> args, UnixTime at) {
  env["PKIREPO_NOW"] = rfc3339(at);
  args.insert(args.begin(),
              {binary("pkirepo-signer").string(), "-c", config.string(), "--operator", "cron"});
  return run(args, env);
}

std::string DailyRepo::issue(const std::string& profile, const std::string& host, UnixTime at,
                             const std::string& ca) {
  EvpPkeyPtr key = make_key("ec-p256");
  X509ReqPtr req = make_csr(key.get(), host, {host});
  const auto csr = dir / (host + ".csr");
  write_text(csr, to_pem(req.get()));
  const auto pem = dir / (host + ".pem");
  std::vector<std::string> args = {"issue",      "--profile", profile,     "--csr",
                                   csr.string(), "--out",     pem.string()};
  if (!ca.empty()) {
    args.insert(args.end(), {"--ca", ca});
  }
  RunResult r = signer(args, at);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  X509Ptr cert = parse_cert_any(read_file(pem));
  return serial_hex(cert.get());
}

size_t DailyRepo::ocsp_records_of(const std::string& serial) {
  Bytes want;
  REQUIRE(parse_serial_hex(serial, want));
  store::ReadStore st(dir / "store");
  store::ReadTxn txn = st.begin_read();
  size_t n = 0;
  store::Cursor c(txn, store::Db::ocsp);
  for (bool ok = c.first(); ok; ok = c.next()) {
    const ByteView key = c.key();
    n +=
        key.size() > want.size() && std::equal(want.begin(), want.end(),
                                               key.end() - static_cast<std::ptrdiff_t>(want.size()))
            ? 1
            : 0;
  }
  return n;
}

std::string healthz_after_scan(const ResponderProcess& p) {
  std::string out;
  for (int attempt = 0; attempt < 100; ++attempt) {
    out = curl({"-s", "-w", "\n%{http_code}", p.url("/healthz")}).out;
    if (out.find("not been scanned yet") == std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return out;
}

}  // namespace pkirepo::test
