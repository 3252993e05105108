// The responder's handlers driven directly, without a socket: a store built
// with WriteStore, responses signed by the test PKI, requests as Request values.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ocsp.h>

#include <catch2/catch.hpp>
#include <functional>

#include "pki_fixture.h"
#include "responder/caching.h"
#include "responder/ocsp_errors.h"
#include "responder/responder.h"
#include "store/meta_keys.h"
#include "store/store.h"
#include "support/test_support.h"
#include "x509/der.h"

using namespace pkirepo;
using namespace pkirepo::responder;
using pkirepo::test::kT0;

namespace {

struct Cas {
  test::FixtureCa ec = test::make_fixture_ca("ec-ca", "ec-p256");
  test::FixtureCa rsa = test::make_fixture_ca("rsa-ca", "rsa-2048");
};
const Cas& cas() {
  static const Cas c;
  return c;
}

const Bytes kGood = test::serial_of(0x1001);
const Bytes kRevoked = test::serial_of(0x1002);
const Bytes kStale = test::serial_of(0x1003);
const Bytes kUnknown = test::serial_of(0x9999);
constexpr UnixTime kNow = kT0 + 3600;
constexpr UnixTime kNext = kT0 + 4 * 86400;

struct World {
  test::TempDir dir;
  store::WriteStore store{dir.path() / "store"};
  HealthMonitor health;
  Metrics metrics;
  std::unique_ptr<NonceSigner> signer;
  std::unique_ptr<Responder> responder;

  explicit World(NonceMode nonce = NonceMode::ignore,
                 const std::function<void(ResponderOptions&)>& tweak = {}) {
    for (const test::FixtureCa* ca : {&cas().ec, &cas().rsa}) {
      test::put_ca(store, *ca);
      test::put_response(store, *ca, kGood, {}, kT0, kNext);
      test::put_response(store, *ca, kRevoked,
                         {store::CertStatus::revoked, CrlReason::key_compromise, kT0 - 60}, kT0,
                         kNext);
      test::put_response(store, *ca, kStale, {}, kT0 - 5 * 86400, kT0 - 86400);
    }
    ResponderOptions o;
    o.ocsp_path = "/ocsp";
    o.nonce = nonce;
    o.max_age_cap = 86400;
    o.stale_margin = 3600;
    if (nonce == NonceMode::sign) {
      signer = std::make_unique<NonceSigner>(up_ref(cas().ec.responder_cert.get()),
                                             up_ref(cas().ec.responder_key.get()));
    }
    if (tweak) {
      tweak(o);
    }
    responder = std::make_unique<Responder>(o, signer.get(), health, metrics);
  }

  Response call(Request req) {
    if (req.now == 0) {
      req.now = kNow;
    }
    store::ReadTxn txn = store.begin_read();
    Response r = responder->handle(req, txn);
    if (r.body.data() != r.owned_body.data()) {  // copy views out of the snapshot
      r.set_owned_body(Bytes(r.body.begin(), r.body.end()));
    }
    return r;
  }
  Response post(ByteView body, std::string_view path = "/ocsp") {
    Request req;
    req.method = Method::post;
    req.path = path;
    req.body = body;
    return call(req);
  }
  Response get(std::string_view path) {
    Request req;
    req.method = Method::get;
    req.path = path;
    return call(req);
  }
};

int ocsp_status(const Response& r) {
  OcspResponsePtr resp = parse_ocsp_response_der(r.body);
  REQUIRE(resp);
  return OCSP_response_status(resp.get());
}

// Status of the single response, after checking its CertID matches the request's hash.
int cert_status(const Response& r, CertIdHash hash, bool* has_nonce = nullptr) {
  OcspResponsePtr resp = parse_ocsp_response_der(r.body);
  REQUIRE(resp);
  REQUIRE(OCSP_response_status(resp.get()) == OCSP_RESPONSE_STATUS_SUCCESSFUL);
  OcspBasicRespPtr basic(OCSP_response_get1_basic(resp.get()));
  REQUIRE(basic);
  REQUIRE(OCSP_resp_count(basic.get()) == 1);
  OCSP_SINGLERESP* single = OCSP_resp_get0(basic.get(), 0);
  ASN1_OBJECT* md = nullptr;
  OCSP_id_get0_info(nullptr, &md, nullptr, nullptr,
                    const_cast<OCSP_CERTID*>(OCSP_SINGLERESP_get0_id(single)));
  CHECK(cert_id_hash_from_nid(OBJ_obj2nid(md)) == hash);
  if (has_nonce != nullptr) {
    *has_nonce = OCSP_BASICRESP_get_ext_by_NID(basic.get(), NID_id_pkix_OCSP_Nonce, -1) >= 0;
  }
  int reason = 0;
  return OCSP_single_get0_status(single, &reason, nullptr, nullptr, nullptr);
}

}  // namespace

