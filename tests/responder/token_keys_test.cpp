// The same CA day, twice: every CA and responder key in key files, then every one of them in a
// PKCS#11 token (SoftHSM2). init, issue, revoke --publish, run and nonce signing by the
// responder; openssl checks the chain, the CRL and the OCSP answers. After the token run no
// private key is anywhere in the work folder.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>

#include "responder_process.h"
#include "store/store.h"
#include "support/softhsm.h"
#include "support/test_support.h"
#include "x509/cert_info.h"
#include "x509/der.h"
#include "x509/key.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

enum class Keys { files, tokens };

bool contains(const std::string& s, const std::string& needle) {
  return s.find(needle) != std::string::npos;
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  return text;
}

// The test PKI (root and issuing CA "tls"), nonce signing on. With tokens: the root's key in
// token "root", the issuing CA's in "issuing", responder keys in "ocsp", each with its own PIN.
struct KeyRepo {
  Keys keys;
  std::unique_ptr<SoftHsm> hsm;
  TempDir dir;
  std::filesystem::path config = dir / "pkirepo.toml";
  std::map<std::string, std::string> env = signer_env();
  std::map<std::string, std::string> serial;

  explicit KeyRepo(Keys k) : keys(k) {
    env["PKIREPO_NOW"] = rfc3339(static_cast<UnixTime>(std::time(nullptr)));
    std::string text = fixture("pki.toml");
    if (keys == Keys::tokens) {
      hsm = std::make_unique<SoftHsm>();
      hsm->init_token("root", "1111");
      hsm->init_token("issuing", "2222");
      hsm->init_token("ocsp", "3333");
      text = replaced(text, "file = \"keys/root.pem\"",
                      "pkcs11 = \"pkcs11:token=root;object=root-2026\", pin_env = "
                      "\"TEST_ROOT_PIN\"");
      text = replaced(text, "file = \"keys/tls.pem\"",
                      "pkcs11 = \"pkcs11:token=issuing;object=tls-2026\", pin_file = "
                      "\"pins/issuing.pin\"");
      std::filesystem::create_directories(dir / "pins");
      write_text(dir / "pins/issuing.pin", "2222\n");
      write_text(dir / "pins/ocsp.pin", "3333\n");
      env["TEST_ROOT_PIN"] = "1111";
      text += "\n[pkcs11]\nmodule = \"" + std::string(kSoftHsmModule) +
              "\"\n\n[ocsp]\nnonce = \"sign\"\nresponder_pkcs11 = \"pkcs11:token=ocsp\"\n"
              "responder_pin_file = \"pins/ocsp.pin\"\n";
    } else {
      env["TEST_RESPONDER_PASSPHRASE"] = "responder keys only";
      text +=
          "\n[ocsp]\nnonce = \"sign\"\nresponder_passphrase_env = "
          "\"TEST_RESPONDER_PASSPHRASE\"\n";
    }
    write_text(config, text);
  }

  RunResult signer(std::vector<std::string> args) const {
    args.insert(args.begin(),
                {binary("pkirepo-signer").string(), "-c", config.string(), "--operator", "tester"});
    return run(args, env);
  }
  std::string path(const std::string& rel) const { return (dir / rel).string(); }
  RunResult issue(const std::string& kind) {
    EvpPkeyPtr key = make_key("ec-p256");
    const std::string name = kind + ".example.com";
    write_text(dir / (kind + ".csr"), to_pem(make_csr(key.get(), name, {name}).get()));
    RunResult r = signer({"issue", "--profile", "tls-server", "--ca", "tls", "--csr",
                          path(kind + ".csr"), "--out", path(kind + ".pem")});
    if (r.exit_code == 0) {
      X509Ptr cert = parse_cert_any(as_bytes(read_text_file(dir / (kind + ".pem"))));
      REQUIRE(cert);
      serial[kind] = serial_hex(cert.get());
    }
    return r;
  }
  // The responder's environment: no CA passphrase and no CA PIN, only the responder's secret.
  std::map<std::string, std::string> responder_env() const {
    auto e = env;
    e["PKIREPO_TEST_PASSPHRASE"] = "";
    e["TEST_ROOT_PIN"] = "";
    return e;
  }
  std::vector<std::string> audit_events() const {
    std::vector<std::string> out;
    store::ReadStore st(dir / "store");
    store::ReadTxn txn = st.begin_read();
    store::Cursor c(txn, store::Db::audit);
    for (bool ok = c.first(); ok; ok = c.next()) {
      const ByteView v = c.value();
      const auto record =
          nlohmann::json::parse(std::string(reinterpret_cast<const char*>(v.data()), v.size()));
      out.push_back(record.at("event").get<std::string>());
    }
    return out;
  }
};

