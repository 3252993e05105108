// Crash safety of `run`: SIGKILL at several points, then a run to the end. Nothing committed is
// lost, every response ends up present, fresh and correct, the audit chain verifies, each
// OCSP response is accounted for exactly once in the audit log, and CRL numbers only go up.
//
// The store has 3,000 certificates by default so CI stays fast; PKIREPO_CRASH_CERTS=50000 (see
// bench/crash_bench.sh) runs the same test on a large store.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "crash_support.h"
#include "run_support.h"
#include "x509/der.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

uint64_t crl_number_or_zero(const RunRepo& repo, const std::string& ca, int shard) {
  auto rec = crl_record(repo.store_dir(), ca, shard);
  return rec ? rec->crl_number : 0;
}

}  // namespace

TEST_CASE("run survives SIGKILL at any point and the next run finishes the job", "[run][crash]") {
  size_t count = 3000;
  if (const char* n = std::getenv("PKIREPO_CRASH_CERTS"); n != nullptr && *n != '\0') {
    count = static_cast<size_t>(std::stoul(n));
  }
  const size_t revoke_every = 100;
  const UnixTime T = *parse_rfc3339("2026-11-22T00:00:00Z");
  RunRepo repo(T, "\n[crl]\nshards = 2\n");
  auto serials = add_synthetic_certs(repo.store_dir(), "tls", count, revoke_every, T - 86400,
                                     T + 300 * 86400, 2);

  // Small batches: many commits to be killed between (and inside).
  const std::vector<std::string> args{"run", "--batch-size", "64", "--threads", "2"};
  int kills = 0;
  uint64_t last_crl[2] = {0, 0};
  size_t last_sha1 = 0;
  for (int delay_ms : {150, 250, 350, 500, 700, 1000, 1400, 2000, 3000, 5000}) {
    const Outcome o =
        kill_after(spawn_signer(repo.config, args, T), std::chrono::milliseconds(delay_ms));
    if (o.killed) {
      ++kills;
    }
    // Committed work only grows; CRL numbers never go backwards.
    size_t sha1 = count_ocsp(repo.store_dir(), "tls", CertIdHash::sha1);
    CHECK(sha1 >= last_sha1);
    last_sha1 = sha1;
    for (int s = 0; s < 2; ++s) {
      uint64_t n = crl_number_or_zero(repo, "tls", s);
      CHECK(n >= last_crl[s]);
      last_crl[s] = n;
    }
    if (!o.killed) {
      break;  // it finished before the kill
    }
  }
  INFO("kills: " << kills << ", responses after them: " << last_sha1);
  CHECK(kills >= 2);

  RunResult r = repo.signer({"run"}, T);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  r = repo.signer({"status"}, T);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(count_ocsp(repo.store_dir(), "tls", CertIdHash::sha1) == count);
  CHECK(count_ocsp(repo.store_dir(), "tls", CertIdHash::sha256) == count);
  uint64_t entries = 0;
  for (int s = 0; s < 2; ++s) {
    auto crl = crl_record(repo.store_dir(), "tls", s);
    REQUIRE(crl);
    CHECK(crl->crl_number >= last_crl[s]);
    entries += crl->entries;
  }
  CHECK(entries == count / revoke_every);

  // The audit chain verifies, and every response was audited exactly once.
  CHECK(repo.signer({"audit", "verify"}, T).exit_code == 0);
  RunResult audit = repo.signer({"audit", "export"}, T);
  REQUIRE(audit.exit_code == 0);
  std::istringstream lines(audit.out);
  uint64_t audited = 0;
  // Serials compare as numbers: by hex length, then digits (no leading zeros).
  auto hex_less = [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  };
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
  };
  std::string audited_min;
  std::string audited_max;
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line);
    if (j["event"] == "ocsp_responses_signed" && j["details"]["ca"] == "tls") {
      audited += j["details"]["responses"].get<uint64_t>();
      const std::string lo = lower(j["details"]["serial_min"].get<std::string>());
      const std::string hi = lower(j["details"]["serial_max"].get<std::string>());
      CHECK_FALSE(hex_less(hi, lo));
      if (audited_min.empty() || hex_less(lo, audited_min)) {
        audited_min = lo;
      }
      if (audited_max.empty() || hex_less(audited_max, hi)) {
        audited_max = hi;
      }
    }
  }
  CHECK(audited == 2 * count);
  // ... and the audited serial ranges span exactly the certificates' serials.
  std::vector<std::string> sorted;
  for (const auto& s : serials) {
    sorted.push_back(lower(s));
  }
  std::sort(sorted.begin(), sorted.end(), hex_less);
  CHECK(audited_min == sorted.front());
  CHECK(audited_max == sorted.back());

  // A sample of responses: the signature verifies with the responder's key and the status is
  // the certificate's.
  auto tls = ca_record(repo.store_dir(), "tls");
  X509Ptr issuer = parse_cert_der(tls->cert_der);
  X509Ptr responder = parse_cert_der(tls->responder_cert_der);
  X509StackPtr certs(sk_X509_new_null());
  sk_X509_push(certs.get(), up_ref(responder.get()).release());
  X509StorePtr trust(X509_STORE_new());
  for (size_t i = 0; i < serials.size(); i += std::max<size_t>(1, serials.size() / 40)) {
    for (CertIdHash h : {CertIdHash::sha1, CertIdHash::sha256}) {
      auto rec = ocsp_record(repo.store_dir(), "tls", serials[i], h);
      REQUIRE(rec);
      CHECK(rec->this_update == T);
      OcspResponsePtr resp = parse_ocsp_response_der(rec->der);
      REQUIRE(resp);
      OcspBasicRespPtr basic(OCSP_response_get1_basic(resp.get()));
      REQUIRE(basic);
      CHECK(OCSP_basic_verify(basic.get(), certs.get(), trust.get(), OCSP_NOVERIFY) == 1);
      Bytes serial;
      REQUIRE(parse_serial_hex(serials[i], serial));
      Asn1IntegerPtr serial_int(ASN1_INTEGER_new());
      ASN1_STRING_set(serial_int.get(), serial.data(), static_cast<int>(serial.size()));
      OcspCertIdPtr id(OCSP_cert_id_new(cert_id_md(h), X509_get_subject_name(issuer.get()),
                                        X509_get0_pubkey_bitstr(issuer.get()), serial_int.get()));
      int status = -1;
      REQUIRE(OCSP_resp_find_status(basic.get(), id.get(), &status, nullptr, nullptr, nullptr,
                                    nullptr) == 1);
      bool revoked = i % revoke_every == revoke_every - 1;
      CHECK(status == (revoked ? V_OCSP_CERTSTATUS_REVOKED : V_OCSP_CERTSTATUS_GOOD));
    }
  }
}