TEST_CASE("OCSP POST: good, revoked, unknown for both CAs and both CertID hashes",
          "[responder][ocsp]") {
  World w;
  for (const test::FixtureCa* ca : {&cas().ec, &cas().rsa}) {
    for (CertIdHash h : {CertIdHash::sha1, CertIdHash::sha256}) {
      INFO(ca->id << " " << cert_id_hash_name(h));
      Response good = w.post(test::make_request(*ca, kGood, h));
      CHECK(good.status == 200);
      CHECK(std::string(good.content_type) == "application/ocsp-response");
      CHECK(good.outcome == Outcome::good);
      CHECK(cert_status(good, h) == V_OCSP_CERTSTATUS_GOOD);

      Response revoked = w.post(test::make_request(*ca, kRevoked, h));
      CHECK(revoked.outcome == Outcome::revoked);
      CHECK(cert_status(revoked, h) == V_OCSP_CERTSTATUS_REVOKED);

      Response unknown = w.post(test::make_request(*ca, kUnknown, h));
      CHECK(unknown.status == 200);
      CHECK(unknown.outcome == Outcome::unauthorized);
      CHECK(ocsp_status(unknown) == OCSP_RESPONSE_STATUS_UNAUTHORIZED);
    }
  }
  // POST at "/" works as well as at the prefix.
  CHECK(w.post(test::make_request(cas().ec, kGood, CertIdHash::sha1), "/").outcome ==
        Outcome::good);
  CHECK(w.metrics.count(Route::ocsp_post, Outcome::good) == 0);  // the adapter records, not us
}

TEST_CASE("OCSP: unknown issuer and a right key with the wrong issuer name", "[responder][ocsp]") {
  World w;
  test::FixtureCa stranger = test::make_fixture_ca("stranger", "ec-p256");
  CHECK(w.post(test::make_request(stranger, kGood, CertIdHash::sha256)).outcome ==
        Outcome::unauthorized);

  // Same key as ec-ca, another subject: issuerNameHash differs, so no match.
  test::FixtureCa renamed;
  renamed.id = "renamed";
  renamed.key = up_ref(cas().ec.key.get());
  {
    test::FixtureCa tmp = test::make_fixture_ca("renamed", "ec-p256");
    X509Ptr cert(X509_dup(tmp.cert.get()));
    X509_set_pubkey(cert.get(), cas().ec.key.get());
    X509_sign(cert.get(), cas().ec.key.get(), EVP_sha256());
    renamed.cert = std::move(cert);
  }
  Response r = w.post(test::make_request(renamed, kGood, CertIdHash::sha1));
  CHECK(r.outcome == Outcome::unauthorized);
}