void must(const RunResult& r) {
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

size_t count(const std::vector<std::string>& events, const std::string& event) {
  return static_cast<size_t>(std::count(events.begin(), events.end(), event));
}

// Every file under `root` whose bytes hold a PEM private key or a PKCS#8 structure.
std::vector<std::string> private_key_files(const std::filesystem::path& root) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) {
      continue;
    }
    const std::string bytes = read_text_file(e.path());
    if (contains(bytes, "PRIVATE KEY-----")) {
      out.push_back(e.path().string());
      continue;
    }
    // DER: try every offset where a SEQUENCE starts as a PKCS#8 PrivateKeyInfo.
    for (size_t i = 0; i + 2 < bytes.size(); ++i) {
      if (static_cast<unsigned char>(bytes[i]) != 0x30) {
        continue;
      }
      const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + i);
      Pkcs8Ptr info(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(bytes.size() - i)));
      if (info) {
        out.push_back(e.path().string() + " (DER at " + std::to_string(i) + ")");
        break;
      }
    }
  }
  return out;
}

void ca_day(Keys keys) {
  KeyRepo repo(keys);
  must(repo.signer({"init"}));
  must(repo.issue("good"));
  must(repo.issue("revoked"));
  must(repo.signer({"revoke", "--ca", "tls", "--serial", repo.serial["revoked"], "--reason",
                    "keyCompromise", "--publish"}));
  must(repo.signer({"run"}));

  // The chain, as a relying party checks it.
  for (const std::string ca : {"root", "tls"}) {
    RunResult r = repo.signer({"ca", "show", ca, "--pem"});
    must(r);
    write_text(repo.dir / (ca + ".ca.pem"), r.out);
  }
  RunResult verify = run({"openssl", "verify", "-CAfile", repo.path("root.ca.pem"), "-untrusted",
                          repo.path("tls.ca.pem"), repo.path("good.pem")});
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);

  ResponderProcess p(repo.config, repo.responder_env());
  // The CRL signed by revoke --publish/run, verified against the issuing CA.
  REQUIRE(curl({"-o", repo.path("tls.crl"), p.url("/crl/tls.crl")}).exit_code == 0);
  RunResult crl = run({"openssl", "crl", "-inform", "DER", "-in", repo.path("tls.crl"), "-CAfile",
                       repo.path("tls.ca.pem"), "-noout", "-text"});
  INFO(crl.out << crl.err);
  CHECK(contains(crl.err, "verify OK"));
  std::string revoked_serial = repo.serial["revoked"];
  std::transform(revoked_serial.begin(), revoked_serial.end(), revoked_serial.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  CHECK(contains(crl.out, "Serial Number: " + revoked_serial));
  // OCSP with a nonce: signed at request time by the responder's own key.
  for (const std::string kind : {"good", "revoked"}) {
    RunResult r = run({"openssl", "ocsp", "-issuer", repo.path("tls.ca.pem"), "-cert",
                       repo.path(kind + ".pem"), "-url", p.url("/ocsp"), "-CAfile",
                       repo.path("root.ca.pem"), "-timeout", "10"});
    INFO(kind << r.out << r.err);
    CHECK(contains(r.out, ": " + kind));
    CHECK(contains(r.err, "Response verify OK"));
    CHECK_FALSE(contains(r.err + r.out, "WARNING: no nonce"));
  }
  CHECK(p.stop() == 0);

  const auto events = repo.audit_events();
  if (keys == Keys::tokens) {
    // Generated in the tokens: both CA keys and both responder keys (root's and tls's).
    CHECK(count(events, "token_key_generated") == 4);
    CHECK(count(events, "token_key_opened") >= 4);
    CHECK_FALSE(std::filesystem::exists(repo.dir / "keys"));
    RunResult doctor = repo.signer({"doctor"});
    CHECK_THAT(doctor.out, Catch::Contains("CA root key pkcs11:token=root;object=root-2026: in "
                                           "the token, not extractable"));
    // 83 days on, the responder certificates rotate: new keys generated in the token.
    repo.env["PKIREPO_NOW"] = rfc3339(*parse_rfc3339(repo.env.at("PKIREPO_NOW")) + 83 * 86400);
    RunResult rotated = repo.signer({"run"});
    INFO(rotated.out << rotated.err);
    CHECK(rotated.exit_code == 0);
    CHECK(contains(rotated.out, "rotated the responder certificate of CA tls"));
    CHECK(count(repo.audit_events(), "token_key_generated") == 6);
    const auto found = private_key_files(repo.dir.path());
    INFO(::Catch::Detail::stringify(found));
    CHECK(found.empty());
  } else {
    CHECK(count(events, "token_key_generated") == 0);
    // The check finds key files: two CA keys, two responder keys, the audit checkpoint key.
    CHECK(private_key_files(repo.dir / "keys").size() == 5);
  }
}

}  // namespace

