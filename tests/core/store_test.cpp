#include "store/store.h"

#include <lmdb.h>

#include <catch2/catch.hpp>

#include "store/meta_keys.h"
#include "support/test_support.h"

using namespace pkirepo;
using namespace pkirepo::store;

TEST_CASE("records round-trip through their encoding", "[store]") {
  CertRecord c;
  c.ca_id = "tls";
  c.status = CertStatus::revoked;
  c.reason = CrlReason::key_compromise;
  c.revocation_time = 1800000000;
  c.invalidity_date = 1799990000;
  c.not_before = 1790000000;
  c.not_after = 1820000000;
  c.issued_at = 1790000000;
  c.profile = "tls-server";
  c.shard = 7;
  c.der = {1, 2, 3};
  CertRecord back;
  REQUIRE(decode(encode(c), back));
  CHECK(back.ca_id == "tls");
  CHECK(back.status == CertStatus::revoked);
  CHECK(back.reason == CrlReason::key_compromise);
  CHECK(back.invalidity_date == 1799990000);
  CHECK(back.shard == 7);
  CHECK(back.der == Bytes{1, 2, 3});

  CHECK(back.ocsp_url);
  CHECK(back.crl_dp);

  c.reason = std::nullopt;
  c.ocsp_url = false;
  REQUIRE(decode(encode(c), back));
  CHECK(!back.reason);
  CHECK_FALSE(back.ocsp_url);
  CHECK(back.crl_dp);
  c.crl_dp = false;
  REQUIRE(decode(encode(c), back));
  CHECK_FALSE(back.crl_dp);

  // A version 1 record (before the flags) reads as carrying both: the encoding without the
  // flags byte, version 1.
  Bytes v2 = encode(c);
  Bytes v1 = v2;
  const size_t flags_at = v2.size() - 4 - c.der.size() - 1;  // the der is u32 length + bytes
  v1.erase(v1.begin() + static_cast<std::ptrdiff_t>(flags_at));
  v1[0] = 1;
  REQUIRE(decode(v1, back));
  CHECK(back.ocsp_url);
  CHECK(back.crl_dp);
  CHECK(back.der == c.der);

  RevocationRecord r{1800000000, CrlReason::key_compromise, 1799990000};
  RevocationRecord rback;
  REQUIRE(decode(encode(r), rback));
  CHECK(rback.revocation_time == 1800000000);
  CHECK(rback.reason == CrlReason::key_compromise);
  CHECK(rback.invalidity_date == 1799990000);
  r.reason = std::nullopt;
  REQUIRE(decode(encode(r), rback));
  CHECK_FALSE(rback.reason);

  OcspRecord o{CertStatus::good, 100, 200, "\"abc\"", {9, 8}};
  OcspView v;
  Bytes enc = encode(o);
  REQUIRE(decode_view(enc, v));
  CHECK(v.this_update == 100);
  CHECK(v.next_update == 200);
  CHECK(v.etag == "\"abc\"");
  CHECK(v.tail_id == 0);
  CHECK(Bytes(v.head.begin(), v.head.end()) == Bytes{9, 8});
}