TEST_CASE("OCSP: caching headers per RFC 9919", "[responder][ocsp][http]") {
  World w;
  Bytes req = test::make_request(cas().ec, kGood, CertIdHash::sha256);
  Response r = w.get("/ocsp/" + test::base64(req));
  REQUIRE(r.status == 200);
  const int64_t max_age = std::min(int64_t{86400}, kNext - kNow - 1);
  CHECK(*r.header("Cache-Control") ==
        "max-age=" + std::to_string(max_age) + ", public, no-transform, must-revalidate");
  CHECK(*r.header("Last-Modified") == http_date(kT0));
  CHECK(*r.header("Expires") == http_date(kNext));
  CHECK(*r.header("Date") == http_date(kNow));
  CHECK(*r.header("ETag") == "\"" + to_hex(sha256(r.body)) + "\"");

  // max-age never reaches nextUpdate (thisUpdate < now + n < nextUpdate).
  const std::string path = "/ocsp/" + test::base64(req);
  Request late;
  late.method = Method::get;
  late.path = path;
  late.now = kNext - 100;
  Response lr = w.call(late);
  CHECK(*lr.header("Cache-Control") == "max-age=99, public, no-transform, must-revalidate");
}

TEST_CASE("OCSP: If-None-Match and If-Modified-Since answer 304 without a body",
          "[responder][ocsp][http]") {
  World w;
  std::string path =
      "/ocsp/" + test::base64(test::make_request(cas().rsa, kGood, CertIdHash::sha1));
  Response first = w.get(path);
  const std::string etag = *first.header("ETag");

  Request req;
  req.method = Method::get;
  req.path = path;
  req.if_none_match = etag;
  Response r = w.call(req);
  CHECK(r.status == 304);
  CHECK(r.body.empty());
  CHECK(r.outcome == Outcome::not_modified);
  CHECK(*r.header("ETag") == etag);

  std::string list = "\"other\", W/" + etag;
  req.if_none_match = list;
  CHECK(w.call(req).status == 304);
  req.if_none_match = "\"other\"";
  CHECK(w.call(req).status == 200);  // If-None-Match wins over If-Modified-Since

  req.if_none_match = "";
  std::string since = http_date(kT0);
  req.if_modified_since = since;
  CHECK(w.call(req).status == 304);
  std::string before = http_date(kT0 - 1);
  req.if_modified_since = before;
  CHECK(w.call(req).status == 200);

  // POST is never conditional.
  Request post;
  post.method = Method::post;
  post.path = "/ocsp";
  Bytes body = test::make_request(cas().rsa, kGood, CertIdHash::sha1);
  post.body = body;
  post.if_none_match = etag;
  CHECK(w.call(post).status == 200);
}

TEST_CASE("OCSP: a response past its nextUpdate is never served", "[responder][ocsp]") {
  World w;
  Response r = w.post(test::make_request(cas().ec, kStale, CertIdHash::sha1));
  CHECK(r.status == 200);
  CHECK(r.outcome == Outcome::stale);
  CHECK(ocsp_status(r) == OCSP_RESPONSE_STATUS_TRYLATER);
  CHECK(*r.header("Cache-Control") == "no-store");
  // And the good one too, once time has passed its nextUpdate.
  Request later;
  later.method = Method::post;
  later.path = "/ocsp";
  Bytes body = test::make_request(cas().ec, kGood, CertIdHash::sha1);
  later.body = body;
  later.now = kNext;
  CHECK(w.call(later).outcome == Outcome::stale);
}

