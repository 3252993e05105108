// incident.h: the filters, the candidate set and the per-certificate checks.
#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "policy/names.h"
#include "policy/rules.h"
#include "signer/cert_records.h"
#include "signer/incident.h"
#include "store/cert_index.h"
#include "store/store.h"
#include "x509/cert_info.h"
#include "x509/der.h"

namespace pkirepo::signer {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](char ch) {
    return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch;
  });
  return s;
}

// RFC 3339, or a bare date meaning its midnight UTC.
UnixTime parse_time_option(const std::string& option, const std::string& text) {
  std::optional<UnixTime> t = parse_rfc3339(text);
  if (!t && text.size() == 10) {
    t = parse_rfc3339(text + "T00:00:00Z");
  }
  if (!t) {
    throw std::runtime_error(option + " " + text +
                             ": not an RFC 3339 time or date (2026-11-20T10:00:00Z, 2026-11-20)");
  }
  return *t;
}

// What select_certificates checks on each candidate, parsed once.
struct Criteria {
  std::optional<Bytes> ca_prefix;  // the CA's key id
  std::string profile;
  std::optional<UnixTime> issued_after;
  std::optional<UnixTime> issued_before;
  std::optional<std::set<Bytes>> serials;
  std::string subject_contains;  // lowercase
  std::string domain;            // lowercase, no wildcard label, no trailing dot
  std::optional<Sha256Digest> spki;
  std::string status;
};

std::set<Bytes> read_serials(const std::string& file) {
  std::ifstream in(file);
  if (!in) {
    throw std::runtime_error("--serials " + file + ": cannot read the file");
  }
  std::set<Bytes> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    const auto hash = line.find('#');
    if (hash != std::string::npos) {
      line.erase(hash);
    }
    line.erase(0, line.find_first_not_of(" \t\r"));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (line.empty()) {
      continue;
    }
    Bytes serial;
    if (!parse_serial_hex(line, serial)) {
      throw std::runtime_error("--serials " + file + ":" + std::to_string(n) + ": \"" + line +
                               "\" is not a hexadecimal serial number");
    }
    out.insert(std::move(serial));
  }
  if (out.empty()) {
    throw std::runtime_error("--serials " + file + ": no serial number in the file");
  }
  return out;
}

std::string domain_option(const std::string& text) {
  std::string d = lower(text);
  if (d.rfind("*.", 0) == 0) {
    d.erase(0, 2);  // "*.example.com" asks for what example.com's subtree holds anyway
  }
  while (!d.empty() && d.back() == '.') {
    d.pop_back();
  }
  const bool ok = !d.empty() && d.size() <= 253 && d.front() != '.' &&
                  std::all_of(d.begin(), d.end(), [](char ch) {
                    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                           ch == '.' || ch == '_';
                  });
  if (!ok) {
    throw std::runtime_error("--san-domain " + text + ": not a domain name (e.g. example.com)");
  }
  return d;
}