TEST_CASE("an OCSP record keeps a shared tail once, and reads back whole", "[store]") {
  test::TempDir dir;
  WriteStore st(dir / "store");
  const Bytes cert{0x30, 0x03, 0xaa, 0xbb, 0xcc};  // stands for the responder certificate
  const OcspTail tail = make_ocsp_tail(cert);
  REQUIRE(tail.id != 0);
  CHECK(make_ocsp_tail({}).id == 0);
  CHECK(meta::ocsp_tail(0x0102030405060708ULL) == "ocsp_tail/0102030405060708");

  OcspRecord o{CertStatus::revoked, 100, 200, "\"e\"", {0x30, 0x81, 0x01, 2, 3}};
  o.der.insert(o.der.end(), cert.begin(), cert.end());
  Bytes with_tail;
  encode_into(o, &tail, with_tail);
  const Bytes whole = encode(o);
  CHECK(with_tail.size() + cert.size() == whole.size());
  OcspView v;
  REQUIRE(decode_view(with_tail, v));
  CHECK(v.tail_id == tail.id);
  CHECK(Bytes(v.head.begin(), v.head.end()) == Bytes(o.der.begin(), o.der.end() - 5));
  for (size_t n = 0; n < with_tail.size(); ++n) {
    CHECK_FALSE(decode_view(ByteView(with_tail.data(), n), v));
  }

  // A response that does not end with the tail is stored whole.
  OcspRecord other = o;
  other.der.back() ^= 1;
  Bytes inline_enc;
  encode_into(other, &tail, inline_enc);
  REQUIRE(decode_view(inline_enc, v));
  CHECK(v.tail_id == 0);
  CHECK(v.head.size() == other.der.size());

  // The first layout (version 1: the whole DER, no tail id) still reads.
  Bytes v1{1, 1};
  for (int64_t t : {int64_t{100}, int64_t{200}}) {
    for (int s = 56; s >= 0; s -= 8) {
      v1.push_back(static_cast<uint8_t>(static_cast<uint64_t>(t) >> s));
    }
  }
  const Bytes rest{0, 0, 0, 3, '"', 'e', '"', 0, 0, 0, 2, 7, 9};  // etag "e", DER 07 09
  v1.insert(v1.end(), rest.begin(), rest.end());
  REQUIRE(decode_view(v1, v));
  CHECK(v.status == CertStatus::revoked);
  CHECK(v.next_update == 200);
  CHECK(v.tail_id == 0);
  CHECK(Bytes(v.head.begin(), v.head.end()) == Bytes{7, 9});

  const Bytes key{1, 2, 3};
  // A record whose tail is missing is a damaged store, said as such.
  st.transact([&](WriteTxn& txn) { txn.put(Db::ocsp, key, with_tail); });
  {
    ReadTxn txn = st.begin_read();
    CHECK_THROWS_WITH(get_ocsp(txn, key), Catch::Contains("is missing"));
    CHECK_FALSE(get_ocsp(txn, Bytes{9}));
  }
  st.transact([&](WriteTxn& txn) {
    put_ocsp_tail(txn, tail);
    put_ocsp_tail(txn, tail);        // again: a no-op
    put_ocsp_tail(txn, OcspTail{});  // no tail: nothing to store
  });
  {
    ReadTxn txn = st.begin_read();
    std::optional<OcspRecord> back = get_ocsp(txn, key);
    REQUIRE(back);
    CHECK(back->der == o.der);
    CHECK(back->status == CertStatus::revoked);
    CHECK(back->etag == "\"e\"");
    CHECK_FALSE(get_ocsp_tail(txn, 0));
  }
  // Other bytes under a taken name are refused, and the transaction leaves nothing.
  const OcspTail forged{tail.id, ByteView(o.der)};
  CHECK_THROWS_WITH(st.transact([&](WriteTxn& txn) { put_ocsp_tail(txn, forged); }),
                    Catch::Contains("collision"));
  ReadTxn txn = st.begin_read();
  std::optional<ByteView> kept = get_ocsp_tail(txn, tail.id);
  REQUIRE(kept);
  CHECK(Bytes(kept->begin(), kept->end()) == cert);
}

TEST_CASE("truncated or extended records are rejected", "[store]") {
  CaRecord r;
  r.id = "root";
  r.cert_der = {1, 2, 3, 4};
  Bytes enc = encode(r);
  CaRecord out;
  for (size_t n = 0; n < enc.size(); ++n) {
    CHECK_FALSE(decode(ByteView(enc.data(), n), out));
  }
  enc.push_back(0);
  CHECK_FALSE(decode(enc, out));
}

TEST_CASE("keys have the documented layouts", "[store]") {
  Sha1Digest id{};
  id.fill(0xab);
  Bytes serial{0x01, 0x02};
  Bytes k = cert_key(id, serial);
  CHECK(k.size() == 22);
  CHECK(k[20] == 0x01);
  Bytes name(20, 0x11), key(20, 0x22);
  Bytes ok = ocsp_key(CertIdHash::sha1, name, key, serial);
  CHECK(ok.size() == 1 + 20 + 20 + 2);
  CHECK(ok[0] == 1);
  Bytes e1 = expiry_key(100, id, serial);
  Bytes e2 = expiry_key(200, id, serial);
  CHECK(e1 < e2);  // by_expiry iterates in notAfter order
  CHECK(audit_seq(audit_key(42)) == 42);
}

