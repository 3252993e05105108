// In-process microbench of the responder's OCSP path on a big synthetic store, and two helpers
// the loopback bench (bench/responder_bench) needs. Build: ninja responder_bench (Release).
//
//   responder_bench latency --store DIR --records N [--value-bytes 842] [--samples 200000]
//       Builds DIR once (N SHA-1 records under two synthetic CAs, keys appended in order with
//       MDB_APPEND; reused when it already holds N), then times, per request, on one thread:
//         decode+lookup: DER → CertID → key → renew, mdb_get, decode_view, reset
//         handler:       Responder::handle() for POST and for GET (base64 path), headers included
//       and prints p50/p99/mean in µs.
//   responder_bench dump-responses --store DIR --out FILE
//       Base64 of every stored OCSP response, one per line (cfssl ocspserve -responses).
//   responder_bench responder-cert --store DIR --ca ID --out FILE
//       The CA's delegated responder certificate as PEM (openssl ocsp -rsigner).
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/ocsp.h>
#include <openssl/rand.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "responder/ocsp_request.h"
#include "responder/responder.h"
#include "store/store.h"
#include "support/base64.h"
#include "x509/cert_info.h"
#include "x509/der.h"
#include "x509/key.h"

using namespace pkirepo;
using namespace pkirepo::responder;
using Clock = std::chrono::steady_clock;

namespace {

std::string arg(int argc, char** argv, const std::string& name, const std::string& def = "") {
  for (int i = 2; i + 1 < argc; ++i) {
    if (argv[i] == name) {
      return argv[i + 1];
    }
  }
  return def;
}

X509Ptr synthetic_ca(const std::string& cn, EVP_PKEY* key) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  const X509NamePtr name = parse_name("CN=" + cn);
  X509_set_subject_name(cert.get(), name.get());
  X509_set_issuer_name(cert.get(), name.get());
  X509_set_pubkey(cert.get(), key);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_sign(cert.get(), key, EVP_sha256());
  return cert;
}

// Serial i of CA c: 16 bytes, deterministic, spread over the key space like random serials.
Bytes serial_for(uint64_t i, int c) {
  Bytes s(16);
  uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(c) << 60;
  for (int k = 0; k < 8; ++k) {
    s[static_cast<size_t>(k)] = static_cast<uint8_t>(x >> (56 - 8 * k));
  }
  uint64_t y = x * 0xBF58476D1CE4E5B9ull;
  for (int k = 0; k < 8; ++k) {
    s[static_cast<size_t>(8 + k)] = static_cast<uint8_t>(y >> (56 - 8 * k));
  }
  s[0] = static_cast<uint8_t>((s[0] & 0x7f) | 0x01);  // positive, no leading zero
  return s;
}

struct Cas {
  EvpPkeyPtr keys[2];
  X509Ptr certs[2];
};

Cas make_cas() {
  Cas c;
  for (int i = 0; i < 2; ++i) {
    // Fixed seeds would be nicer; the CA certs are saved next to the store instead.
    c.keys[i] = generate_key("ec-p256");
    c.certs[i] = synthetic_ca("Bench CA " + std::to_string(i), c.keys[i].get());
  }
  return c;
}

void save_cas(const std::filesystem::path& dir, const Cas& c) {
  for (int i = 0; i < 2; ++i) {
    Bytes der = to_der(c.certs[i].get());
    std::ofstream(dir / ("ca" + std::to_string(i) + ".der"), std::ios::binary)
        .write(reinterpret_cast<const char*>(der.data()), static_cast<std::streamsize>(der.size()));
  }
}

Cas load_cas(const std::filesystem::path& dir) {
  Cas c;
  for (int i = 0; i < 2; ++i) {
    c.certs[i] = parse_cert_der(read_file(dir / ("ca" + std::to_string(i) + ".der")));
  }
  return c;
}