Criteria parse_criteria(const store::Txn& txn, const IncidentFilter& f,
                        std::map<Bytes, std::string>& ca_ids) {
  Criteria c;
  for (const store::CaRecord& ca : store::list_cas(txn)) {
    X509Ptr cert = parse_cert_der(ca.cert_der);
    if (!cert) {
      throw std::runtime_error("CA " + ca.id + ": its certificate in the store does not parse");
    }
    const Sha1Digest id = key_id_sha1(cert.get());
    ca_ids.emplace(Bytes(id.begin(), id.end()), ca.id);
    if (ca.id == f.ca) {
      c.ca_prefix = Bytes(id.begin(), id.end());
    }
  }
  if (!f.ca.empty() && !c.ca_prefix) {
    throw std::runtime_error("--ca " + f.ca + ": unknown CA (not in the store)");
  }
  c.profile = f.profile;
  if (!f.issued_after.empty()) {
    c.issued_after = parse_time_option("--issued-after", f.issued_after);
  }
  if (!f.issued_before.empty()) {
    c.issued_before = parse_time_option("--issued-before", f.issued_before);
  }
  if (!f.serials_file.empty()) {
    c.serials = read_serials(f.serials_file);
  }
  c.subject_contains = lower(f.subject_contains);
  if (!f.san_domain.empty()) {
    c.domain = domain_option(f.san_domain);
  }
  if (!f.spki_sha256.empty()) {
    Bytes raw;
    std::string hex = f.spki_sha256;
    hex.erase(std::remove(hex.begin(), hex.end(), ':'), hex.end());
    if (!from_hex(hex, raw) || raw.size() != 32) {
      throw std::runtime_error("--spki-sha256 " + f.spki_sha256 +
                               ": not a SHA-256 hash (64 hexadecimal digits)");
    }
    c.spki.emplace();
    std::copy(raw.begin(), raw.end(), c.spki->begin());
  }
  if (!f.status.empty() && f.status != "good" && f.status != "revoked" && f.status != "expired") {
    throw std::runtime_error("--status " + f.status + ": use good, revoked or expired");
  }
  c.status = f.status;
  return c;
}

std::string status_at(const store::CertRecord& r, UnixTime now) {
  if (r.status == store::CertStatus::revoked) {
    return "revoked";
  }
  return r.not_after < now ? "expired" : "good";
}

// Whether a dNSName among the SAN entries ("DNS:name") is `domain` or below it.
bool names_domain(const std::vector<std::string>& sans, const std::string& domain) {
  return std::any_of(sans.begin(), sans.end(), [&](const std::string& entry) {
    if (entry.rfind("DNS:", 0) != 0) {
      return false;
    }
    const std::string n = lower(entry.substr(4));
    return n == domain || (n.size() > domain.size() && n.ends_with(domain) &&
                           n[n.size() - domain.size() - 1] == '.');
  });
}

// The match for the `certs` entry (key, value), or nullopt when a filter excludes it. Names,
// subject and key hash come from cert_names when the store has them (`indexed`), else from
// the certificate's DER.
std::optional<IncidentMatch> check(const store::Txn& txn, const Criteria& c,
                                   const std::map<Bytes, std::string>& ca_ids, ByteView key,
                                   ByteView value, UnixTime now, bool indexed) {
  if (c.ca_prefix && !is_ca_cert_key(key, *c.ca_prefix)) {
    return std::nullopt;
  }
  std::optional<store::CertNames> names;
  if (indexed) {
    names = store::get_cert_names(txn, key);
  }
  store::CertRecord r;
  if (!(names ? store::decode_without_der(value, r) : store::decode(value, r))) {
    throw std::runtime_error("certs/" + to_hex(key) + ": malformed record");
  }
  if (r.status == store::CertStatus::good) {
    if (auto index = txn.get(store::Db::revocations, key)) {
      (void)apply_revocation_index(r, *index);
    }
  }
  const ByteView serial = cert_key_serial(key);
  const UnixTime issued = r.issued_at != 0 ? r.issued_at : r.not_before;
  std::string status = status_at(r, now);
  if ((!c.profile.empty() && r.profile != c.profile) ||
      (c.issued_after && issued < *c.issued_after) ||
      (c.issued_before && issued >= *c.issued_before) ||
      (c.serials && !c.serials->contains(Bytes(serial.begin(), serial.end()))) ||
      (!c.status.empty() && status != c.status)) {
    return std::nullopt;
  }
  if (!names) {
    X509Ptr cert = parse_cert_der(r.der);
    if (!cert) {
      throw std::runtime_error("certs/" + to_hex(key) + ": the certificate does not parse");
    }
    names.emplace();
    names->spki = spki_sha256(cert.get());
    names->subject = subject_string(cert.get());
    names->sans = policy::san_entries(cert.get());
    r.der.clear();
  }
  if (!c.subject_contains.empty() &&
      lower(names->subject).find(c.subject_contains) == std::string::npos) {
    return std::nullopt;
  }
  if (!c.domain.empty() && !names_domain(names->sans, c.domain)) {
    return std::nullopt;
  }
  if (c.spki && names->spki != *c.spki) {
    return std::nullopt;
  }
  IncidentMatch m;
  m.certs_key.assign(key.begin(), key.end());
  auto ca = ca_ids.find(Bytes(key.begin(), key.begin() + kKeyIdSize));
  m.ca_id = ca != ca_ids.end() ? ca->second : r.ca_id;
  m.serial_hex = to_hex(serial);
  m.subject = std::move(names->subject);
  m.sans = std::move(names->sans);
  m.spki_sha256 = to_hex(names->spki);
  m.status = std::move(status);
  m.record = std::move(r);
  return m;
}