TEST_CASE("puts through cursors, in and out of key order, read back", "[store]") {
  test::TempDir dir;
  WriteStore st(dir / "store");
  st.transact([](WriteTxn& txn) {
    Cursor low(txn, Db::ocsp);
    Cursor high(txn, Db::ocsp);
    // Two interleaved runs of keys, as a run writes SHA-1 and SHA-256 responses; enough of
    // them to split pages under both cursors; then one key again and one out of order.
    for (uint32_t i = 0; i < 3000; ++i) {
      const Bytes v(200, static_cast<uint8_t>(i));
      low.put(Bytes{1, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)}, v);
      high.put(Bytes{2, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)}, v);
    }
    low.put(Bytes{2, 0, 7}, Bytes{42});
    high.put(Bytes{1, 0, 0}, Bytes{43});
  });
  ReadTxn txn = st.begin_read();
  Cursor c(txn, Db::ocsp);
  size_t n = 0;
  for (bool ok = c.first(); ok; ok = c.next()) {
    ++n;
  }
  CHECK(n == 6000);
  for (uint32_t i : {1u, 255u, 256u, 2992u, 2999u}) {
    for (uint8_t h : {uint8_t{1}, uint8_t{2}}) {
      auto v = txn.get(Db::ocsp, Bytes{h, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)});
      REQUIRE(v);
      CHECK(v->size() == 200);
      CHECK((*v)[199] == static_cast<uint8_t>(i));
    }
  }
  CHECK(txn.get(Db::ocsp, Bytes{2, 0, 7})->size() == 1);
  CHECK((*txn.get(Db::ocsp, Bytes{2, 0, 7}))[0] == 42);
  CHECK((*txn.get(Db::ocsp, Bytes{1, 0, 0}))[0] == 43);
  // A read transaction's cursor cannot write.
  Cursor ro(txn, Db::meta);
  CHECK_THROWS_AS(ro.put(Bytes{1}, Bytes{1}), StoreError);
}

TEST_CASE("a write transaction that throws leaves the store unchanged", "[store]") {
  test::TempDir dir;
  WriteStore st(dir / "store");
  st.transact([](WriteTxn& txn) { put_meta_u64(txn, "x", 1); });
  CHECK_THROWS(st.transact([](WriteTxn& txn) {
    put_meta_u64(txn, "x", 2);
    put_meta_u64(txn, "y", 3);
    throw std::runtime_error("boom");
  }));
  ReadTxn txn = st.begin_read();
  CHECK(get_meta_u64(txn, "x") == 1u);
  CHECK_FALSE(get_meta_u64(txn, "y"));
}

TEST_CASE("the map grows when full instead of failing", "[store]") {
  test::TempDir dir;
  WriteStore st(dir / "store", size_t{1} << 20);
  // 3 MiB of values in batches exceeds the 1 MiB initial map: transact must grow it.
  Bytes big(32 * 1024, 0x5a);
  for (int batch = 0; batch < 3; ++batch) {
    st.transact([&](WriteTxn& txn) {
      for (int i = 0; i < 32; ++i) {
        txn.put(Db::meta, as_bytes("blob" + std::to_string(batch * 32 + i)), big);
      }
    });
  }
  ReadTxn txn = st.begin_read();
  CHECK(txn.get(Db::meta, as_bytes("blob95"))->size() == big.size());
}

TEST_CASE("a second writer is refused while the first holds the store", "[store]") {
  test::TempDir dir;
  WriteStore first(dir / "store");
  CHECK_THROWS_WITH(WriteStore(dir / "store"), Catch::Contains("another pkirepo-signer"));
}