void build_store(const std::filesystem::path& dir, uint64_t n, size_t value_bytes) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  Cas cas = make_cas();
  save_cas(dir, cas);
  store::WriteStore st(dir / "store", size_t{1} << 36);
  std::vector<Bytes> keys;
  keys.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    int c = static_cast<int>(i & 1);
    keys.push_back(store::ocsp_key(
        CertIdHash::sha1, issuer_name_hash(cas.certs[c].get(), CertIdHash::sha1),
        issuer_key_hash(cas.certs[c].get(), CertIdHash::sha1), serial_for(i >> 1, c)));
  }
  std::sort(keys.begin(), keys.end());
  store::OcspRecord rec;
  rec.this_update = 1795305600;
  rec.next_update = rec.this_update + 4 * 86400;
  rec.etag = "\"" + std::string(64, 'a') + "\"";
  rec.der.resize(value_bytes);
  RAND_bytes(rec.der.data(), static_cast<int>(rec.der.size()));
  rec.der[0] = 0x30;
  // As the signer stores a delegated responder's responses: the head, and the certificate they
  // all end with once (schema.h OcspTail), which the responder appends.
  const store::OcspTail tail =
      store::make_ocsp_tail(ByteView(rec.der).last(std::min<size_t>(rec.der.size() / 2, 500)));
  Bytes value;
  store::encode_into(rec, &tail, value);
  st.transact([&](store::WriteTxn& txn) { store::put_ocsp_tail(txn, tail); });
  const size_t batch = 1'000'000;
  for (size_t start = 0; start < keys.size(); start += batch) {
    st.transact([&](store::WriteTxn& txn) {
      // Keys are sorted: written through one cursor they land on the page it is on.
      store::Cursor cursor(txn, store::Db::ocsp);
      for (size_t i = start; i < std::min(keys.size(), start + batch); ++i) {
        cursor.put(keys[i], value);
      }
    });
    std::fprintf(stderr, "  %zu/%zu records\n", std::min(keys.size(), start + batch), keys.size());
  }
  st.transact([&](store::WriteTxn& txn) { store::put_meta_u64(txn, "bench_records", n); });
}

struct Stats {
  double p50, p99, mean;
};
Stats stats(std::vector<double>& ns) {
  std::sort(ns.begin(), ns.end());
  double sum = 0;
  for (double v : ns) {
    sum += v;
  }
  return {ns[ns.size() / 2] / 1000, ns[ns.size() * 99 / 100] / 1000,
          sum / static_cast<double>(ns.size()) / 1000};
}