TEST_CASE("OCSP: the stored head and the shared tail make the signed response",
          "[responder][ocsp]") {
  World w;
  const Bytes serial = test::serial_of(0x1004);
  const store::OcspRecord rec =
      test::sign_ocsp(cas().ec, serial, CertIdHash::sha256, {}, kT0, kNext);
  const Bytes key =
      store::ocsp_key(CertIdHash::sha256, issuer_name_hash(cas().ec.cert.get(), CertIdHash::sha256),
                      issuer_key_hash(cas().ec.cert.get(), CertIdHash::sha256), serial);
  const Bytes cert = to_der(cas().ec.responder_cert.get());
  const store::OcspTail tail = store::make_ocsp_tail(cert);
  Bytes value;
  store::encode_into(rec, &tail, value);
  w.store.transact([&](store::WriteTxn& txn) { txn.put(store::Db::ocsp, key, value); });
  // Without its tail (World stored this certificate's, delete it) the store is damaged: the
  // answer is internalError, never a truncated response.
  w.store.transact([&](store::WriteTxn& txn) {
    (void)txn.del(store::Db::meta, as_bytes(store::meta::ocsp_tail(tail.id)));
  });
  Response broken = w.post(test::make_request(cas().ec, serial, CertIdHash::sha256));
  CHECK(broken.outcome == Outcome::internal_error);
  CHECK(ocsp_status(broken) == OCSP_RESPONSE_STATUS_INTERNALERROR);
  {
    store::ReadTxn txn = w.store.begin_read();
    CHECK(scan_store(txn, kNow).malformed_records > 0);  // /healthz says so
  }

  w.store.transact([&](store::WriteTxn& txn) { store::put_ocsp_tail(txn, tail); });
  {
    store::ReadTxn txn = w.store.begin_read();
    CHECK(scan_store(txn, kNow).malformed_records == 0);
  }
  Response r = w.post(test::make_request(cas().ec, serial, CertIdHash::sha256));
  CHECK(r.outcome == Outcome::good);
  CHECK(r.body.size() == rec.der.size());
  CHECK(Bytes(r.body.begin(), r.body.end()) == rec.der);
  CHECK(*r.header("ETag") == rec.etag);
}

TEST_CASE("OCSP: bad input answers malformedRequest, unauthorized, 405, 413 or 414",
          "[responder][ocsp][bad-input]") {
  World w;
  Bytes good = test::make_request(cas().ec, kGood, CertIdHash::sha1);

  Bytes truncated(good.begin(), good.end() - 5);
  CHECK(w.post(truncated).outcome == Outcome::malformed);
  Bytes trailing = good;
  trailing.push_back(0);
  CHECK(w.post(trailing).outcome == Outcome::malformed);
  Bytes random(300);
  for (size_t i = 0; i < random.size(); ++i) {
    random[i] = static_cast<uint8_t>(i * 7919 + 13);
  }
  CHECK(w.post(random).outcome == Outcome::malformed);
  CHECK(w.post(Bytes{}).outcome == Outcome::malformed);
  CHECK(ocsp_status(w.post(random)) == OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);

  Bytes two = test::make_request(cas().ec, {kGood, kRevoked}, CertIdHash::sha1);
  CHECK(w.post(two).outcome == Outcome::malformed);

  // Unsupported CertID hash (SHA-384): nothing could match → unauthorized.
  {
    OcspRequestPtr req(OCSP_REQUEST_new());
    BignumPtr bn(BN_bin2bn(kGood.data(), static_cast<int>(kGood.size()), nullptr));
    Asn1IntegerPtr s(BN_to_ASN1_INTEGER(bn.get(), nullptr));
    OCSP_CERTID* id = OCSP_cert_id_new(EVP_sha384(), X509_get_subject_name(cas().ec.cert.get()),
                                       X509_get0_pubkey_bitstr(cas().ec.cert.get()), s.get());
    OCSP_request_add0_id(req.get(), id);
    CHECK(w.post(to_der(req.get())).outcome == Outcome::unauthorized);
  }

  Request big;
  big.method = Method::post;
  big.path = "/ocsp";
  big.body_too_large = true;
  Response r413 = w.call(big);
  CHECK(r413.status == 413);

  CHECK(w.get("/ocsp/" + std::string(10000, 'A')).status == 414);
  CHECK(w.get("/" + std::string(10000, 'A')).status == 414);
  CHECK(w.get("/ocsp/%zz" + test::base64(good)).outcome == Outcome::malformed);
  CHECK(w.get("/ocsp/%4").outcome == Outcome::malformed);
  CHECK(w.get("/ocsp/MEow!!").outcome == Outcome::malformed);
  CHECK(w.get("/ocsp/" + test::base64(good) + "=").outcome == Outcome::malformed);

  Request put;
  put.method = Method::other;
  put.path = "/ocsp";
  Response r405 = w.call(put);
  CHECK(r405.status == 405);
  CHECK(*r405.header("Allow") == "GET, HEAD, POST");
  Request post_crl;
  post_crl.method = Method::post;
  post_crl.path = "/crl/ec-ca.crl";
  CHECK(w.call(post_crl).status == 405);
}