TEST_CASE("a CA day with every key in files: init, issue, revoke --publish, run, nonce signing",
          "[responder][integration][keys]") {
  ca_day(Keys::files);
}

TEST_CASE(
    "a CA day with every key in a PKCS#11 token: the same commands and answers, and no "
    "private key in the work folder",
    "[responder][integration][keys][pkcs11]") {
  ca_day(Keys::tokens);
}

TEST_CASE(
    "token keys: a wrong PIN, a missing token and a missing key are refused with the reason, "
    "recorded in the audit log, and issue nothing",
    "[signer][keys][pkcs11]") {
  KeyRepo repo(Keys::tokens);
  must(repo.signer({"init"}));
  // init again with the keys present: nothing to do, the token keys are not regenerated.
  CHECK(repo.signer({"init"}).exit_code == 1);
  CHECK(count(repo.audit_events(), "token_key_generated") == 2 + 2);

  const auto certs_before = [&] {
    store::ReadStore st(repo.dir / "store");
    store::ReadTxn txn = st.begin_read();
    store::Cursor c(txn, store::Db::certs);
    size_t n = 0;
    for (bool ok = c.first(); ok; ok = c.next()) {
      ++n;
    }
    return n;
  };
  const size_t certs = certs_before();

  write_text(repo.dir / "pins/issuing.pin", "9999\n");
  RunResult wrong = repo.issue("wrong-pin");
  CHECK(wrong.exit_code == 1);
  CHECK_THAT(wrong.err, Catch::Contains("CA tls: token \"issuing\": wrong PIN"));
  CHECK(repo.audit_events().back() == "token_wrong_pin");
  write_text(repo.dir / "pins/issuing.pin", "2222\n");

  const std::string good_config = read_text_file(repo.config);
  write_text(repo.config, replaced(good_config, "token=issuing", "token=gone"));
  RunResult missing = repo.issue("no-token");
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Catch::Contains("CA tls: no token labelled \"gone\"") &&
                              Catch::Contains("\"issuing\""));
  CHECK(repo.audit_events().back() == "token_missing");

  write_text(repo.config, replaced(good_config, "object=tls-2026", "object=tls-1999"));
  RunResult no_key = repo.issue("no-key");
  CHECK(no_key.exit_code == 1);
  CHECK_THAT(no_key.err,
             Catch::Contains("token \"issuing\" holds no private key labelled \"tls-1999\""));
  CHECK(repo.audit_events().back() == "token_key_missing");

  // A PIN inside the URI: refused when the config loads.
  write_text(repo.config,
             replaced(good_config, "object=tls-2026", "object=tls-2026?pin-value=2222"));
  RunResult pin_in_uri = repo.issue("pin-in-uri");
  CHECK(pin_in_uri.exit_code != 0);
  CHECK_THAT(pin_in_uri.err, Catch::Contains("a PIN does not belong in the URI"));

  write_text(repo.config, good_config);
  CHECK(certs_before() == certs);
  must(repo.issue("fine"));
  CHECK(certs_before() == certs + 1);
}