// Intersects the sorted key lists (the candidates every narrowing filter allows).
void narrow(std::optional<std::vector<Bytes>>& keys, std::vector<Bytes> more) {
  std::sort(more.begin(), more.end());
  more.erase(std::unique(more.begin(), more.end()), more.end());
  if (!keys) {
    keys = std::move(more);
    return;
  }
  std::vector<Bytes> both;
  std::set_intersection(keys->begin(), keys->end(), more.begin(), more.end(),
                        std::back_inserter(both));
  keys = std::move(both);
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) {
    return s;
  }
  std::string out = "\"";
  for (char ch : s) {
    out += ch;
    if (ch == '"') {
      out += '"';
    }
  }
  return out + "\"";
}

std::string joined(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    out += (i == 0 ? "" : sep) + v[i];
  }
  return out;
}

}  // namespace

bool IncidentFilter::empty() const {
  return ca.empty() && profile.empty() && issued_after.empty() && issued_before.empty() &&
         serials_file.empty() && subject_contains.empty() && san_domain.empty() &&
         spki_sha256.empty() && status.empty();
}

nlohmann::json IncidentFilter::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  const std::pair<const char*, const std::string*> fields[] = {
      {"ca", &ca},
      {"profile", &profile},
      {"issued_after", &issued_after},
      {"issued_before", &issued_before},
      {"serials_file", &serials_file},
      {"subject_contains", &subject_contains},
      {"san_domain", &san_domain},
      {"spki_sha256", &spki_sha256},
      {"status", &status}};
  for (const auto& [name, value] : fields) {
    if (!value->empty()) {
      j[name] = *value;
    }
  }
  return j;
}

void add_filter_options(CLI::App* cmd, IncidentFilter& f) {
  cmd->add_option("--ca", f.ca, "Only certificates issued by this CA");
  cmd->add_option("--profile", f.profile, "Only certificates of this profile (\"ca\": CA certs)");
  cmd->add_option("--issued-after", f.issued_after, "Issued at or after (RFC 3339 or date)");
  cmd->add_option("--issued-before", f.issued_before, "Issued before (RFC 3339 or date)");
  cmd->add_option("--serials", f.serials_file, "File of hex serial numbers, one a line");
  cmd->add_option("--subject-contains", f.subject_contains,
                  "Subject DN contains this text (case-insensitive)");
  cmd->add_option("--san-domain", f.san_domain,
                  "A dNSName that is this domain or below it (wildcards included)");
  cmd->add_option("--spki-sha256", f.spki_sha256,
                  "SHA-256 of the SubjectPublicKeyInfo: every certificate for that key");
  cmd->add_option("--status", f.status, "good, revoked or expired");
}