int latency(int argc, char** argv) {
  std::filesystem::path dir = arg(argc, argv, "--store", "/tmp/pkirepo-bench-store");
  uint64_t n = std::stoull(arg(argc, argv, "--records", "1000000"));
  size_t value_bytes = std::stoul(arg(argc, argv, "--value-bytes", "842"));
  size_t samples = std::stoul(arg(argc, argv, "--samples", "200000"));
  bool fresh = true;
  if (std::filesystem::exists(dir / "store" / "data.mdb")) {
    store::ReadStore rs(dir / "store");
    store::ReadTxn t = rs.begin_read();
    fresh = store::get_meta_u64(t, "bench_records") != n;
  }
  if (fresh) {
    std::fprintf(stderr, "building %s with %llu records...\n", dir.c_str(),
                 static_cast<unsigned long long>(n));
    auto t0 = Clock::now();
    build_store(dir, n, value_bytes);
    std::fprintf(stderr, "  built in %.1f s\n",
                 std::chrono::duration<double>(Clock::now() - t0).count());
  }
  Cas cas = load_cas(dir);
  store::ReadStore rs(dir / "store");
  // Requests for random existing serials (1/8 unknown serials, answered unauthorized).
  std::mt19937_64 rng(42);
  std::vector<Bytes> requests;
  std::vector<std::string> paths;
  const size_t distinct = std::min<size_t>(samples, 100000);
  for (size_t i = 0; i < distinct; ++i) {
    uint64_t idx = rng() % n;
    int c = static_cast<int>(idx & 1);
    Bytes serial = serial_for(idx >> 1, c);
    if (i % 8 == 7) {
      serial = serial_for(n + i, c);
    }
    BignumPtr bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
    Asn1IntegerPtr s(BN_to_ASN1_INTEGER(bn.get(), nullptr));
    OcspRequestPtr req(OCSP_REQUEST_new());
    OCSP_request_add0_id(req.get(),
                         OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(cas.certs[c].get()),
                                          X509_get0_pubkey_bitstr(cas.certs[c].get()), s.get()));
    requests.push_back(to_der(req.get()));
    paths.push_back("/ocsp/" + test::base64(requests.back()));
  }
  store::ReadTxn txn = rs.begin_read();
  txn.reset();
  // Warm the page cache over the sampled keys.
  for (const Bytes& r : requests) {
    DecodedRequest d;
    if (decode_ocsp_request(r, d) == RequestDecode::ok) {
      txn.renew();
      (void)txn.get(store::Db::ocsp, d.key.view());
      txn.reset();
    }
  }
  std::vector<double> lookup_ns, post_ns, get_ns;
  lookup_ns.reserve(samples);
  size_t found = 0;
  for (size_t i = 0; i < samples; ++i) {
    const Bytes& r = requests[i % distinct];
    auto t0 = Clock::now();
    DecodedRequest d;
    bool ok = decode_ocsp_request(r, d) == RequestDecode::ok;
    txn.renew();
    std::optional<ByteView> v = ok ? txn.get(store::Db::ocsp, d.key.view()) : std::nullopt;
    store::OcspView view;
    if (v && store::decode_view(*v, view)) {
      ++found;
    }
    txn.reset();
    auto t1 = Clock::now();
    lookup_ns.push_back(
        static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
  }
  // The two halves on their own, to see which one a change moves.
  std::vector<double> decode_ns, get_only_ns;
  decode_ns.reserve(samples);
  get_only_ns.reserve(samples);
  std::vector<DecodedRequest> decoded(distinct);
  for (size_t i = 0; i < distinct; ++i) {
    (void)decode_ocsp_request(requests[i], decoded[i]);
  }
  for (size_t i = 0; i < samples; ++i) {
    const Bytes& r = requests[i % distinct];
    auto t0 = Clock::now();
    DecodedRequest d;
    bool ok = decode_ocsp_request(r, d) == RequestDecode::ok;
    auto t1 = Clock::now();
    if (!ok) {
      std::abort();
    }
    decode_ns.push_back(
        static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
  }
  for (size_t i = 0; i < samples; ++i) {
    const DecodedRequest& d = decoded[i % distinct];
    auto t0 = Clock::now();
    txn.renew();
    std::optional<ByteView> v = txn.get(store::Db::ocsp, d.key.view());
    store::OcspView view;
    bool hit = v && store::decode_view(*v, view);
    txn.reset();
    auto t1 = Clock::now();
    if (hit != (i % distinct % 8 != 7)) {
      std::abort();
    }
    get_only_ns.push_back(
        static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
  }
  HealthMonitor health;
  Metrics metrics;
  Responder responder(ResponderOptions{}, nullptr, health, metrics);
  for (int pass = 0; pass < 2; ++pass) {
    auto& out = pass == 0 ? post_ns : get_ns;
    out.reserve(samples);
    for (size_t i = 0; i < samples; ++i) {
      Request req;
      req.now = 1795305600 + 3600;
      if (pass == 0) {
        req.method = Method::post;
        req.path = "/ocsp";
        req.body = requests[i % distinct];
      } else {
        req.method = Method::get;
        req.path = paths[i % distinct];
      }
      auto t0 = Clock::now();
      txn.renew();
      Response resp = responder.handle(req, txn);
      size_t body = resp.body.size();
      txn.reset();
      auto t1 = Clock::now();
      if (body == 0) {
        std::abort();
      }
      out.push_back(static_cast<double>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
    }
  }
  Stats a = stats(lookup_ns), b = stats(post_ns), c = stats(get_ns), d = stats(decode_ns),
        g = stats(get_only_ns);
  std::printf(
      "records=%llu found=%.1f%% decode+lookup p50=%.2fus p99=%.2fus mean=%.2fus "
      "(decode p50=%.2fus p99=%.2fus, lookup p50=%.2fus p99=%.2fus) | "
      "handler POST p50=%.2fus p99=%.2fus | handler GET p50=%.2fus p99=%.2fus\n",
      static_cast<unsigned long long>(n),
      100.0 * static_cast<double>(found) / static_cast<double>(samples), a.p50, a.p99, a.mean,
      d.p50, d.p99, g.p50, g.p99, b.p50, b.p99, c.p50, c.p99);
  return 0;
}

int dump_responses(int argc, char** argv) {
  store::ReadStore rs(arg(argc, argv, "--store"));
  store::ReadTxn txn = rs.begin_read();
  std::ofstream out(arg(argc, argv, "--out"));
  store::Cursor c(txn, store::Db::ocsp);
  size_t n = 0;
  for (bool ok = c.first(); ok; ok = c.next()) {
    store::OcspView v;
    std::optional<Bytes> der;
    if (store::decode_view(c.value(), v) && (der = store::ocsp_der(txn, v))) {
      out << test::base64(*der) << "\n";
      ++n;
    }
  }
  std::fprintf(stderr, "%zu responses\n", n);
  return 0;
}

int responder_cert(int argc, char** argv) {
  store::ReadStore rs(arg(argc, argv, "--store"));
  store::ReadTxn txn = rs.begin_read();
  auto ca = store::get_ca(txn, arg(argc, argv, "--ca"));
  if (!ca) {
    std::fprintf(stderr, "no such CA\n");
    return 1;
  }
  X509Ptr cert = parse_cert_der(ca->responder_cert_der);
  std::ofstream(arg(argc, argv, "--out")) << to_pem(cert.get());
  std::cout << ca->responder_key_file << "\n";
  return 0;
}

// The framework's own ceiling: libmicrohttpd with the responder's daemon settings (epoll, a pool
// of `--threads`, the same connection memory) answering every request with the bytes of
// `--file`, no lookup, no headers of ours beyond Content-Type. Runs until SIGTERM or SIGINT.
struct BareReply {
  std::string body;
};

MHD_Result bare_access(void* cls, MHD_Connection* connection, const char*, const char*, const char*,
                       const char*, size_t* upload_size, void** state) {
  if (*state == nullptr) {  // headers only so far: come back for the body
    *state = cls;
    return MHD_YES;
  }
  if (*upload_size != 0) {
    *upload_size = 0;  // the body is read and ignored
    return MHD_YES;
  }
  const auto* reply = static_cast<const BareReply*>(cls);
  MHD_Response* r = MHD_create_response_from_buffer(
      reply->body.size(), const_cast<char*>(reply->body.data()), MHD_RESPMEM_PERSISTENT);
  MHD_add_response_header(r, "Content-Type", "application/ocsp-response");
  const MHD_Result ret = MHD_queue_response(connection, MHD_HTTP_OK, r);
  MHD_destroy_response(r);
  return ret;
}

int bare_mhd(int argc, char** argv) {
  BareReply reply;
  std::ifstream in(arg(argc, argv, "--file"), std::ios::binary);
  reply.body.assign(std::istreambuf_iterator<char>(in), {});
  if (reply.body.empty()) {
    std::fprintf(stderr, "bare-mhd: --file is empty or unreadable\n");
    return 1;
  }
  const int threads = std::stoi(arg(argc, argv, "--threads", "2"));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(arg(argc, argv, "--port"))));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  MHD_Daemon* d = MHD_start_daemon(
      MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_SUPPRESS_DATE_NO_CLOCK, 0, nullptr,
      nullptr, &bare_access, &reply, MHD_OPTION_THREAD_POOL_SIZE, threads,
      MHD_OPTION_CONNECTION_LIMIT, 4096, MHD_OPTION_CONNECTION_MEMORY_LIMIT, size_t{8 * 1024},
      MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_END);
  if (d == nullptr) {
    std::fprintf(stderr, "bare-mhd: cannot listen\n");
    return 1;
  }
  int sig = 0;
  sigwait(&signals, &sig);
  MHD_stop_daemon(d);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  try {
    if (cmd == "latency") {
      return latency(argc, argv);
    }
    if (cmd == "dump-responses") {
      return dump_responses(argc, argv);
    }
    if (cmd == "responder-cert") {
      return responder_cert(argc, argv);
    }
    if (cmd == "bare-mhd") {
      return bare_mhd(argc, argv);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "responder_bench: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr,
               "usage: responder_bench latency|dump-responses|responder-cert|bare-mhd ...\n");
  return 2;
}
