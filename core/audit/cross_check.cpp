#include "audit/cross_check.h"

#include <nlohmann/json.hpp>
#include <unordered_map>

#include "policy/rules.h"
#include "store/schema.h"
#include "store/store.h"
#include "x509/bytes.h"

namespace pkirepo::audit {
namespace {

// Serials are hex without leading zero octets, lowercase: records and keys spell them alike.
std::string normal_serial(std::string hex) {
  for (char& c : hex) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  size_t zeros = 0;
  while (hex.size() - zeros > 2 && hex.compare(zeros, 2, "00") == 0) {
    zeros += 2;
  }
  return hex.substr(zeros);
}

std::string cert_name(const std::string& ca, const std::string& serial) {
  return "certificate " + serial + " of CA " + ca;
}

struct Accounted {
  std::string ca;
  std::string serial;
  uint64_t issued_by = 0;   // seq of the record that issued it
  uint64_t revoked_by = 0;  // seq of the newest revocation record
  std::string reason;       // as that record states it
  bool seen = false;        // found in `certs`
};

}  // namespace

CrossCheckResult cross_check(const store::Txn& txn) {
  CrossCheckResult result;
  auto fail = [&](std::string why) {
    result.ok = false;
    result.reason = std::move(why);
    return result;
  };
  std::unordered_map<std::string, Accounted> log;
  auto entry = [&](const std::string& ca, const std::string& serial) -> Accounted& {
    Accounted& a = log[ca + '\n' + serial];
    a.ca = ca;
    a.serial = serial;
    return a;
  };
  {
    store::Cursor cur(txn, store::Db::audit);
    for (bool more = cur.first(); more; more = cur.next()) {
      const uint64_t seq = store::audit_seq(cur.key());
      const std::string text(reinterpret_cast<const char*>(cur.value().data()), cur.value().size());
      const nlohmann::json record = nlohmann::json::parse(text, nullptr, false);
      if (record.is_discarded() || !record.is_object()) {
        return fail("audit record " + std::to_string(seq) + " is not JSON");
      }
      const std::string event = record.value("event", "");
      const nlohmann::json details = record.value("details", nlohmann::json::object());
      if (!details.is_object()) {
        continue;
      }
      auto text_of = [&](const char* name) {
        auto it = details.find(name);
        return it != details.end() && it->is_string() ? it->get<std::string>() : std::string();
      };
      if (event == "certificate_issued") {
        entry(text_of("ca"), normal_serial(text_of("serial"))).issued_by = seq;
      } else if (event == "ca_certificate_issued" && !text_of("parent").empty()) {
        entry(text_of("parent"), normal_serial(text_of("serial"))).issued_by = seq;
      } else if (event == "certificate_revoked" || event == "revocation_reason_changed") {
        Accounted& a = entry(text_of("ca"), normal_serial(text_of("serial")));
        a.revoked_by = seq;
        a.reason = text_of("reason");
      }
    }
  }
  store::Cursor cur(txn, store::Db::certs);
  for (bool more = cur.first(); more; more = cur.next()) {
    store::CertRecord rec;
    if (!store::decode_without_der(cur.value(), rec)) {
      return fail("a certs record (key " + to_hex(cur.key()) + ") does not decode");
    }
    if (cur.key().size() <= 20) {
      return fail("a certs key (" + to_hex(cur.key()) + ") is too short");
    }
    const std::string serial = normal_serial(to_hex(cur.key().subspan(20)));
    const std::string name = cert_name(rec.ca_id, serial);
    ++result.certificates;
    auto it = log.find(rec.ca_id + '\n' + serial);
    if (it == log.end() || it->second.issued_by == 0) {
      return fail(name + " is in the store but no audit record issued it");
    }
    Accounted& a = it->second;
    a.seen = true;
    std::optional<store::RevocationRecord> index = store::get_revocation(txn, cur.key());
    const bool revoked = rec.status == store::CertStatus::revoked || index.has_value();
    if (revoked) {
      ++result.revoked;
      if (a.revoked_by == 0) {
        return fail(name + " is revoked in the store but no audit record revoked it");
      }
      const std::string reason = policy::reason_name(
          rec.status == store::CertStatus::revoked ? rec.reason : index->reason);
      if (reason != a.reason) {
        return fail(name + " is revoked as " + reason + " in the store but audit record " +
                    std::to_string(a.revoked_by) + " says " + a.reason);
      }
    } else if (a.revoked_by != 0) {
      return fail(name + " was revoked by audit record " + std::to_string(a.revoked_by) +
                  " but the store shows it good");
    }
  }
  // Records whose certificate is gone, oldest first.
  const Accounted* first_missing = nullptr;
  for (const auto& [key, a] : log) {
    const uint64_t seq = a.issued_by != 0 ? a.issued_by : a.revoked_by;
    const uint64_t best = first_missing == nullptr        ? 0
                          : first_missing->issued_by != 0 ? first_missing->issued_by
                                                          : first_missing->revoked_by;
    if (!a.seen && (first_missing == nullptr || seq < best)) {
      first_missing = &a;
    }
  }
  if (first_missing != nullptr) {
    const Accounted& a = *first_missing;
    return fail("audit record " + std::to_string(a.issued_by != 0 ? a.issued_by : a.revoked_by) +
                (a.issued_by != 0 ? " issued " : " revoked ") + cert_name(a.ca, a.serial) +
                ", which is not in the store");
  }
  return result;
}

}  // namespace pkirepo::audit
