// libFuzzer target over the responder's request-decoding path: GET path / POST body → DER →
// one CertID → store key → lookup, through the same Responder::handle() the server calls.
//
// Input: first byte 'G' → the rest is a GET path after "/ocsp/"; 'P' → the rest is a POST
// body; anything else → the whole input is tried both ways. Seeds: fuzz/corpus/ocsp_request/
// (made by fuzz/make_seed_corpus.sh). Build: -DPKIREPO_FUZZ=ON with clang.
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "responder/ocsp_request.h"
#include "responder/responder.h"
#include "store/store.h"

namespace {

using namespace pkirepo;
using namespace pkirepo::responder;

struct World {
  std::filesystem::path dir;
  std::unique_ptr<store::WriteStore> store;
  HealthMonitor health;
  Metrics metrics;
  std::unique_ptr<Responder> responder;
  std::unique_ptr<store::ReadTxn> txn;

  World() {
    char templ[] = "/tmp/pkirepo-fuzz-XXXXXX";
    if (::mkdtemp(templ) == nullptr) {
      std::abort();
    }
    dir = templ;
    store = std::make_unique<store::WriteStore>(dir / "store", size_t{1} << 20);
    // One record under a key a fuzzer can reach: SHA-1, all-zero hashes, serial 01.
    store::OcspRecord rec;
    rec.this_update = 1000;
    rec.next_update = 2000;
    rec.etag = "\"00\"";
    rec.der = {0x30, 0x03, 0x0a, 0x01, 0x00};
    Bytes zero(20, 0);
    Bytes serial{1};
    store->transact([&](store::WriteTxn& t) {
      t.put(store::Db::ocsp, store::ocsp_key(CertIdHash::sha1, zero, zero, serial),
            store::encode(rec));
    });
    responder = std::make_unique<Responder>(ResponderOptions{}, nullptr, health, metrics);
    txn = std::make_unique<store::ReadTxn>(store->env());
    txn->reset();
  }
  ~World() {
    txn.reset();
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

World& world() {
  static World w;
  return w;
}

void check(const Response& r) {
  // Whatever came in, the answer is one of the documented ones.
  const bool documented = r.status == 200 || r.status == 304 || r.status == 404 ||
                          r.status == 405 || r.status == 413 || r.status == 414 ||
                          (r.status == 503 && (r.route == Route::healthz || r.route == Route::crl));
  if (!documented || r.outcome == Outcome::internal_error) {
    std::abort();
  }
}

void one(std::string_view path, ByteView body, Method method) {
  World& w = world();
  Request req;
  req.method = method;
  req.path = path;
  req.body = body;
  req.now = 1500;
  w.txn->renew();
  check(w.responder->handle(req, *w.txn));
  w.txn->reset();
}

void decode_only(ByteView der) {
  DecodedRequest d;
  if (decode_ocsp_request(der, d) == RequestDecode::ok) {
    if (d.key.size < 1 + 20 + 20 + 1 || d.key.size > d.key.bytes.size() ||
        (d.key.bytes[0] != 1 && d.key.bytes[0] != 2)) {
      std::abort();
    }
  }
  // Differential: whatever the canonical-shape path accepts, d2i_OCSP_REQUEST decodes to the
  // same key, without a nonce.
  DecodedRequest fast;
  if (decode_canonical_ocsp_request(der, fast)) {
    DecodedRequest general;
    if (decode_ocsp_request_general(der, general) != RequestDecode::ok || general.has_nonce ||
        general.key.size != fast.key.size ||
        std::memcmp(general.key.bytes.data(), fast.key.bytes.data(), fast.key.size) != 0) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 32 * 1024) {
    return 0;
  }
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const ByteView rest(data + 1, size - 1);
  switch (data[0]) {
    case 'G': {
      Bytes der;
      if (decode_get_path(text, der, kMaxRequestBytes) == GetPathDecode::ok) {
        decode_only(der);
      }
      one("/ocsp/" + std::string(text), {}, Method::get);
      one("/" + std::string(text), {}, Method::get);
      break;
    }
    case 'P':
      decode_only(rest);
      one("/ocsp", rest, Method::post);
      break;
    default: {
      const ByteView all(data, size);
      decode_only(all);
      one("/ocsp", all, Method::post);
      one(std::string(reinterpret_cast<const char*>(data), size), {}, Method::get);
      break;
    }
  }
  return 0;
}