TEST_CASE("OCSP GET: every encoding quirk of RFC 6960 A.1 / RFC 9919", "[responder][ocsp]") {
  World w;
  Bytes der = test::make_request(cas().ec, kGood, CertIdHash::sha256);
  std::string b64 = test::base64(der);
  std::string unpadded = b64;
  while (!unpadded.empty() && unpadded.back() == '=') {
    unpadded.pop_back();
  }
  auto encode_all = [](const std::string& s) {  // percent-encode '+', '/', '='
    std::string out;
    for (char c : s) {
      if (c == '+') {
        out += "%2B";
      } else if (c == '/') {
        out += "%2f";
      } else if (c == '=') {
        out += "%3D";
      } else {
        out += c;
      }
    }
    return out;
  };
  std::string spaced = b64;
  for (char& c : spaced) {
    if (c == '+') {
      c = ' ';
    }
  }
  std::string urlsafe = b64;
  for (char& c : urlsafe) {
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  }
  for (const std::string& path :
       {"/ocsp/" + b64, "/" + b64, "/ocsp//" + b64, "/ocsp/" + unpadded, "/ocsp/" + encode_all(b64),
        "/" + encode_all(unpadded), "/ocsp/" + spaced, "/ocsp/" + urlsafe}) {
    INFO(path);
    Response r = w.get(path);
    CHECK(r.status == 200);
    CHECK(r.outcome == Outcome::good);
  }
  CHECK(w.get("/ocsp").outcome == Outcome::served);  // load balancer probe
  CHECK(w.get("/").status == 200);
}

TEST_CASE("nonce = ignore serves the pre-signed bytes, nonce = sign echoes the nonce",
          "[responder][ocsp][nonce]") {
  Bytes with_nonce = test::make_request(cas().ec, kRevoked, CertIdHash::sha1, 32);
  {
    World w(NonceMode::ignore);
    Response r = w.post(with_nonce);
    bool nonce = true;
    CHECK(cert_status(r, CertIdHash::sha1, &nonce) == V_OCSP_CERTSTATUS_REVOKED);
    CHECK_FALSE(nonce);
    CHECK(r.outcome == Outcome::revoked);
  }
  {
    World w(NonceMode::sign);
    Response r = w.post(with_nonce);
    CHECK(r.outcome == Outcome::nonce_signed);
    bool nonce = false;
    CHECK(cert_status(r, CertIdHash::sha1, &nonce) == V_OCSP_CERTSTATUS_REVOKED);
    CHECK(nonce);
    CHECK(*r.header("Cache-Control") == "no-store");
    // The echoed nonce equals the request's, and the signature verifies with the responder.
    OcspResponsePtr resp = parse_ocsp_response_der(r.body);
    OcspBasicRespPtr basic(OCSP_response_get1_basic(resp.get()));
    OcspRequestPtr req = parse_ocsp_request_der(with_nonce);
    CHECK(OCSP_check_nonce(req.get(), basic.get()) == 1);
    X509StorePtr trust(X509_STORE_new());
    X509_STORE_add_cert(trust.get(), cas().ec.cert.get());
    CHECK(OCSP_basic_verify(basic.get(), nullptr, trust.get(), OCSP_NOTIME) == 1);

    // Without a nonce: the pre-signed bytes. The RSA CA's responder key is not loaded here:
    // its response is served as stored even with a nonce.
    CHECK(w.post(test::make_request(cas().ec, kGood, CertIdHash::sha1)).outcome == Outcome::good);
    CHECK(w.post(test::make_request(cas().rsa, kGood, CertIdHash::sha1, 16)).outcome ==
          Outcome::good);
    // RFC 9654: a nonce over 128 octets is refused.
    CHECK(w.post(test::make_request(cas().ec, kGood, CertIdHash::sha1, 129)).outcome ==
          Outcome::malformed);
  }
}

