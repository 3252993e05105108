#include <catch2/catch.hpp>
#include <map>
#include <sstream>

#include "audit/audit_log.h"
#include "store/store.h"
#include "support/test_support.h"

using namespace pkirepo;
using namespace pkirepo::store;

namespace {
void fill(WriteStore& st, int n) {
  st.transact([&](WriteTxn& txn) {
    for (int i = 0; i < n; ++i) {
      audit::append(txn, 1800000000 + i, "alice", "certificate_issued",
                    {{"serial", std::to_string(i)}});
    }
  });
}
}  // namespace

TEST_CASE("an intact audit chain verifies and exports oldest first", "[audit]") {
  test::TempDir dir;
  WriteStore st(dir / "store");
  fill(st, 5);
  ReadTxn txn = st.begin_read();
  auto r = audit::verify(txn);
  CHECK(r.ok);
  CHECK(r.records == 5);
  CHECK(audit::checkpoint(txn).count == 5);
  std::ostringstream out;
  audit::export_jsonl(txn, out);
  auto first_line = out.str().substr(0, out.str().find('\n'));
  auto j = nlohmann::json::parse(first_line);
  CHECK(j["seq"] == 1);
  CHECK(j["operator"] == "alice");
  CHECK(j["prev"] == std::string(64, '0'));
}

TEST_CASE("audit verify finds an edited, a deleted and a truncated record", "[audit]") {
  test::TempDir dir;
  WriteStore st(dir / "store");
  fill(st, 5);

  SECTION("one byte edited") {
    st.transact([](WriteTxn& txn) {
      std::string v(reinterpret_cast<const char*>(txn.get(Db::audit, audit_key(3))->data()),
                    txn.get(Db::audit, audit_key(3))->size());
      v[v.find("alice")] = 'A';
      txn.put(Db::audit, audit_key(3), as_bytes(v));
    });
    ReadTxn txn = st.begin_read();
    auto r = audit::verify(txn);
    CHECK_FALSE(r.ok);
    CHECK(r.first_bad == 3);
    CHECK_THAT(r.reason, Catch::Contains("modified"));
  }
  SECTION("a record deleted in the middle") {
    st.transact([](WriteTxn& txn) { txn.del(Db::audit, audit_key(2)); });
    ReadTxn txn = st.begin_read();
    auto r = audit::verify(txn);
    CHECK_FALSE(r.ok);
    CHECK(r.first_bad == 2);
  }
  SECTION("the newest record deleted") {
    st.transact([](WriteTxn& txn) { txn.del(Db::audit, audit_key(5)); });
    ReadTxn txn = st.begin_read();
    auto r = audit::verify(txn);
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.reason, Catch::Contains("newest records deleted"));
  }
}

namespace {
// Every key/value of the audit and meta databases.
std::map<std::string, std::map<Bytes, Bytes>> audit_state(WriteStore& st) {
  std::map<std::string, std::map<Bytes, Bytes>> out;
  ReadTxn txn = st.begin_read();
  for (Db db : {Db::meta, Db::audit}) {
    auto& m = out[db_name(db)];
    Cursor c(txn, db);
    for (bool ok = c.first(); ok; ok = c.next()) {
      m[Bytes(c.key().begin(), c.key().end())] = Bytes(c.value().begin(), c.value().end());
    }
  }
  return out;
}

void append_at(WriteStore& st, UnixTime now) {
  st.transact([&](WriteTxn& txn) {
    audit::append(txn, now, "bob", "certificate_issued", {{"serial", "ff"}});
  });
}
}  // namespace

TEST_CASE("append refuses a time before the newest record's and changes nothing", "[audit]") {
  test::TempDir dir;
  WriteStore st(dir / "store");
  fill(st, 5);  // records 1..5 at 1800000000..1800000004
  const UnixTime newest = 1800000004;
  const std::string refusal = "the clock (" + rfc3339(newest - 1) + ") is behind audit record 5 (" +
                              rfc3339(newest) +
                              "): refusing to write an audit record that goes back in time";

  SECTION("with the head time cached in meta") {
    const auto before = audit_state(st);
    CHECK_THROWS_WITH(append_at(st, newest - 1), refusal);
    CHECK(audit_state(st) == before);
    {
      ReadTxn txn = st.begin_read();
      CHECK_THROWS_WITH(audit::check_clock(txn, newest - 1), refusal);
      CHECK_NOTHROW(audit::check_clock(txn, newest));
    }
  }
  SECTION("a store without the cache (written before it existed) reads the newest record") {
    st.transact([](WriteTxn& txn) { txn.del(Db::meta, as_bytes("audit_head_time")); });
    const auto before = audit_state(st);
    CHECK_THROWS_WITH(append_at(st, newest - 1), refusal);
    CHECK(audit_state(st) == before);
  }
  SECTION("a stale cache (another record's) is not trusted") {
    st.transact([](WriteTxn& txn) {
      Bytes stale = be64(3);
      const Bytes t = be64(1700000000);
      stale.insert(stale.end(), t.begin(), t.end());
      txn.put(Db::meta, as_bytes("audit_head_time"), stale);
    });
    const auto before = audit_state(st);
    CHECK_THROWS_WITH(append_at(st, newest - 1), refusal);
    CHECK(audit_state(st) == before);
  }
  SECTION("the same second, and later, are appended") {
    append_at(st, newest);
    append_at(st, newest + 60);
    ReadTxn txn = st.begin_read();
    CHECK(audit::verify(txn).ok);
    CHECK(audit::checkpoint(txn).count == 7);
    auto head = audit::head_time(txn);
    REQUIRE(head);
    CHECK(head->seq == 7);
    CHECK(head->time == newest + 60);
  }
  SECTION("a refused record aborts every change in its transaction") {
    const auto before = audit_state(st);
    CHECK_THROWS(st.transact([&](WriteTxn& txn) {
      txn.put(Db::meta, as_bytes("last_run"), be64(42));
      audit::append(txn, newest + 10, "bob", "crl_signed", {});
      audit::append(txn, newest + 9, "bob", "crl_signed", {});
    }));
    CHECK(audit_state(st) == before);
  }
}

TEST_CASE("audit verify reports a record earlier than its predecessor", "[audit]") {
  test::TempDir dir;
  WriteStore st(dir / "store");
  fill(st, 3);  // records 1..3 at 1800000000..1800000002
  // Record 4, written by hand as a build that honoured any PKIREPO_NOW would have: correctly
  // chained and hashed, but a day before record 3.
  st.transact([](WriteTxn& txn) {
    nlohmann::json record = {{"seq", 4},
                             {"time", rfc3339(1800000002 - 86400)},
                             {"operator", "mallory"},
                             {"event", "certificate_issued"},
                             {"details", {{"serial", "0bad"}}},
                             {"prev", to_hex(*txn.get(Db::meta, as_bytes("audit_head")))}};
    const std::string hash = to_hex(sha256(as_bytes(record.dump())));
    record["hash"] = hash;
    txn.put(Db::audit, audit_key(4), as_bytes(record.dump()));
    Bytes head;
    REQUIRE(from_hex(hash, head));
    txn.put(Db::meta, as_bytes("audit_head"), head);
    txn.put(Db::meta, as_bytes("audit_count"), be64(4));
  });
  ReadTxn txn = st.begin_read();
  auto r = audit::verify(txn);
  CHECK_FALSE(r.ok);
  CHECK(r.first_bad == 4);
  CHECK(r.records == 3);
  CHECK(r.reason == "record 4 (" + rfc3339(1800000002 - 86400) + ") is earlier than record 3 (" +
                        rfc3339(1800000002) + "): the audit log goes back in time");
}