Selection select_certificates(const store::Txn& txn, const IncidentFilter& filter, UnixTime now) {
  std::map<Bytes, std::string> ca_ids;
  const Criteria c = parse_criteria(txn, filter, ca_ids);
  Selection sel;
  const bool indexed = store::cert_index_complete(txn);
  std::optional<std::vector<Bytes>> keys;
  if (c.spki && indexed) {
    narrow(keys, store::certs_by_spki(txn, *c.spki));
  }
  if (!c.domain.empty() && indexed) {
    narrow(keys, store::certs_by_domain(txn, c.domain));
  }
  if (c.serials) {
    std::vector<Bytes> direct;
    for (const auto& [prefix, id] : ca_ids) {
      if (c.ca_prefix && prefix != *c.ca_prefix) {
        continue;
      }
      for (const Bytes& serial : *c.serials) {
        Bytes key = prefix;
        key.insert(key.end(), serial.begin(), serial.end());
        direct.push_back(std::move(key));
      }
    }
    narrow(keys, std::move(direct));
  }
  if (keys) {
    sel.indexed = true;
    for (const Bytes& key : *keys) {
      const std::optional<ByteView> value = txn.get(store::Db::certs, key);
      if (!value) {
        continue;  // a serial of the list that no CA issued
      }
      ++sel.examined;
      if (auto m = check(txn, c, ca_ids, key, *value, now, indexed)) {
        sel.matches.push_back(std::move(*m));
      }
    }
    return sel;
  }
  store::Cursor cursor(txn, store::Db::certs);
  bool ok = c.ca_prefix ? cursor.seek(*c.ca_prefix) : cursor.first();
  for (; ok; ok = cursor.next()) {
    if (c.ca_prefix && !is_ca_cert_key(cursor.key(), *c.ca_prefix)) {
      break;
    }
    ++sel.examined;
    if (auto m = check(txn, c, ca_ids, cursor.key(), cursor.value(), now, indexed)) {
      sel.matches.push_back(std::move(*m));
    }
  }
  return sel;
}

std::optional<IncidentMatch> find_certificate(const store::Txn& txn, const std::string& ca_id,
                                              ByteView serial, UnixTime now) {
  IncidentFilter filter;
  filter.ca = ca_id;
  std::map<Bytes, std::string> ca_ids;
  Criteria c;
  try {
    c = parse_criteria(txn, filter, ca_ids);
  } catch (const std::runtime_error&) {
    return std::nullopt;  // no such CA
  }
  Bytes key = *c.ca_prefix;
  key.insert(key.end(), serial.begin(), serial.end());
  const std::optional<ByteView> value = txn.get(store::Db::certs, key);
  if (!value) {
    return std::nullopt;
  }
  return check(txn, c, ca_ids, key, *value, now, store::cert_index_complete(txn));
}

nlohmann::json match_json(const IncidentMatch& m) {
  const store::CertRecord& r = m.record;
  nlohmann::json j = {{"serial", m.serial_hex},
                      {"ca", m.ca_id},
                      {"subject", m.subject},
                      {"sans", m.sans},
                      {"not_before", rfc3339(r.not_before)},
                      {"not_after", rfc3339(r.not_after)},
                      {"status", m.status},
                      {"spki_sha256", m.spki_sha256},
                      {"profile", r.profile},
                      {"issued_at", rfc3339(r.issued_at != 0 ? r.issued_at : r.not_before)}};
  if (r.status == store::CertStatus::revoked) {
    j["reason"] = policy::reason_name(r.reason);
    j["revocation_time"] = rfc3339(r.revocation_time);
  }
  return j;
}

std::string csv_header() {
  return "serial,ca,subject,sans,not_before,not_after,status,spki_sha256,profile,issued_at,"
         "reason,revocation_time";
}

std::string csv_row(const IncidentMatch& m) {
  const store::CertRecord& r = m.record;
  const bool revoked = r.status == store::CertStatus::revoked;
  const std::string fields[] = {m.serial_hex,
                                m.ca_id,
                                m.subject,
                                joined(m.sans, " "),
                                rfc3339(r.not_before),
                                rfc3339(r.not_after),
                                m.status,
                                m.spki_sha256,
                                r.profile,
                                rfc3339(r.issued_at != 0 ? r.issued_at : r.not_before),
                                revoked ? policy::reason_name(r.reason) : "",
                                revoked ? rfc3339(r.revocation_time) : ""};
  std::string out;
  for (size_t i = 0; i < std::size(fields); ++i) {
    out += (i == 0 ? "" : ",") + csv_field(fields[i]);
  }
  return out;
}

}  // namespace pkirepo::signer