namespace {

// `request_der` with a nonce extension whose value is `value` exactly (OpenSSL's own
// OCSP_request_add1_nonce never writes an empty nonce).
Bytes with_nonce_value(const Bytes& request_der, const Bytes& value) {
  OcspRequestPtr req = parse_ocsp_request_der(request_der);
  REQUIRE(req);
  Asn1OctetStringPtr v(ASN1_OCTET_STRING_new());
  REQUIRE(ASN1_OCTET_STRING_set(v.get(), value.data(), static_cast<int>(value.size())) == 1);
  X509ExtensionPtr ext(X509_EXTENSION_create_by_NID(nullptr, NID_id_pkix_OCSP_Nonce, 0, v.get()));
  REQUIRE(ext);
  REQUIRE(OCSP_REQUEST_add_ext(req.get(), ext.get(), -1) == 1);
  return to_der(req.get());
}

Request from(Request r, const char* ipv4) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  REQUIRE(inet_pton(AF_INET, ipv4, &sa.sin_addr) == 1);
  r.client = source_key_of(reinterpret_cast<const sockaddr*>(&sa));
  return r;
}

}  // namespace

TEST_CASE("nonce = sign: an empty nonce, or one that is no OCTET STRING, is malformedRequest",
          "[responder][ocsp][nonce]") {
  World w(NonceMode::sign);
  const Bytes plain = test::make_request(cas().ec, kGood, CertIdHash::sha1);
  const struct {
    const char* what;
    Bytes value;
    Outcome outcome;
  } cases[] = {
      {"empty OCTET STRING (RFC 9654 2.1: at least 1 octet)", {0x04, 0x00}, Outcome::malformed},
      {"no value at all", {}, Outcome::malformed},
      {"an INTEGER", {0x02, 0x01, 0x05}, Outcome::malformed},
      {"trailing bytes", {0x04, 0x01, 0xaa, 0x00}, Outcome::malformed},
      {"one octet", {0x04, 0x01, 0xaa}, Outcome::nonce_signed},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    CHECK(w.post(with_nonce_value(plain, c.value)).outcome == c.outcome);
  }
  // nonce = ignore never looks at it: the pre-signed response.
  World ignoring(NonceMode::ignore);
  CHECK(ignoring.post(with_nonce_value(plain, {0x04, 0x00})).outcome == Outcome::good);
}

