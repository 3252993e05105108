// Helpers for bench/sign_bench.sh:
//   sign_bench_tool populate STORE CA_ID COUNT REVOKED_PERCENT NOW_RFC3339
//       adds COUNT certificate records under CA_ID straight into the store (random 16-byte
//       serials, valid from NOW-1d for 397 days, REVOKED_PERCENT of them revoked with
//       keyCompromise). OCSP and CRL signing read only the records' fields; each record carries
//       the CA's own certificate as its DER so the store has a realistic size.
//   sign_bench_tool crl ENTRIES
//       builds and signs one CRL with ENTRIES revoked entries with a fresh P-384 CA key (what the
//       CPS requires for CA keys) and prints the time and size.
#include <chrono>
#include <iostream>
#include <random>
#include <string>
#include <thread>

#include "policy/profiles.h"
#include "signer/cert_builder.h"
#include "signer/crl_signing.h"
#include "signer/ocsp_signing.h"
#include "store/store.h"
#include "support/synthetic_certs.h"
#include "x509/cert_info.h"
#include "x509/der.h"
#include "x509/key.h"

using namespace pkirepo;

namespace {

// A five-year self-signed CA from a fixed moment (no clock in the numbers a bench prints).
signer::CertSpec self_signed_ca_spec(X509_NAME* subject, EVP_PKEY* key) {
  signer::CertSpec spec;
  spec.subject = subject;
  spec.public_key = key;
  spec.not_before = 1'800'000'000;
  spec.not_after = spec.not_before + 5 * 365 * 86400;
  spec.serial = signer::random_serial();
  spec.signing_key = key;
  spec.extensions = {{NID_basic_constraints, "critical,CA:TRUE"},
                     {NID_subject_key_identifier, "hash"}};
  return spec;
}

int populate(int argc, char** argv) {
  if (argc != 7) {
    std::cerr << "usage: sign_bench_tool populate STORE CA_ID COUNT REVOKED_PERCENT NOW\n";
    return 2;
  }
  const std::filesystem::path dir = argv[2];
  const std::string ca_id = argv[3];
  const size_t count = std::stoul(argv[4]);
  const size_t percent = std::stoul(argv[5]);
  const auto now = parse_rfc3339(argv[6]);
  if (!now) {
    std::cerr << "NOW: not an RFC 3339 time\n";
    return 2;
  }
  store::WriteStore st(dir);
  std::optional<store::CaRecord> ca;
  {
    store::ReadTxn txn = st.begin_read();
    ca = store::get_ca(txn, ca_id);
  }
  if (!ca) {
    std::cerr << ca_id << ": no such CA in the store\n";
    return 1;
  }
  std::mt19937_64 rng(42);
  test::put_synthetic_certs(st, *ca, count, 50000,
                            [&](size_t, const Bytes&, store::CertRecord& rec) {
                              rec.not_before = *now - 86400;
                              rec.not_after = *now - 86400 + 397 * 86400;
                              rec.issued_at = rec.not_before;
                              rec.profile = "tls-server";
                              rec.shard = 0;
                              if (percent > 0 && rng() % 100 < percent) {
                                rec.status = store::CertStatus::revoked;
                                rec.reason = CrlReason::key_compromise;
                                rec.revocation_time = *now - 3600;
                              }
                            });
  std::cout << "populated " << count << " certificates under " << ca_id << "\n";
  return 0;
}

int crl(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: sign_bench_tool crl ENTRIES\n";
    return 2;
  }
  const size_t n = std::stoul(argv[2]);
  EvpPkeyPtr key = generate_key("ec-p384");
  X509NamePtr name = parse_name("CN=Bench CRL CA,O=Bench,C=US");
  signer::CertSpec spec = self_signed_ca_spec(name.get(), key.get());
  // Its CRLs need cRLSign (RFC 5280 4.2.1.3); in the order the signer writes extensions.
  spec.extensions.insert(spec.extensions.begin() + 1,
                         {NID_key_usage, "critical,keyCertSign,cRLSign"});
  X509Ptr ca = signer::build_certificate(spec);
  signer::CrlSpec crl_spec;
  crl_spec.issuer = ca.get();
  crl_spec.key = key.get();
  crl_spec.crl_number = 1;
  crl_spec.this_update = spec.not_before + 86400;
  crl_spec.next_update = crl_spec.this_update + 7 * 86400;
  for (size_t i = 0; i < n; ++i) {
    crl_spec.entries.push_back({signer::random_serial(), crl_spec.this_update - 3600,
                                i % 3 == 0 ? StatedReason(CrlReason::key_compromise) : std::nullopt,
                                0, crl_spec.this_update + 100 * 86400});
  }
  auto started = std::chrono::steady_clock::now();
  X509CrlPtr crl = signer::build_crl(crl_spec);
  Bytes der = to_der(crl.get());
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "crl: " << n << " entries, P-384 CA key: built and signed in " << secs << " s, "
            << der.size() << " bytes (" << static_cast<double>(der.size()) / 1e6 << " MB)\n";
  return 0;
}

