#include <catch2/catch.hpp>
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
