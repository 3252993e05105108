// Helper for bench/soak_bench.sh (and the CI soak test, tests/CMakeLists.txt): the checker
// that compares what a running responder serves with the store's truth, using OpenSSL's OCSP
// client and verifier (never our own parser).
//
//   soak_tool requests STORE CA_ID OUT_DIR COUNT
//       writes COUNT OCSP requests (SHA-1 CertID, no nonce) for random certificates of CA_ID as
//       OUT_DIR/<i>.der (1-based), for wrk's Lua script.
//   soak_tool serials STORE CA_ID COUNT
//       prints COUNT random good serials of CA_ID (hex), one per line.
//   soak_tool check STORE CA_ID HOST:PORT SECONDS
//       for SECONDS (or until SIGTERM), samples a random certificate of CA_ID: reads its status and
//       newest response time from the store, POSTs a request to HOST:PORT/ocsp, verifies the answer
//       (signature and chain to the store's CA certificates, validity window) and compares it
//       with the store as it was before the request and after the answer. Wrong status, a
//       response older than one committed before the request (stale), a failed verification or
//       a transport error is counted; prints one summary line; exit 1 if any was counted.
//   soak_tool await STORE CA_ID HOST:PORT SERIALS_FILE TIMEOUT_SECONDS
//       polls until every serial of SERIALS_FILE is served revoked; prints the seconds it took
//       (from the tool's start); exit 1 after TIMEOUT_SECONDS.
#include <openssl/ocsp.h>
#include <openssl/rand.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "store/store.h"
#include "x509/cert_info.h"
#include "x509/der.h"
#include "x509/openssl_ptr.h"
#include "x509/time.h"

using namespace pkirepo;

