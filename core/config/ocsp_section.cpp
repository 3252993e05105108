// The [ocsp] table of pkirepo.toml and the BR rules on it (4.9.10, 7.1.2.8): see config.h.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config_reader.h"
#include "config/duration.h"
#include "x509/cert_info.h"
#include "x509/key.h"

namespace pkirepo {
namespace {

constexpr std::int64_t kHour = 3600;
constexpr std::int64_t kDay = 86400;

// The mode `name` (the value of `key`) names, of two.
template <class Mode>
Mode mode_named(TableReader& r, std::string_view key, const std::string& name,
                std::pair<const char*, Mode> a, std::pair<const char*, Mode> b) {
  if (name == a.first) {
    return a.second;
  }
  if (name == b.first) {
    return b.second;
  }
  r.fail(r.node(key), key, "\"" + name + "\" is not " + a.first + " or " + b.first);
}

}  // namespace

void read_ocsp_table(TableReader& r, Config& cfg) {
  OcspConfig& o = cfg.ocsp;
  if (auto v = r.duration("validity")) {
    o.validity = *v;
  }
  o.allow_non_br = r.boolean("allow_non_br").value_or(false);
  o.sign_at_issuance = r.boolean("sign_at_issuance").value_or(true);
  std::string refresh = r.string("refresh").value_or("half");
  if (refresh == "half") {
    o.refresh_after = {o.validity.seconds / 2, "half"};
  } else if (auto d = parse_duration(refresh)) {
    o.refresh_after = *d;
  } else {
    r.fail(r.node("refresh"), "refresh", "\"" + refresh + "\" is not \"half\" or a duration");
  }
  if (o.refresh_after.seconds >= o.validity.seconds) {
    r.fail(r.node("refresh"), "refresh", "must be shorter than ocsp.validity");
  }
  if (!o.allow_non_br) {
    // BR 4.9.10: 8 hours ≤ validity ≤ 10 days.
    if (o.validity.seconds < 8 * kHour || o.validity.seconds > 10 * kDay) {
      r.fail(r.node("validity"), "validity",
             o.validity.text +
                 " is outside the BR 4.9.10 range of 8h to 10d "
                 "(set ocsp.allow_non_br = true for a private CA)");
    }
    // BR 4.9.10: < 16h: refresh before half has passed; ≥ 16h: ≥ 8h before nextUpdate and
    // ≤ 4 days after thisUpdate.
    bool ok = o.validity.seconds < 16 * kHour
                  ? o.refresh_after.seconds <= o.validity.seconds / 2
                  : (o.validity.seconds - o.refresh_after.seconds >= 8 * kHour &&
                     o.refresh_after.seconds <= 4 * kDay);
    if (!ok) {
      r.fail(r.node("refresh"), "refresh",
             "re-signing after " + format_duration(o.refresh_after.seconds) +
                 " breaks BR 4.9.10 for a validity of " + o.validity.text +
                 " (set ocsp.allow_non_br = true for a private CA)");
    }
  }
  auto hashes = r.strings("cert_id_hashes");
  if (!hashes.empty()) {
    o.cert_id_hashes = hashes;
  }
  for (const auto& h : o.cert_id_hashes) {
    if (!cert_id_hash_from_name(h)) {
      r.fail(r.node("cert_id_hashes"), "cert_id_hashes", "\"" + h + "\" is not sha1 or sha256");
    }
  }
  o.signer =
      mode_named(r, "signer", r.string("signer").value_or("responder"),
                 std::pair{"responder", OcspSigner::responder}, std::pair{"ca", OcspSigner::ca});
  o.responder_key_algorithm = r.string("responder_key").value_or(o.responder_key_algorithm);
  std::string why;
  if (!is_known_key_algorithm(o.responder_key_algorithm, why)) {
    r.fail(r.node("responder_key"), "responder_key", why);
  }
  if (auto v = r.duration("responder_validity")) {
    o.responder_validity = *v;
  }
  if (o.responder_validity.seconds < 4 * o.validity.seconds) {
    r.fail(r.node("responder_validity"), "responder_validity",
           "must be at least 4 times ocsp.validity so rotation happens in time");
  }
  if (o.responder_validity.seconds > 398 * kDay) {
    r.fail(r.node("responder_validity"), "responder_validity",
           "responder certificates are short-lived (BR 7.1.2.8); use at most 398d");
  }
  o.nonce = mode_named(r, "nonce", r.string("nonce").value_or("ignore"),
                       std::pair{"ignore", NonceMode::ignore}, std::pair{"sign", NonceMode::sign});
  if (auto d = r.string("responder_key_dir")) {
    o.responder_key_dir = cfg.dir / *d;
  }
  o.responder_passphrase_env = r.string("responder_passphrase_env").value_or("");
  if (auto pf = r.string("responder_passphrase_file")) {
    o.responder_passphrase_file = cfg.dir / *pf;
  }
  check_responder_token(r, o, cfg.dir);
  o.path = r.string("path").value_or(o.path);
  if (!o.path.starts_with("/")) {
    r.fail(r.node("path"), "path", "must start with /");
  }
  while (o.path.size() > 1 && o.path.ends_with("/")) {
    o.path.pop_back();
  }
}

}  // namespace pkirepo
