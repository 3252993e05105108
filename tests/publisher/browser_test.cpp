// The built demo site in a real browser: headless Chromium renders the home page, a CPS page
// and the certificates page from file:// URLs; the test checks the rendered text (--dump-dom)
// and that screenshots were written. Skipped with a message only when Chromium is absent.
// Screenshots go to $PKIREPO_SCREENSHOT_DIR when set (to look at them), else a temp folder.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "publisher_fixture.h"
#include "x509/bytes.h"

using namespace pkirepo;
using namespace pkirepo::test;
namespace fs = std::filesystem;

namespace {
std::string find_chromium() {
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    for (const char* dir : {"/usr/bin/", "/usr/local/bin/", "/snap/bin/"}) {
      fs::path p = fs::path(dir) / name;
      if (fs::exists(p)) {
        return p.string();
      }
    }
  }
  return "";
}

RunResult chromium(const std::string& exe, const fs::path& profile,
                   const std::vector<std::string>& args) {
  std::vector<std::string> argv = {exe,
                                   "--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--no-first-run",
                                   "--hide-scrollbars",
                                   "--user-data-dir=" + profile.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}
}  // namespace

TEST_CASE("headless Chromium renders the home, CPS, certificates, redline and report pages",
          "[publisher][browser]") {
  const std::string exe = find_chromium();
  if (exe.empty()) {
    WARN("SKIPPED: Chromium is not installed (apt-get install chromium); browser test not run");
    return;
  }
  TempDir dir;
  const fs::path out = dir / "public";
  RunResult built = publish(demo_pki().config, {"build", "--out", out.string()});
  REQUIRE(built.exit_code == 0);
  const char* env_shots = std::getenv("PKIREPO_SCREENSHOT_DIR");
  const fs::path shots = env_shots != nullptr ? fs::path(env_shots) : dir / "shots";
  fs::create_directories(shots);

  struct Page {
    const char* path;
    const char* shot;
    const char* window;
    std::vector<std::string> texts;
  };
  const Page pages[] = {
      {"index.html",
       "home.png",
       "1280,1600",
       {"Example PKI", "Policy documents", "Example PKI Certification Practice Statement",
        "Root CA fingerprints", "Audit log checkpoint", "Sample incident: slow OCSP responses"}},
      {"cps/index.html",
       "cps.png",
       "1280,1600",
       {"Certification Practice Statement", "Version", "2.2 (current)",
        "4.9.7 CRL Issuance Frequency", "Minimum key sizes (CPS 6.1.5)",
        "Certificate profile tls-server"}},
      {"certificates.html",
       "certificates.png",
       "1280,1600",
       {"CA certificates", "Hierarchy", "CN=Example Root CA 2026,O=Example,C=US",
        "No CA has been retired.", "SHA-256 (CCADB form)", "EC P-384"}},
      {"cps/index.html", "cps-phone.png", "390,1200", {"Contents"}},
      {"ca/tls-ec-2026.html",
       "ca-page.png",
       "1280,1600",
       {"CN=Example TLS ECC Issuing CA 2026,O=Example,C=US", "TLS server authentication",
        "Chain to the root", "Certificates for this key (1)", "crt.sh", "Text dump",
        "Signature Algorithm: ecdsa-with-SHA384", "Test websites",
        "https://valid.pki.example.com/"}},
      {"test-certificates.html",
       "test-certificates.png",
       "1280,1000",
       {"Test certificates", "Test website", "CN=revoked.pki.example.com",
        "https://revoked.pki.example.com:8444/"}},
      {"ca.json", "ca-json.png", "1280,1600", {"pkirepo-ca-inventory/1", "\"spki_sha256\""}},
      {"cps/redline-2.1-2.2.html",
       "redline.png",
       "1280,1600",
       {"Changes in Example PKI Certification Practice Statement 2.2", "unchanged blocks",
        "<details class=\"unchanged\">", "<ins>", "<del>"}},
      {"report-a-problem.html",
       "report-a-problem.png",
       "1280,1600",
       {"Report a problem", "CAA issuer domain names", "pki.example.test", "issuewild"}},
  };
  for (const Page& p : pages) {
    INFO(p.path);
    const std::string url = "file://" + (out / p.path).string();
    RunResult dom = chromium(exe, dir / "profile", {"--dump-dom", url});
    REQUIRE(dom.exit_code == 0);
    for (const auto& t : p.texts) {
      CHECK_THAT(dom.out, Catch::Contains(t));
    }
    const fs::path shot = shots / p.shot;
    RunResult ss =
        chromium(exe, dir / "profile",
                 {"--screenshot=" + shot.string(), std::string("--window-size=") + p.window, url});
    INFO(ss.err);
    CHECK(ss.exit_code == 0);
    REQUIRE(fs::exists(shot));
    Bytes png = read_file(shot);
    CHECK(png.size() > 10000);  // a rendered page, not a blank one
    CHECK(std::string(png.begin(), png.begin() + 4) == "\x89PNG");
  }
}