namespace {

using Clock = std::chrono::steady_clock;

struct Ca {
  X509Ptr issuer;
  X509StorePtr trust;  // the issuing CA and every CA above it, from the store
  Sha1Digest key_id{};
  std::vector<Bytes> serials;  // every certificate of the CA when the tool started
};

Ca load_ca(const std::filesystem::path& dir, const std::string& ca_id) {
  store::ReadStore st(dir);
  store::ReadTxn txn = st.begin_read();
  auto record = store::get_ca(txn, ca_id);
  if (!record) {
    throw std::runtime_error(ca_id + ": no such CA in the store");
  }
  Ca ca;
  ca.issuer = parse_cert_der(record->cert_der);
  ca.key_id = key_id_sha1(ca.issuer.get());
  ca.trust.reset(X509_STORE_new());
  for (auto r = record; r; r = r->parent.empty() ? std::nullopt : store::get_ca(txn, r->parent)) {
    X509Ptr cert = parse_cert_der(r->cert_der);
    X509_STORE_add_cert(ca.trust.get(), cert.get());
  }
  store::Cursor c(txn, store::Db::certs);
  const ByteView prefix(ca.key_id.data(), ca.key_id.size());
  for (bool ok = c.seek(prefix); ok && c.key().size() > prefix.size() &&
                                 std::equal(prefix.begin(), prefix.end(), c.key().begin());
       ok = c.next()) {
    ca.serials.emplace_back(c.key().begin() + static_cast<std::ptrdiff_t>(prefix.size()),
                            c.key().end());
  }
  if (ca.serials.empty()) {
    throw std::runtime_error(ca_id + ": the CA has no certificates");
  }
  return ca;
}

OcspCertIdPtr cert_id(const Ca& ca, ByteView serial) {
  Asn1IntegerPtr n(ASN1_INTEGER_new());
  BignumPtr bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  BN_to_ASN1_INTEGER(bn.get(), n.get());
  X509_NAME* name = X509_get_subject_name(ca.issuer.get());
  return OcspCertIdPtr(
      OCSP_cert_id_new(EVP_sha1(), name, X509_get0_pubkey_bitstr(ca.issuer.get()), n.get()));
}

OcspRequestPtr request_for(const Ca& ca, ByteView serial) {
  OcspRequestPtr req(OCSP_REQUEST_new());
  OCSP_request_add0_id(req.get(), cert_id(ca, serial).release());
  return req;
}

// What the store says about one certificate at one instant.
struct Truth {
  bool revoked = false;
  UnixTime newest_response = 0;  // thisUpdate of the stored SHA-1 response; 0: none
};

Truth read_truth(store::ReadStore& st, const Ca& ca, ByteView serial) {
  store::ReadTxn txn = st.begin_read();
  Truth t;
  auto rec = store::get_cert(txn, ca.key_id, serial);
  t.revoked = (rec && rec->status == store::CertStatus::revoked) ||
              store::get_revocation(txn, store::cert_key(ca.key_id, serial)).has_value();
  OcspCertIdPtr id = cert_id(ca, serial);
  ASN1_OCTET_STRING* name_hash = nullptr;
  ASN1_OCTET_STRING* key_hash = nullptr;
  OCSP_id_get0_info(&name_hash, nullptr, &key_hash, nullptr, id.get());
  const Bytes key = store::ocsp_key(
      CertIdHash::sha1,
      ByteView(ASN1_STRING_get0_data(name_hash),
               static_cast<size_t>(ASN1_STRING_length(name_hash))),
      ByteView(ASN1_STRING_get0_data(key_hash), static_cast<size_t>(ASN1_STRING_length(key_hash))),
      serial);
  if (auto r = store::get_ocsp(txn, key)) {
    t.newest_response = r->this_update;
  }
  return t;
}

// What the responder served; `problem` empty when it verified.
struct Answer {
  std::string problem;
  bool revoked = false;
  UnixTime this_update = 0;
};

Answer ask(const Ca& ca, const std::string& host_port, ByteView serial) {
  Answer a;
  OcspRequestPtr req = request_for(ca, serial);
  BioPtr bio(BIO_new_connect(host_port.c_str()));
  if (!bio || BIO_do_connect(bio.get()) <= 0) {
    a.problem = "connect failed";
    return a;
  }
  OcspResponsePtr resp(OCSP_sendreq_bio(bio.get(), "/ocsp", req.get()));
  if (!resp) {
    a.problem = "no OCSP response (HTTP or transport error)";
    return a;
  }
  if (OCSP_response_status(resp.get()) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    a.problem = "responseStatus " + std::to_string(OCSP_response_status(resp.get()));
    return a;
  }
  OcspBasicRespPtr basic(OCSP_response_get1_basic(resp.get()));
  if (!basic || OCSP_basic_verify(basic.get(), nullptr, ca.trust.get(), 0) <= 0) {
    a.problem = "signature or responder chain does not verify";
    return a;
  }
  OcspCertIdPtr id = cert_id(ca, serial);
  int status = -1;
  int reason = -1;
  ASN1_GENERALIZEDTIME* revoked_at = nullptr;
  ASN1_GENERALIZEDTIME* this_update = nullptr;
  ASN1_GENERALIZEDTIME* next_update = nullptr;
  if (OCSP_resp_find_status(basic.get(), id.get(), &status, &reason, &revoked_at, &this_update,
                            &next_update) != 1) {
    a.problem = "no SingleResponse for the serial asked";
    return a;
  }
  if (OCSP_check_validity(this_update, next_update, 5, -1) != 1) {
    a.problem = "outside its validity window";
    return a;
  }
  if (status != V_OCSP_CERTSTATUS_GOOD && status != V_OCSP_CERTSTATUS_REVOKED) {
    a.problem = "status unknown";
    return a;
  }
  a.revoked = status == V_OCSP_CERTSTATUS_REVOKED;
  a.this_update = to_unix(this_update).value_or(0);
  return a;
}

int requests(char** argv) {
  const Ca ca = load_ca(argv[2], argv[3]);
  const std::filesystem::path out = argv[4];
  const size_t count = std::stoul(argv[5]);
  std::filesystem::create_directories(out);
  std::mt19937_64 rng(1);
  for (size_t i = 1; i <= count; ++i) {
    const Bytes& serial = ca.serials[rng() % ca.serials.size()];
    OcspRequestPtr req = request_for(ca, serial);
    unsigned char* der = nullptr;
    const int len = i2d_OCSP_REQUEST(req.get(), &der);
    std::ofstream(out / (std::to_string(i) + ".der"), std::ios::binary)
        .write(reinterpret_cast<const char*>(der), len);
    OPENSSL_free(der);
  }
  return 0;
}

int serials(char** argv) {
  store::ReadStore st(argv[2]);
  const Ca ca = load_ca(argv[2], argv[3]);
  size_t count = std::stoul(argv[4]);
  std::vector<Bytes> pool = ca.serials;
  std::shuffle(pool.begin(), pool.end(), std::mt19937_64(7));
  for (const Bytes& s : pool) {
    if (count == 0) {
      break;
    }
    if (!read_truth(st, ca, s).revoked) {
      std::cout << to_hex(s) << "\n";
      --count;
    }
  }
  return count == 0 ? 0 : 1;
}

// SIGTERM ends `check` early with its summary: the soak stops the load once the signer's work
// is done, which may be before or after the nominal duration.
volatile std::sig_atomic_t stop_requested = 0;

void request_stop(int /*signal*/) {
  stop_requested = 1;
}

int check(char** argv) {
  std::signal(SIGTERM, request_stop);
  const std::filesystem::path dir = argv[2];
  const Ca ca = load_ca(dir, argv[3]);
  const std::string host_port = argv[4];
  const auto until = Clock::now() + std::chrono::seconds(std::stoi(argv[5]));
  store::ReadStore st(dir);
  std::mt19937_64 rng(std::random_device{}());
  uint64_t checked = 0;
  uint64_t revoked = 0;
  uint64_t wrong = 0;
  uint64_t stale = 0;
  uint64_t invalid = 0;
  std::string first_problem;
  while (Clock::now() < until && stop_requested == 0) {
    const Bytes& serial = ca.serials[rng() % ca.serials.size()];
    const Truth before = read_truth(st, ca, serial);
    const Answer a = ask(ca, host_port, serial);
    const Truth after = read_truth(st, ca, serial);
    ++checked;
    std::string problem;
    if (!a.problem.empty()) {
      ++invalid;
      problem = a.problem;
    } else if (a.revoked != before.revoked && a.revoked != after.revoked) {
      ++wrong;
      problem =
          a.revoked ? "served revoked, the store says good" : "served good, the store says revoked";
    } else if (a.this_update < before.newest_response) {
      ++stale;
      problem = "served thisUpdate " + rfc3339(a.this_update) + ", the store had " +
                rfc3339(before.newest_response) + " before the request";
    }
    revoked += a.revoked ? 1 : 0;
    if (!problem.empty() && first_problem.empty()) {
      first_problem = "serial " + to_hex(serial) + ": " + problem;
    }
  }
  std::cout << "check: " << checked << " responses verified against the store (" << revoked
            << " revoked), " << wrong << " wrong, " << stale << " stale, " << invalid
            << " failed verification or transport" << (first_problem.empty() ? "" : "; first: ")
            << first_problem << "\n";
  return wrong + stale + invalid == 0 && checked > 0 ? 0 : 1;
}

int await_revoked(char** argv) {
  const auto start = Clock::now();
  const Ca ca = load_ca(argv[2], argv[3]);
  const std::string host_port = argv[4];
  const auto until = start + std::chrono::seconds(std::stoi(argv[6]));
  std::vector<Bytes> pending;
  std::ifstream in(argv[5]);
  for (std::string line; std::getline(in, line);) {
    Bytes s;
    if (!line.empty() && parse_serial_hex(line, s)) {
      pending.push_back(std::move(s));
    }
  }
  while (!pending.empty() && Clock::now() < until) {
    std::erase_if(pending, [&](const Bytes& s) {
      const Answer a = ask(ca, host_port, s);
      return a.problem.empty() && a.revoked;
    });
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  if (!pending.empty()) {
    std::cerr << "await: " << pending.size() << " serials still not served revoked after " << secs
              << " s, first " << to_hex(pending.front()) << "\n";
    return 1;
  }
  std::cout << secs << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  try {
    if (cmd == "requests" && argc == 6) {
      return requests(argv);
    }
    if (cmd == "serials" && argc == 5) {
      return serials(argv);
    }
    if (cmd == "check" && argc == 6) {
      return check(argv);
    }
    if (cmd == "await" && argc == 7) {
      return await_revoked(argv);
    }
  } catch (const std::exception& e) {
    std::cerr << "soak_tool " << cmd << ": " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: see the comment at the top of bench/soak_tool.cpp\n";
  return 2;
}