// Where one response's time goes, single-threaded: the raw signature (what `openssl speed`
// measures, plus hashing ~300 bytes) against the whole OcspSigningContext::sign.
int micro(int argc, char** argv) {
  const std::string alg = argc > 2 ? argv[2] : "ec-p256";
  const int n = argc > 3 ? std::stoi(argv[3]) : 20000;
  EvpPkeyPtr ca_key = generate_key("ec-p384");
  EvpPkeyPtr key = generate_key(alg);
  X509NamePtr name = parse_name("CN=Bench CA,O=Bench,C=US");
  signer::CertSpec spec = self_signed_ca_spec(name.get(), ca_key.get());
  X509Ptr ca = signer::build_certificate(spec);
  X509NamePtr rname = parse_name("CN=Bench Responder,O=Bench,C=US");
  spec.subject = rname.get();
  spec.public_key = key.get();
  spec.issuer = ca.get();
  spec.signing_key = ca_key.get();
  spec.extensions = policy::responder_extensions();
  // Round-trip through DER as `run` does when it loads the responder certificate from the store:
  // a parsed certificate keeps its encoding, a freshly signed one is re-encoded on every use.
  X509Ptr responder = parse_cert_der(to_der(signer::build_certificate(spec).get()));
  auto time_it = [&](const char* what, auto&& fn) {
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
      fn();
    }
    double us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() /
        n;
    std::cout << what << ": " << us << " us/op (" << 1e6 / us << " /s)\n";
    return us;
  };
  EvpMdCtxPtr tmpl(EVP_MD_CTX_new());
  EvpMdCtxPtr work(EVP_MD_CTX_new());
  EVP_DigestSignInit(tmpl.get(), nullptr, signature_digest(key.get()), nullptr, key.get());
  unsigned char data[300] = {1};
  unsigned char sig[1024];
  double raw = time_it("raw EVP_DigestSign of 300 bytes", [&] {
    EVP_MD_CTX_copy_ex(work.get(), tmpl.get());
    size_t len = sizeof sig;
    EVP_DigestSign(work.get(), sig, &len, data, sizeof data);
  });
  time_it("EVP_MD_CTX_copy_ex", [&] { EVP_MD_CTX_copy_ex(work.get(), tmpl.get()); });
  time_it("X509_check_private_key",
          [&] { (void)X509_check_private_key(responder.get(), key.get()); });
  Bytes serial = signer::random_serial();
  Asn1IntegerPtr si(ASN1_INTEGER_new());
  ASN1_STRING_set(si.get(), serial.data(), static_cast<int>(serial.size()));
  time_it("OCSP_cert_id_new", [&] {
    OcspCertIdPtr id(OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(ca.get()),
                                      X509_get0_pubkey_bitstr(ca.get()), si.get()));
  });
  signer::OcspResponseSigner signer(ca.get(), responder.get(), key.get(), true);
  signer::OcspSigningContext ctx(signer);
  store::OcspRecord rec;
  std::string err;
  double full = time_it("OcspSigningContext::sign", [&] {
    (void)ctx.sign(CertIdHash::sha256, serial, {}, 1'800'000'000, 1'800'000'000 + 4 * 86400, rec,
                   err);
  });
  time_it("store::encode(OcspRecord)", [&] { (void)store::encode(rec); });
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  // Every core at once, one context each as `run` has them (the workers share the process's
  // allocator and OpenSSL's objects): whole responses against the bare EVP_PKEY_sign of a digest
  // (what `openssl speed` times), in short rounds that alternate so the host's drift hits both
  // alike. A round's setup (a context: two template signatures) is ~0.2% of its time.
  auto on_threads = [&](bool whole, int count) {
    std::vector<std::thread> ts;
    auto t0 = std::chrono::steady_clock::now();
    for (unsigned i = 0; i < cores; ++i) {
      ts.emplace_back([&] {
        signer::OcspSigningContext own(signer);
        EvpPkeyCtxPtr pctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
        EVP_PKEY_sign_init(pctx.get());
        store::OcspRecord r;
        std::string e;
        const Bytes s = signer::random_serial();
        unsigned char md[32] = {1};
        unsigned char out[1024];
        for (int k = 0; k < count; ++k) {
          if (whole) {
            (void)own.sign(CertIdHash::sha256, s, {}, 1'800'000'000, 1'800'000'000 + 4 * 86400, r,
                           e);
          } else {
            size_t len = sizeof out;
            (void)EVP_PKEY_sign(pctx.get(), out, &len, md, sizeof md);
          }
        }
      });
    }
    for (auto& t : ts) {
      t.join();
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  const int rounds = 20;
  const int per_round = std::max(1, n / rounds);
  double bare_s = 0;
  double whole_s = 0;
  for (int round = 0; round < rounds; ++round) {
    bare_s += on_threads(false, per_round);
    whole_s += on_threads(true, per_round);
  }
  const double ops = static_cast<double>(rounds) * per_round * cores;
  std::cout << rounds << " alternating rounds on " << cores << " threads: EVP_PKEY_sign "
            << ops / bare_s << " /s, whole response " << ops / whole_s << " /s, ratio "
            << bare_s / whole_s << "\n";
  std::cout << "response " << rec.der.size() << " bytes; sign share " << raw / full << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "populate") {
      return populate(argc, argv);
    }
    if (cmd == "crl") {
      return crl(argc, argv);
    }
    if (cmd == "micro") {
      return micro(argc, argv);
    }
    std::cerr << "usage: sign_bench_tool populate|crl ...\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "sign_bench_tool: " << e.what() << "\n";
    return 1;
  }
}