TEST_CASE("a read-only store needs an existing store", "[store]") {
  test::TempDir dir;
  CHECK_THROWS_WITH(ReadStore(dir / "nothing"), Catch::Contains("no store here"));
}

TEST_CASE("a new store that never commits leaves nothing behind", "[store]") {
  test::TempDir dir;
  SECTION("nothing committed: the directory is gone") {
    { WriteStore st(dir / "store"); }
    CHECK_FALSE(std::filesystem::exists(dir / "store"));
  }
  SECTION("a failed first transaction counts as nothing") {
    {
      WriteStore st(dir / "store");
      CHECK_THROWS(st.transact([](WriteTxn&) { throw std::runtime_error("refused"); }));
    }
    CHECK_FALSE(std::filesystem::exists(dir / "store"));
  }
  SECTION("one commit keeps it, with its schema version") {
    {
      WriteStore st(dir / "store");
      st.transact([](WriteTxn& txn) { put_meta_u64(txn, "x", 1); });
    }
    ReadStore rs(dir / "store");
    ReadTxn txn = rs.begin_read();
    CHECK(get_meta_u64(txn, meta::kSchemaVersion) == kSchemaVersion);
    CHECK(get_meta_u64(txn, "x") == 1u);
  }
  SECTION("an existing store is never removed, even when nothing is committed") {
    {
      WriteStore st(dir / "store");
      st.transact([](WriteTxn& txn) { put_meta_u64(txn, "x", 1); });
    }
    { WriteStore again(dir / "store"); }
    CHECK(std::filesystem::exists(dir / "store" / "data.mdb"));
  }
}

TEST_CASE("a revoked record enters the revocation index, and a later good one does not remove it",
          "[store]") {
  test::TempDir dir;
  WriteStore st(dir.path());
  Sha1Digest issuer{};
  issuer.fill(0x42);
  const Bytes serial = {0x51, 0x02};
  CertRecord c;
  c.ca_id = "tls";
  c.not_after = 1820000000;
  st.transact([&](WriteTxn& txn) { put_cert(txn, issuer, serial, c); });
  {
    ReadTxn txn = st.begin_read();
    CHECK_FALSE(get_revocation(txn, cert_key(issuer, serial)));
  }
  c.status = CertStatus::revoked;
  c.reason = CrlReason::superseded;
  c.revocation_time = 1800000000;
  st.transact([&](WriteTxn& txn) { put_cert(txn, issuer, serial, c); });
  c.status = CertStatus::good;
  st.transact([&](WriteTxn& txn) { put_cert(txn, issuer, serial, c); });
  ReadTxn txn = st.begin_read();
  auto r = get_revocation(txn, cert_key(issuer, serial));
  REQUIRE(r);
  CHECK(r->reason == CrlReason::superseded);
  CHECK(r->revocation_time == 1800000000);
}

TEST_CASE("a store from before the revocation index opens read-only, the index empty", "[store]") {
  test::TempDir dir;
  {
    WriteStore st(dir.path());
    st.transact([](WriteTxn& txn) { put_meta_u64(txn, "x", 1); });
  }
  {
    // Drop the database as if the store had been written before it existed.
    MDB_env* env = nullptr;
    REQUIRE(mdb_env_create(&env) == 0);
    mdb_env_set_maxdbs(env, 16);
    REQUIRE(mdb_env_open(env, dir.path().c_str(), 0, 0640) == 0);
    MDB_txn* txn = nullptr;
    REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
    MDB_dbi dbi = 0;
    REQUIRE(mdb_dbi_open(txn, "revocations", 0, &dbi) == 0);
    REQUIRE(mdb_drop(txn, dbi, 1) == 0);
    REQUIRE(mdb_txn_commit(txn) == 0);
    mdb_env_close(env);
  }
  ReadStore st(dir.path());
  CHECK_FALSE(st.env().has(Db::revocations));
  ReadTxn txn = st.begin_read();
  CHECK_FALSE(get_revocation(txn, Bytes(24, 1)));
  Cursor c(txn, Db::revocations);
  CHECK_FALSE(c.first());
  CHECK_FALSE(c.seek(Bytes(24, 1)));
}