TEST_CASE("nonce = sign: over a source's rate the pre-signed response, counted in /metrics",
          "[responder][ocsp][nonce][limits]") {
  World w(NonceMode::sign, [](ResponderOptions& o) {
    o.nonce_rate = 1;
    o.nonce_burst = 2;
  });
  const Bytes with_nonce = test::make_request(cas().ec, kRevoked, CertIdHash::sha1, 32);
  Request req;
  req.method = Method::post;
  req.path = "/ocsp";
  req.body = with_nonce;
  const Request a = from(req, "192.0.2.10");
  CHECK(w.call(a).outcome == Outcome::nonce_signed);
  CHECK(w.call(a).outcome == Outcome::nonce_signed);
  // Burst spent: the stored response, without nonce, with its caching headers.
  Response limited = w.call(a);
  CHECK(limited.outcome == Outcome::revoked);
  bool nonce = true;
  CHECK(cert_status(limited, CertIdHash::sha1, &nonce) == V_OCSP_CERTSTATUS_REVOKED);
  CHECK_FALSE(nonce);
  CHECK(limited.header("Cache-Control")->find("max-age=") != std::string::npos);
  CHECK(w.metrics.count(AbuseEvent::nonce_rate_limited) == 1);
  // Another source has its own bucket; a second later `a` has one token again.
  CHECK(w.call(from(req, "192.0.2.11")).outcome == Outcome::nonce_signed);
  Request later = a;
  later.now = kNow + 1;
  CHECK(w.call(later).outcome == Outcome::nonce_signed);
  CHECK(w.call(later).outcome == Outcome::revoked);
  const Response scrape = w.get("/metrics");
  const std::string metrics(scrape.body.begin(), scrape.body.end());
  CHECK(metrics.find("pkirepo_responder_nonce_refused_total{reason=\"rate_limited\"} 2\n") !=
        std::string::npos);
}

TEST_CASE("metrics_listen: /metrics only there, 404 on the public listener",
          "[responder][http][metrics]") {
  World w(NonceMode::ignore, [](ResponderOptions& o) { o.metrics_separate = true; });
  Request m;
  m.method = Method::get;
  m.path = "/metrics";
  m.listener = Listener::metrics;
  CHECK(w.call(m).status == 200);
  CHECK(w.call(m).route == Route::metrics);
  Request other = m;
  other.path = "/healthz";
  CHECK(w.call(other).status == 404);
  other.path = "/";
  CHECK(w.call(other).status == 404);
  Request post = m;
  post.method = Method::post;
  CHECK(w.call(post).status == 405);
  CHECK(w.get("/metrics").status == 404);  // the public listener
  CHECK(w.get("/").status == 200);
  // Without metrics_listen the public listener serves it, as before.
  World plain;
  CHECK(plain.get("/metrics").status == 200);
}

TEST_CASE("CA certificates and CRLs are served with caching headers", "[responder][http]") {
  World w;
  store::CrlRecord crl;
  crl.crl_number = 7;
  crl.this_update = kT0;
  crl.next_update = kT0 + 7 * 86400;
  crl.der = Bytes{0x30, 0x03, 0x02, 0x01, 0x07};
  crl.etag = "\"abc\"";
  store::CrlRecord list;
  std::string json = "[\"http://pki.test/crl/ec-ca.crl\"]\n";
  list.der = Bytes(json.begin(), json.end());
  list.this_update = kT0;
  w.store.transact([&](store::WriteTxn& txn) {
    txn.put(store::Db::crls, store::crl_key("ec-ca", 0), store::encode(crl));
    txn.put(store::Db::crls, as_bytes("ec-ca/list.json"), store::encode(list));
  });
  Response r = w.get("/crl/ec-ca.crl");
  CHECK(r.status == 200);
  CHECK(std::string(r.content_type) == "application/pkix-crl");
  CHECK(r.body.size() == crl.der.size());
  CHECK(*r.header("ETag") == "\"abc\"");
  CHECK(*r.header("Expires") == http_date(crl.next_update));
  CHECK(*r.header("Last-Modified") == http_date(crl.this_update));
  CHECK(w.get("/crl/ec-ca/0.crl").status == 404);  // not sharded: no partition URLs
  CHECK(w.get("/crl/rsa-ca.crl").status == 404);
  CHECK(w.get("/crl/../etc/passwd.crl").status == 404);
  Response j = w.get("/crl/ec-ca.json");
  CHECK(j.status == 200);
  CHECK(std::string(j.content_type) == "application/json");

  Response ca = w.get("/ca/rsa-ca.crt");
  CHECK(ca.status == 200);
  CHECK(std::string(ca.content_type) == "application/pkix-cert");
  X509Ptr cert = parse_cert_der(ca.body);
  REQUIRE(cert);
  CHECK(X509_cmp(cert.get(), cas().rsa.cert.get()) == 0);
  CHECK(ca.header("Cache-Control")->starts_with("max-age=86400, public"));
  CHECK(w.get("/ca/none.crt").status == 404);

  // A CRL past its nextUpdate is not served.
  Request late;
  late.method = Method::get;
  late.path = "/crl/ec-ca.crl";
  late.now = crl.next_update;
  CHECK(w.call(late).status == 503);
}

