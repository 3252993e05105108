#include "config/config.h"

#include <catch2/catch.hpp>

#include "config/duration.h"
#include "support/config_snippets.h"

using namespace pkirepo;

namespace {

const std::string kBase = R"([repository]
name = "T"
store = "store"
base_url = "http://pki.example.test/"

[[profile]]
id = "tls-server"
validity = "397d"
eku = ["serverAuth"]

[[ca]]
id = "root"
role = "root"
subject = "CN=Root,O=T,C=US"
key = { algorithm = "ec-p384", file = "keys/root.pem" }
validity = "25y"

[[ca]]
id = "tls"
role = "issuing"
parent = "root"
subject = "CN=TLS,O=T,C=US"
key = { algorithm = "ec-p384", file = "keys/tls.pem" }
validity = "6y"
profiles = ["tls-server"]
eku = ["serverAuth"]
)";

std::string error_of(const std::string& text) {
  try {
    (void)parse_config(text, "pkirepo.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("durations parse with their unit", "[config]") {
  CHECK(parse_duration("8h")->seconds == 8 * 3600);
  CHECK(parse_duration("4d")->seconds == 4 * 86400);
  CHECK(parse_duration("25y")->seconds == 25 * 365 * 86400);
  CHECK(parse_duration("90s")->seconds == 90);
  CHECK_FALSE(parse_duration("4"));
  CHECK_FALSE(parse_duration("d"));
  CHECK_FALSE(parse_duration("-4d"));
  CHECK_FALSE(parse_duration("4w"));
  CHECK_FALSE(parse_duration("0d"));
  CHECK(format_duration(4 * 86400) == "4d");
  CHECK(format_duration(12 * 3600) == "12h");
}

TEST_CASE("a valid config loads with defaults and resolved paths", "[config]") {
  Config c = parse_config(kBase, "/etc/pkirepo/pkirepo.toml");
  CHECK(c.repository.base_url == "http://pki.example.test");
  CHECK(c.repository.store == "/etc/pkirepo/store");
  CHECK(c.cas.size() == 2);
  CHECK(c.cas_parent_first().front()->id == "root");
  CHECK(c.ocsp.validity.seconds == 4 * 86400);
  CHECK(c.ocsp.refresh_after.seconds == 2 * 86400);
  CHECK(c.crl_url("tls", -1) == "http://pki.example.test/crl/tls.crl");
  CHECK(c.crl_url("tls", 3) == "http://pki.example.test/crl/tls/3.crl");
  CHECK(c.ca_cert_url("root") == "http://pki.example.test/ca/root.crt");
  CHECK(c.ocsp_url() == "http://pki.example.test/ocsp");
}

TEST_CASE("config errors name file, line and key", "[config]") {
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {kBase + "\n[ocsp]\nvalidity = \"12d\"\n",
       "pkirepo.toml:29: ocsp.validity: 12d is outside the BR 4.9.10"},
      {kBase + "\n[ocsp]\nvalidity = \"4d\"\nrefresh = \"3d12h\"\n", "ocsp.refresh"},
      {kBase + "\n[ocsp]\nvalidity = \"10d\"\nrefresh = \"5d\"\n", "breaks BR 4.9.10"},
      {kBase + "\n[crl]\nvalidity = \"11d\"\n", "crl.validity: 11d exceeds the BR 4.9.7 maximum"},
      {kBase + "\n[ocsp]\nvalidty = \"4d\"\n", "ocsp.validty: unknown key"},
      {kBase + "\n[crl]\nshards = 0\n", "crl.shards: 0 is outside 1..4096"},
      {kBase + "\n[[ca]]\nid = \"x\"\nrole = \"issuing\"\nparent = \"nope\"\nsubject = \"CN=X\"\n"
               "key = { algorithm = \"ec-p384\", file = \"x.pem\" }\nvalidity = \"5y\"\n",
       "unknown CA \"nope\""},
      {kBase + "\n[[ca]]\nid = \"x\"\nrole = \"root\"\nsubject = \"CN=X\"\n"
               "key = { algorithm = \"ec-p384\", file = \"x.pem\" }\nvalidity = \"26y\"\n",
       "exceeds the CPS 6.3.2 maximum of 25 years"},
      {kBase + "\n[[ca]]\nid = \"x\"\nrole = \"root\"\nsubject = \"CN=X\"\n"
               "key = { algorithm = \"rsa-1024\", file = \"x.pem\" }\nvalidity = \"5y\"\n",
       "key.algorithm: \"rsa-1024\""},
      {kBase + "\n[[ca]]\nid = \"x\"\nrole = \"root\"\nsubject = \"O=X\"\n"
               "key = { algorithm = \"ec-p384\", file = \"x.pem\" }\nvalidity = \"5y\"\n",
       "needs a CN"},
      {kBase + "\n[[profile]]\nid = \"long\"\nvalidity = \"500d\"\n",
       "exceeds the CPS 6.3.2 subscriber maximum of 15 months"},
      {kBase + "\n[[profile]]\nid = \"short\"\nvalidity = \"11d\"\nshort_lived = true\n",
       "profile[short].validity: 11d is too long for a short-lived profile"},
      {kBase + "\n[[profile]]\nid = \"cs\"\nvalidity = \"365d\"\ncrl_retention = \"11y\"\n",
       "profile[cs].crl_retention: 11y exceeds 10 years"},
      {kBase + "\n[[profile]]\nid = \"cs\"\nvalidity = \"365d\"\ncrl_retention = \"0d\"\n",
       "crl_retention: \"0d\" is not a duration"},
      {kBase + "\n[[ca]]\nid = \"crl\"\nrole = \"issuing\"\nparent = \"root\"\n"
               "subject = \"CN=C\"\nkey = { algorithm = \"ec-p384\", file = \"c.pem\" }\n"
               "validity = \"5y\"\nprofiles = [\"tls-server\"]\neku = [\"serverAuth\"]\n"
               "ocsp = false\n\n[crl]\nvalidity = \"7d\"\nrefresh_before = \"2d\"\n",
       "ca[crl].ocsp: a CRL-only CA's CRLs must be re-signed at least every 4 days (BR 4.9.7), "
       "but crl.validity - crl.refresh_before is 5d"},
      {kBase + "\n[[ca]]\nid = \"off\"\nrole = \"issuing\"\nparent = \"root\"\n"
               "subject = \"CN=C\"\nkey = { algorithm = \"ec-p384\", file = \"c.pem\" }\n"
               "validity = \"5y\"\nprofiles = [\"tls-server\"]\neku = [\"serverAuth\"]\n"
               "offline = true\n",
       "ca[2].offline: only a root or intermediate CA that issues no subscriber certificates "
       "can be offline"},
      {kBase + "\n[[profile]]\nid = \"p\"\nvaldity = \"30d\"\n",
       "profile[1].valdity: unknown key, did you mean \"validity\"?"},
      {kBase + "\n[ocsp]\nrefesh = \"half\"\n",
       "ocsp.refesh: unknown key, did you mean \"refresh\"?"},
      {kBase + "\n[ocsp]\nfrobnicate = 1\n", "ocsp.frobnicate: unknown key"},
      {[&] {
         std::string t = kBase;
         t.replace(t.find("http://"), 7, "https://");
         return t;
       }(),
       "repository.base_url: must start with http:// (status URLs in certificates are plain HTTP"},
      {"[repository]\nname = \"x\"\n", "repository.store: required key is missing"},
      {"this is = = not toml", "pkirepo.toml:1:"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    std::string err = error_of(c.text);
    CHECK_THAT(err, Catch::Contains(c.expected));
  }
}

TEST_CASE("token keys: the config shape, and what is refused at load", "[config][pkcs11]") {
  auto with_root_key = [](const std::string& key) {
    std::string t = kBase;
    const std::string file_key = "key = { algorithm = \"ec-p384\", file = \"keys/root.pem\" }";
    t.replace(t.find(file_key), file_key.size(), key);
    return t;
  };
  const Config cfg = parse_config(
      with_root_key("key = { algorithm = \"ec-p384\", pkcs11 = \"pkcs11:token=root;object=r\", "
                    "pin_file = \"secrets/root.pin\" }") +
          "\n[pkcs11]\nmodule = \"/usr/lib/softhsm/libsofthsm2.so\"\n"
          "\n[ocsp]\nresponder_pkcs11 = \"pkcs11:token=ocsp\"\nresponder_pin_env = \"OCSP_PIN\"\n",
      "/etc/pkirepo/pkirepo.toml");
  const CaConfig& root = *cfg.find_ca("root");
  CHECK(root.key.in_token());
  CHECK(root.key.pin_file == "/etc/pkirepo/secrets/root.pin");
  CHECK_FALSE(cfg.find_ca("tls")->key.in_token());
  CHECK(cfg.pkcs11_module == "/usr/lib/softhsm/libsofthsm2.so");
  CHECK(cfg.responder_keys_in_token());
  CHECK(parse_config(kBase, "pkirepo.toml").pkcs11_module == "p11-kit-proxy.so");

  const std::pair<std::string, std::string> refused[] = {
      {with_root_key("key = { algorithm = \"ec-p384\", pkcs11 = \"pkcs11:token=root;object=r\" }"),
       "ca[0].key.pin_file: a token key needs exactly one of pin_file and pin_env"},
      {with_root_key("key = { algorithm = \"ed25519\", pkcs11 = \"pkcs11:token=root;object=r\", "
                     "pin_env = \"P\" }"),
       "ca[0].key.algorithm: \"ed25519\" cannot be used in a PKCS#11 token"},
      {with_root_key("key = { algorithm = \"ec-p384\", pkcs11 = \"pkcs11:token=root\", "
                     "pin_env = \"P\" }"),
       "ca[0].key.pkcs11: \"pkcs11:token=root\": the URI names no key (add object=LABEL)"},
      {with_root_key("key = { algorithm = \"ec-p384\", file = \"r.pem\", pin_env = \"P\" }"),
       "ca[0].key.pin_env: a PIN belongs to a key.pkcs11 token key"},
      {with_root_key("key = { algorithm = \"ec-p384\", file = \"r.pem\", pkcs11 = "
                     "\"pkcs11:token=root;object=r\", pin_env = \"P\" }"),
       "give exactly one of key.file and key.pkcs11"},
      {kBase + "\n[ocsp]\nresponder_pkcs11 = \"pkcs11:token=ocsp;object=x\"\n"
               "responder_pin_env = \"P\"\n",
       "ocsp.responder_pkcs11: \"pkcs11:token=ocsp;object=x\": name the token only"},
      {kBase + "\n[ocsp]\nresponder_pkcs11 = \"pkcs11:token=ocsp\"\nresponder_pin_env = "
               "\"P\"\nresponder_key_dir = \"rk\"\n",
       "ocsp.responder_key_dir: responder keys are in the token of ocsp.responder_pkcs11"},
      {kBase + "\n[ocsp]\nresponder_pin_env = \"P\"\n",
       "ocsp.responder_pin_env: belongs to ocsp.responder_pkcs11"},
      {kBase + "\n[pkcs11]\nmodul = \"x.so\"\n", "pkcs11.modul: unknown key"},
      {with_root_key("key = { algorithm = \"ec-p384\", pkcs11 = \"pkcs11:token=root;object=r\", "
                     "pin_env = \"P\" }"),
       "ca[root].key.pkcs11: its responder keys are files with no CA key folder to live in: set "
       "ocsp.responder_key_dir"},
  };
  for (const auto& [text, expected] : refused) {
    INFO(text);
    CHECK_THAT(error_of(text), Catch::Contains(expected));
  }
}

TEST_CASE("a cycle in the CA hierarchy is refused", "[config]") {
  std::string text = "[repository]\nname = \"T\"\nstore = \"s\"\nbase_url = \"http://x.test\"\n" +
                     test::ca_toml({.id = "a", .role = "intermediate", .parent = "b", .eku = {}}) +
                     test::ca_toml({.id = "b", .role = "intermediate", .parent = "a", .eku = {}});
  CHECK_THAT(error_of(text), Catch::Contains("cycle"));
}

TEST_CASE("allow_non_br lets a private CA leave the BR OCSP range", "[config]") {
  Config c = parse_config(kBase +
                              "\n[ocsp]\nvalidity = \"30d\"\nrefresh = \"10d\"\nallow_non_br = "
                              "true\nresponder_validity = \"200d\"\n",
                          "p.toml");
  CHECK(c.ocsp.validity.seconds == 30 * 86400);
  CHECK(c.ocsp.allow_non_br);
}

TEST_CASE("a root above a serverAuth profile is TLS-dedicated unless the file says otherwise",
          "[config][rules]") {
  Config dedicated = parse_config(kBase, "pkirepo.toml");
  CHECK(dedicated.find_ca("root")->tls_dedicated);
  CHECK(dedicated.root_of(*dedicated.find_ca("tls")) == dedicated.find_ca("root"));
  CHECK(dedicated.find_profile("tls-server")->tls_server());

  std::string text = kBase;
  text.replace(text.find("validity = \"25y\""), 16, "validity = \"25y\"\ntls_dedicated = false");
  text.replace(text.rfind("eku = [\"serverAuth\"]"), 20, "eku = [\"codeSigning\"]");
  Config mixed = parse_config(text, "pkirepo.toml");
  CHECK_FALSE(mixed.find_ca("root")->tls_dedicated);

  // The same hierarchy with no serverAuth anywhere: nothing makes the root TLS-dedicated.
  std::string non_tls = kBase;
  for (size_t at = 0; (at = non_tls.find("serverAuth", at)) != std::string::npos;) {
    non_tls.replace(at, 10, "clientAuth");
  }
  CHECK_FALSE(parse_config(non_tls, "pkirepo.toml").find_ca("root")->tls_dedicated);
}

TEST_CASE("status services: CRL-only CAs, short-lived profiles and CRL retention", "[config]") {
  const std::string extra =
      test::profile_toml({.id = "short", .validity = "7d", .extra = "short_lived = true\n"}) +
      test::profile_toml({.id = "code",
                          .validity = "365d",
                          .eku = {"codeSigning"},
                          .extra = "crl_retention = \"10y\"\n"}) +
      test::ca_toml({.id = "crl", .profiles = {"tls-server", "short"}, .extra = "ocsp = false\n"});
  Config c = parse_config(kBase + extra, "pkirepo.toml");
  CHECK(c.find_ca("tls")->ocsp);
  CHECK_FALSE(c.find_ca("crl")->ocsp);
  CHECK(c.find_profile("short")->short_lived);
  CHECK_FALSE(c.find_profile("tls-server")->short_lived);
  CHECK(c.find_profile("tls-server")->crl_retention.seconds == 86400);  // the default day
  CHECK(c.find_profile("code")->crl_retention.seconds == 3650LL * 86400);
  // A CRL-only CA issuing only short-lived certificates needs no faster CRLs.
  std::string only_short = kBase + extra + "\n[crl]\nvalidity = \"7d\"\nrefresh_before = \"1d\"\n";
  CHECK_THAT(error_of(only_short), Catch::Contains("ca[crl].ocsp"));
  const std::string from = "profiles = [\"tls-server\", \"short\"]";
  only_short.replace(only_short.find(from), from.size(), "profiles = [\"short\"]");
  CHECK(error_of(only_short).empty());
}
