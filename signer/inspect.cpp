// `list` and `show`: read-only views of the certificates in the store.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "policy/rules.h"
#include "signer/commands.h"
#include "store/store.h"
#include "x509/cert_info.h"
#include "x509/der.h"

namespace pkirepo::signer {
namespace {

struct ListOptions {
  std::string ca;
  std::string status;
  bool json = false;
};

struct ShowOptions {
  std::string serial;
  std::string ca;
  bool json = false;
};

std::string status_of(const store::CertRecord& r, UnixTime now) {
  if (r.status == store::CertStatus::revoked) {
    return "revoked";
  }
  return r.not_after < now ? "expired" : "good";
}

nlohmann::json to_json(const store::CertRecord& r, ByteView serial, UnixTime now) {
  X509Ptr cert = parse_cert_der(r.der);
  nlohmann::json j = {{"ca", r.ca_id},
                      {"serial", to_hex(serial)},
                      {"status", status_of(r, now)},
                      {"profile", r.profile},
                      {"not_before", rfc3339(r.not_before)},
                      {"not_after", rfc3339(r.not_after)},
                      {"crl_shard", r.shard}};
  if (cert) {
    j["subject"] = subject_string(cert.get());
    j["issuer"] = issuer_string(cert.get());
    j["sha256"] = to_hex(fingerprint_sha256(cert.get()), true, ':');
    j["key"] = describe_key(X509_get0_pubkey(cert.get())).text;
  }
  if (r.status == store::CertStatus::revoked) {
    j["revocation_time"] = rfc3339(r.revocation_time);
    j["reason"] = policy::reason_name(r.reason);
    if (r.invalidity_date) {
      j["invalidity_date"] = rfc3339(r.invalidity_date);
    }
  }
  return j;
}

// CA id -> its key id (the certs key prefix), for the CAs in the store.
std::vector<std::pair<std::string, Sha1Digest>> ca_key_ids(const store::Txn& txn) {
  std::vector<std::pair<std::string, Sha1Digest>> out;
  for (const auto& ca : store::list_cas(txn)) {
    X509Ptr cert = parse_cert_der(ca.cert_der);
    out.emplace_back(ca.id, key_id_sha1(cert.get()));
  }
  return out;
}

int run_list(CommandRunner& runner, const ListOptions& opt) {
  if (!opt.status.empty() && opt.status != "good" && opt.status != "revoked" &&
      opt.status != "expired") {
    throw std::runtime_error("--status " + opt.status + ": use good, revoked or expired");
  }
  Config cfg = load_config(runner.globals.config_path);
  store::ReadStore st(cfg.repository.store);
  store::ReadTxn txn = st.begin_read();
  auto cas = ca_key_ids(txn);
  if (!opt.ca.empty() &&
      std::none_of(cas.begin(), cas.end(), [&](const auto& c) { return c.first == opt.ca; })) {
    throw std::runtime_error("--ca " + opt.ca + ": unknown CA (not in the store)");
  }
  size_t count = 0;
  for (const auto& [id, key_id] : cas) {
    if (!opt.ca.empty() && id != opt.ca) {
      continue;
    }
    store::Cursor cur(txn, store::Db::certs);
    for (bool ok = cur.seek(key_id); ok; ok = cur.next()) {
      ByteView k = cur.key();
      if (k.size() < key_id.size() || !std::equal(key_id.begin(), key_id.end(), k.begin())) {
        break;
      }
      store::CertRecord r;
      if (!store::decode(cur.value(), r)) {
        throw std::runtime_error("certs: malformed record under CA " + id);
      }
      std::string status = status_of(r, runner.now);
      if (!opt.status.empty() && status != opt.status) {
        continue;
      }
      ByteView serial = k.subspan(key_id.size());
      ++count;
      if (opt.json) {
        std::cout << to_json(r, serial, runner.now).dump() << "\n";
      } else {
        X509Ptr cert = parse_cert_der(r.der);
        std::cout << id << "  " << to_hex(serial) << "  " << status << "  " << rfc3339(r.not_after)
                  << "  " << r.profile << "  " << (cert ? subject_string(cert.get()) : "?") << "\n";
      }
    }
  }
  if (!opt.json) {
    std::cerr << count << " certificates\n";
  }
  return 0;
}

int run_show(CommandRunner& runner, const ShowOptions& opt) {
  Bytes serial;
  if (!parse_serial_hex(opt.serial, serial)) {
    throw std::runtime_error("--serial " + opt.serial + ": not a hexadecimal serial number");
  }
  Config cfg = load_config(runner.globals.config_path);
  store::ReadStore st(cfg.repository.store);
  store::ReadTxn txn = st.begin_read();
  bool found = false;
  for (const auto& [id, key_id] : ca_key_ids(txn)) {
    if (!opt.ca.empty() && id != opt.ca) {
      continue;
    }
    auto r = store::get_cert(txn, key_id, serial);
    if (!r) {
      continue;
    }
    found = true;
    nlohmann::json j = to_json(*r, serial, runner.now);
    if (opt.json) {
      std::cout << j.dump(2) << "\n";
    } else {
      for (auto it = j.begin(); it != j.end(); ++it) {
        std::cout << it.key() << ": " << (it->is_string() ? it->get<std::string>() : it->dump())
                  << "\n";
      }
      X509Ptr cert = parse_cert_der(r->der);
      if (cert) {
        std::cout << to_pem(cert.get());
      }
    }
  }
  if (!found) {
    std::cerr << "pkirepo-signer: show: --serial " << opt.serial
              << ": no certificate with this serial in the store\n";
    return 1;
  }
  return 0;
}

}  // namespace

void add_inspect_commands(CLI::App& app, CommandRunner& runner) {
  auto lo = std::make_shared<ListOptions>();
  CLI::App* list = app.add_subcommand("list", "List certificates");
  list->add_option("--ca", lo->ca, "Only this CA's certificates");
  list->add_option("--status", lo->status, "good, revoked or expired");
  list->add_flag("--json", lo->json, "One JSON object per line");
  list->callback([&runner, lo] { runner.exit_code = run_list(runner, *lo); });

  auto so = std::make_shared<ShowOptions>();
  CLI::App* show = app.add_subcommand("show", "Show one certificate");
  show->add_option("--serial", so->serial, "Serial number in hex")->required();
  show->add_option("--ca", so->ca, "Only look under this CA");
  show->add_flag("--json", so->json, "JSON output");
  show->callback([&runner, so] { runner.exit_code = run_show(runner, *so); });
}

}  // namespace pkirepo::signer