TEST_CASE("/healthz follows the earliest nextUpdate, /metrics is Prometheus text",
          "[responder][health]") {
  World w;
  CHECK(w.get("/healthz").status == 503);  // not scanned yet
  {
    store::ReadTxn txn = w.store.begin_read();
    w.health.publish(scan_store(txn, kNow));
  }
  Response h = w.get("/healthz");
  CHECK(h.status == 503);  // kStale is past its nextUpdate
  CHECK(std::string(h.body.begin(), h.body.end()).find("stale") != std::string::npos);

  HealthSnapshot s = w.health.snapshot();
  CHECK(s.ocsp_records == 12);
  CHECK(s.past_next_update == 4);
  // Without the stale records: healthy until the margin before nextUpdate.
  s.earliest_next_update = kNext;
  s.malformed_records = 0;
  CHECK(evaluate_health(s, kNow, 3600).healthy);
  CHECK_FALSE(evaluate_health(s, kNext - 3600, 3600).healthy);
  CHECK(evaluate_health(s, kNext - 3601, 3600).healthy);

  Metrics::Block& b = w.metrics.new_block();
  b.record(Route::ocsp_get, Outcome::good, 3000);
  b.record(Route::ocsp_post, Outcome::stale, 3000);
  w.store.transact(
      [&](store::WriteTxn& txn) { store::put_meta_u64(txn, store::meta::kLastRun, kT0); });
  Response m = w.get("/metrics");
  std::string text(m.body.begin(), m.body.end());
  CHECK(m.status == 200);
  CHECK(text.find("pkirepo_responder_requests_total{route=\"ocsp_get\",outcome=\"good\"} 1") !=
        std::string::npos);
  CHECK(text.find("pkirepo_responder_stale_total 1") != std::string::npos);
  CHECK(text.find("pkirepo_responder_store_age_seconds 3600") != std::string::npos);
  CHECK(text.find("pkirepo_responder_request_duration_seconds_bucket{le=\"5e-06\"} 2") !=
        std::string::npos);
}

TEST_CASE("Unsigned error responses are the RFC 6960 DER", "[responder][ocsp]") {
  CHECK(Bytes(ocsp_error_der(OcspError::malformed_request).begin(),
              ocsp_error_der(OcspError::malformed_request).end()) ==
        Bytes{0x30, 0x03, 0x0a, 0x01, 0x01});
  CHECK(Bytes(ocsp_error_der(OcspError::unauthorized).begin(),
              ocsp_error_der(OcspError::unauthorized).end()) ==
        Bytes{0x30, 0x03, 0x0a, 0x01, 0x06});
  CHECK(ocsp_error_der(OcspError::try_later)[4] == 3);
  CHECK(ocsp_error_der(OcspError::internal_error)[4] == 2);
}

TEST_CASE("HTTP dates are formatted like core's http_date", "[responder][http]") {
  for (UnixTime t : {UnixTime{0}, UnixTime{951782400}, kT0, kT0 + 86399, UnixTime{4102444800},
                     UnixTime{1709164800}}) {
    CHECK(format_http_date(t) == http_date(t));
  }
  CHECK(cache_max_age(kT0 + 100, kT0, 86400) == 99);
  CHECK(cache_max_age(kT0 + 100000, kT0, 86400) == 86400);
  CHECK(cache_max_age(kT0, kT0, 86400) == 0);
}
