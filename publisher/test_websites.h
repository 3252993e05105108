// Test websites (BR 2.2: "SHALL host test Web pages ... valid, revoked and expired"; CCADB
// "Test Website URL - Valid/Revoked/Expired"): which configured site stands for which CA, and
// which CAs must have them. Shared by the pages (test-certificates.html, ca/<id>.html, ca.json)
// and the compliance checks, so that what the site shows and what --strict asks are one rule.
#pragma once

#include <array>
#include <string>

#include "config/config.h"
#include "publisher/store_snapshot.h"

namespace pkirepo::publisher {

inline constexpr std::array<const char*, 3> kTestWebsiteKinds = {"valid", "revoked", "expired"};

struct TestWebsite {
  std::string kind;                     // "valid", "revoked", "expired"
  std::string url;                      // empty: none
  std::string ca_id;                    // the CA that issued the certificate the site serves
  const TestCertEntry* cert = nullptr;  // into the snapshot; nullptr when url is empty
};

// For each kind (in kTestWebsiteKinds order), the test website that stands for `ca`: its own
// (a [[site.test_certificates]] entry for `ca` with that kind's URL), else the first one
// configured, in config order, for a CA below it (whose chain holds `ca`): a root's test
// websites are those of a TLS issuing CA under it. Pointers are into `snap`.
[[nodiscard]] std::array<TestWebsite, 3> test_websites_for(const StoreSnapshot& snap,
                                                           const CaEntry& ca);

// Whether BR 2.2 asks `ca` for test websites: an active issuing CA with a profile whose EKU
// holds serverAuth, and an active root with such a CA below it.
[[nodiscard]] bool needs_test_websites(const Config& config, const StoreSnapshot& snap,
                                       const CaEntry& ca);

}  // namespace pkirepo::publisher
