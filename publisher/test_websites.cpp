#include "publisher/test_websites.h"

#include <algorithm>

namespace pkirepo::publisher {
namespace {

bool issues_server_auth(const Config& config, const CaEntry& ca) {
  if (ca.role != CaRole::issuing || ca.status != CaStatus::active) {
    return false;
  }
  const CaConfig* c = config.find_ca(ca.id);
  if (c == nullptr) {
    return false;
  }
  return std::any_of(c->profiles.begin(), c->profiles.end(), [&](const std::string& id) {
    const ProfileConfig* p = config.find_profile(id);
    return p != nullptr && std::find(p->eku.begin(), p->eku.end(), "serverAuth") != p->eku.end();
  });
}

bool below(const StoreSnapshot& snap, const std::string& id, const std::string& ancestor) {
  auto it =
      std::find_if(snap.cas.begin(), snap.cas.end(), [&](const CaEntry& c) { return c.id == id; });
  return it != snap.cas.end() &&
         std::find(it->chain.begin(), it->chain.end(), ancestor) != it->chain.end();
}

}  // namespace

std::array<TestWebsite, 3> test_websites_for(const StoreSnapshot& snap, const CaEntry& ca) {
  std::array<TestWebsite, 3> sites;
  for (size_t i = 0; i < kTestWebsiteKinds.size(); ++i) {
    sites[i].kind = kTestWebsiteKinds[i];
    const TestCertEntry* own = nullptr;
    const TestCertEntry* from_below = nullptr;
    for (const TestCertEntry& t : snap.test_certificates) {
      if (t.kind != sites[i].kind || t.url.empty()) {
        continue;
      }
      if (t.ca_id == ca.id && own == nullptr) {
        own = &t;
      } else if (from_below == nullptr && below(snap, t.ca_id, ca.id)) {
        from_below = &t;
      }
    }
    if (const TestCertEntry* t = own != nullptr ? own : from_below) {
      sites[i].url = t->url;
      sites[i].ca_id = t->ca_id;
      sites[i].cert = t;
    }
  }
  return sites;
}

bool needs_test_websites(const Config& config, const StoreSnapshot& snap, const CaEntry& ca) {
  if (ca.status != CaStatus::active) {
    return false;
  }
  if (issues_server_auth(config, ca)) {
    return true;
  }
  if (ca.role != CaRole::root) {
    return false;
  }
  return std::any_of(snap.cas.begin(), snap.cas.end(), [&](const CaEntry& other) {
    return std::find(other.chain.begin(), other.chain.end(), ca.id) != other.chain.end() &&
           issues_server_auth(config, other);
  });
}

}  // namespace pkirepo::publisher
