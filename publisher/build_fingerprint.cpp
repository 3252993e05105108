#include "publisher/build_fingerprint.h"

#include <fstream>
#include <iterator>

#include "publisher/site_output.h"

namespace pkirepo::publisher {
namespace {

constexpr const char* kRenderVersion = "pkirepo-publisher render 4";

// A field added to one of these structs changes its size: hash it below (or say here why it
// is derived from bytes already hashed), then update the size. Checked with libstdc++ on
// x86-64, the one platform the project builds for.
static_assert(sizeof(CaEntry) == 856, "CaEntry changed: hash the new field in build_fingerprint");
static_assert(sizeof(CrlEntry) == 192, "CrlEntry changed: hash the new field in build_fingerprint");
static_assert(sizeof(store::CrlRecord) == 88,
              "CrlRecord changed: hash the new field in build_fingerprint");
static_assert(sizeof(TestCertEntry) == 768,
              "TestCertEntry changed: hash the new field in build_fingerprint");
static_assert(sizeof(StoreSnapshot) == 392,
              "StoreSnapshot changed: hash the new field in build_fingerprint");
static_assert(sizeof(audit::Checkpoint) == 40,
              "Checkpoint changed: hash the new field in build_fingerprint");
static_assert(sizeof(audit::SignedCheckpoint) == 112,
              "SignedCheckpoint changed: hash the new field in build_fingerprint");

std::string_view view(const Bytes& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

void add_snapshot(InputHasher& h, const StoreSnapshot& snap, UnixTime now) {
  // CaEntry::facts and TestCertEntry::facts are read from `der`; CrlRecord::etag from its der.
  h.add(static_cast<long long>(snap.cas.size()));
  for (const CaEntry& ca : snap.cas) {
    h.add(ca.id);
    h.add(static_cast<long long>(ca.role));
    h.add(ca.parent);
    h.add(view(ca.der));
    h.add(static_cast<long long>(ca.status));
    h.add(ca.status_reason);
    h.add(static_cast<long long>(ca.state));
    h.add(ca.state_reason);
    h.add(ca.created);
    h.add(ca.revoked_at);
    h.add(static_cast<long long>(ca.chain.size()));
    for (const std::string& id : ca.chain) {
      h.add(id);
    }
    // CaCertificate::facts are read from its der.
    h.add(static_cast<long long>(ca.same_key.size()));
    for (const CaCertificate& c : ca.same_key) {
      h.add(c.issuer_ca);
      h.add(c.current ? 1 : 0);
      h.add(c.held_by);
      h.add(view(c.der));
      h.add(c.status);
      h.add(c.issued_at);
      h.add(c.revoked_at);
      h.add(c.revocation_reason);
    }
  }
  h.add(static_cast<long long>(snap.crls.size()));
  for (const CrlEntry& c : snap.crls) {
    h.add(c.ca_id);
    h.add(c.shard);
    h.add(c.url);
    h.add(c.path);
    h.add(static_cast<long long>(c.record.crl_number));
    h.add(c.record.this_update);
    h.add(c.record.next_update);
    h.add(c.record.entries);
    h.add(view(c.record.der));
    h.add(c.record.next_update < now ? 1 : 0);  // the one thing `now` changes on a page
  }
  h.add(static_cast<long long>(snap.crl_lists.size()));
  for (const auto& [ca, json] : snap.crl_lists) {
    h.add(ca);
    h.add(json);
  }
  h.add(static_cast<long long>(snap.test_certificates.size()));
  for (const TestCertEntry& t : snap.test_certificates) {
    h.add(t.ca_id);
    h.add(t.kind);
    h.add(view(t.der));
    h.add(t.status);
    h.add(t.url);
  }
  h.add(static_cast<long long>(snap.checkpoint.count));
  h.add(snap.checkpoint.head_hex);
  h.add(snap.published_checkpoint.to_json());
  h.add(snap.checkpoint_key_pem);
  h.add(snap.checkpoint_history);
  h.add(static_cast<long long>(snap.problems.size()));
  for (const std::string& p : snap.problems) {
    h.add(p);
  }
}

}  // namespace

std::string build_fingerprint(const Config& config, const SiteSource& source,
                              const Templates& templates, const StoreSnapshot& snapshot,
                              UnixTime now) {
  std::ifstream in(config.file, std::ios::binary);
  if (config.file.empty() || !in) {
    return {};
  }
  const std::string config_text{std::istreambuf_iterator<char>(in), {}};
  InputHasher h;
  h.add(kRenderVersion);
  h.add(config.dir.string());
  h.add(config_text);
  h.add(source.input_digest);
  for (const auto& [name, text] : templates.sources()) {
    h.add(name);
    h.add(text);
  }
  h.add(templates.stylesheet());
  h.add(templates.print_stylesheet());
  add_snapshot(h, snapshot, now);
  return h.hex();
}

}  // namespace pkirepo::publisher
