// CRLs from `run`: checked with the openssl CLI (crl -verify, verify -crl_check) and with
// OpenSSL's parser for the fields RFC 5280 5 and BR 7.2 ask for; sharding; the safety checks.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "run_support.h"
#include "signer/crl_signing.h"
#include "store/meta_keys.h"
#include "store/revocation_index.h"
#include "x509/der.h"
#include "x509/key.h"

using namespace pkirepo;
using namespace pkirepo::test;

namespace {

// Serials (lowercase hex) and parsed entries of a CRL.
struct CrlView {
  X509CrlPtr crl;
  std::set<std::string> serials;
};

CrlView view_crl(ByteView der) {
  CrlView v;
  v.crl = parse_crl_der(der);
  REQUIRE(v.crl);
  STACK_OF(X509_REVOKED)* entries = X509_CRL_get_REVOKED(v.crl.get());
  for (int i = 0; entries != nullptr && i < sk_X509_REVOKED_num(entries); ++i) {
    v.serials.insert(
        to_hex(serial_bytes(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(entries, i)))));
  }
  return v;
}

X509_REVOKED* find_entry(const CrlView& v, const std::string& serial) {
  STACK_OF(X509_REVOKED)* entries = X509_CRL_get_REVOKED(v.crl.get());
  for (int i = 0; entries != nullptr && i < sk_X509_REVOKED_num(entries); ++i) {
    X509_REVOKED* e = sk_X509_REVOKED_value(entries, i);
    if (to_hex(serial_bytes(X509_REVOKED_get0_serialNumber(e))) == serial) {
      return e;
    }
  }
  return nullptr;
}

std::string chain_pem(const RunRepo& repo) {
  std::string both = read_text_file(repo.ca_pem("tls")) + read_text_file(repo.ca_pem("root"));
  std::filesystem::path p = repo.dir / "chain.pem";
  write_text(p, both);
  return p.string();
}

// The CCADB list of a CA's CRL URLs, as the store keeps it beside the CRLs.
nlohmann::json crl_urls(const RunRepo& repo, const std::string& ca_id) {
  store::ReadStore st(repo.store_dir());
  store::ReadTxn txn = st.begin_read();
  auto list = txn.get(store::Db::crls, store::crl_list_key(ca_id));
  REQUIRE(list);
  store::CrlRecord list_rec;
  REQUIRE(store::decode(*list, list_rec));
  return nlohmann::json::parse(list_rec.der.begin(), list_rec.der.end());
}

}  // namespace

TEST_CASE(
    "run signs per-CA v2 CRLs that openssl verifies, listing exactly the revoked, unexpired "
    "serials",
    "[run][crl]") {
  const UnixTime now = wall_clock();
  RunRepo repo(now);
  const std::string good = repo.issue("good.example.org");
  const std::string compromised = repo.issue("compromised.example.org");
  const std::string plain = repo.issue("unspecified.example.org");
  REQUIRE(repo.signer({"revoke", "--ca", "tls", "--serial", compromised, "--reason",
                       "keyCompromise", "--invalidity-date", rfc3339(now - 7200)})
              .exit_code == 0);
  REQUIRE(repo.signer({"revoke", "--ca", "tls", "--serial", plain, "--reason", "unspecified"})
              .exit_code == 0);
  // Revoked certificates that expired: more than 24 hours ago (gone), less (still listed).
  auto long_gone =
      add_synthetic_certs(repo.store_dir(), "tls", 3, 1, now - 400 * 86400, now - 2 * 86400);
  auto just_expired =
      add_synthetic_certs(repo.store_dir(), "tls", 2, 1, now - 400 * 86400, now - 3600);

  RunResult r = repo.signer({"run"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);

  auto rec = crl_record(repo.store_dir(), "tls", 0);
  REQUIRE(rec);
  CHECK(rec->crl_number == 1);
  CHECK(rec->next_update - rec->this_update == 7 * 86400);
  CHECK(rec->etag == "\"" + to_hex(sha256(rec->der)) + "\"");
  CrlView v = view_crl(rec->der);
  std::set<std::string> expected{compromised, plain, just_expired[0], just_expired[1]};
  CHECK(v.serials == expected);
  CHECK(rec->entries == 4);
  CHECK(X509_CRL_get_version(v.crl.get()) == X509_CRL_VERSION_2);

  // RFC 5280 5.2, BR 7.2.2: AKI and cRLNumber present, non-critical; no IDP on a full CRL.
  int crit = -1;
  AuthorityKeyIdPtr aki(static_cast<AUTHORITY_KEYID*>(
      X509_CRL_get_ext_d2i(v.crl.get(), NID_authority_key_identifier, &crit, nullptr)));
  CHECK(aki);
  CHECK(crit == 0);
  Asn1IntegerPtr number(static_cast<ASN1_INTEGER*>(
      X509_CRL_get_ext_d2i(v.crl.get(), NID_crl_number, &crit, nullptr)));
  REQUIRE(number);
  CHECK(ASN1_INTEGER_get(number.get()) == 1);
  CHECK(crit == 0);
  CHECK(X509_CRL_get_ext_by_NID(v.crl.get(), NID_issuing_distribution_point, -1) < 0);

  // reasonCode: keyCompromise present; "unspecified" expressed by omission; invalidityDate.
  X509_REVOKED* kc = find_entry(v, compromised);
  REQUIRE(kc);
  Asn1EnumeratedPtr reason(
      static_cast<ASN1_ENUMERATED*>(X509_REVOKED_get_ext_d2i(kc, NID_crl_reason, &crit, nullptr)));
  REQUIRE(reason);
  CHECK(ASN1_ENUMERATED_get(reason.get()) == 1);
  CHECK(X509_REVOKED_get_ext_by_NID(kc, NID_invalidity_date, -1) >= 0);
  X509_REVOKED* un = find_entry(v, plain);
  REQUIRE(un);
  CHECK(X509_REVOKED_get_ext_by_NID(un, NID_crl_reason, -1) < 0);

  std::string crl_pem = write_crl_pem(repo.dir / "tls.crl.pem", rec->der);
  auto verify =
      run({"openssl", "crl", "-in", crl_pem, "-CAfile", chain_pem(repo), "-noout", "-verify"});
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);
  CHECK_THAT(verify.err + verify.out, Catch::Contains("verify OK"));

  // openssl verify -crl_check: the revoked certificate is rejected, the good one accepted.
  auto root_crl = crl_record(repo.store_dir(), "root", 0);
  REQUIRE(root_crl);
  std::string crls = read_text_file(crl_pem) +
                     read_text_file(write_crl_pem(repo.dir / "root.crl.pem", root_crl->der));
  write_text(repo.dir / "all.crl.pem", crls);
  auto check = [&](const std::string& serial) {
    return run({"openssl", "verify", "-crl_check_all", "-CRLfile",
                (repo.dir / "all.crl.pem").string(), "-CAfile", repo.ca_pem("root"), "-untrusted",
                repo.ca_pem("tls"), repo.cert_pem(serial).string()});
  };
  auto ok = check(good);
  INFO(ok.out << ok.err);
  CHECK(ok.exit_code == 0);
  auto bad = check(compromised);
  INFO(bad.out << bad.err);
  CHECK(bad.exit_code != 0);
  CHECK_THAT(bad.out + bad.err, Catch::Contains("certificate revoked"));

  // The root's CRL of CA certificates: a year (crl.root_validity), nothing revoked, no entries.
  CHECK(root_crl->next_update - root_crl->this_update == 365 * 86400);
  CHECK(root_crl->entries == 0);

  // The CCADB list of the CA's CRL URLs.
  CHECK(crl_urls(repo, "tls") == nlohmann::json::array({"http://pki.test.example/crl/tls.crl"}));
}

TEST_CASE("revoking a CA certificate re-signs the root's CRL and OCSP response at once",
          "[run][crl][publish]") {
  const UnixTime now = wall_clock();
  RunRepo repo(now);
  const std::string subscriber = repo.issue("before.example.net");
  REQUIRE(repo.signer({"run"}).exit_code == 0);
  X509Ptr tls = parse_cert_der(ca_record(repo.store_dir(), "tls")->cert_der);
  const std::string serial = serial_hex(tls.get());
  RunResult r = repo.signer(
      {"revoke", "--ca", "root", "--serial", serial, "--reason", "cACompromise", "--publish"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto rec = crl_record(repo.store_dir(), "root", 0);
  REQUIRE(rec);
  CHECK(rec->crl_number == 2);
  CrlView v = view_crl(rec->der);
  CHECK(v.serials == std::set<std::string>{serial});
  auto text = run({"openssl", "crl", "-in", write_crl_pem(repo.dir / "root.crl.pem", rec->der),
                   "-noout", "-text"});
  CHECK_THAT(text.out, Catch::Contains("CA Compromise"));
  auto ocsp = ocsp_record(repo.store_dir(), "root", serial, CertIdHash::sha256);
  REQUIRE(ocsp);
  CHECK(ocsp->status == store::CertStatus::revoked);
  // The CA compromise blocks the CA's key, the CA issues nothing more, and incident select
  // lists the subscriber certificates that must follow (BR 4.9.1.2).
  CHECK_THAT(repo.signer({"audit", "export"}).out,
             Catch::Contains("\"spki_sha256\":\"" + to_hex(spki_sha256(tls.get())) + "\""));
  RunResult more = repo.signer({"issue", "--ca", "tls", "--profile", "tls-server", "--csr",
                                (repo.dir.path() / "csr-before.example.net.pem").string()});
  CHECK(more.exit_code != 0);
  CHECK_THAT(more.err, Catch::Contains("revoked"));
  RunResult follow = repo.signer({"incident", "select", "--ca", "tls", "--status", "good"});
  CHECK(follow.exit_code == 0);
  CHECK_THAT(follow.out, Catch::Contains(subscriber));
}

TEST_CASE("sharded CRLs carry a critical IDP matching each certificate's CDP", "[run][crl]") {
  const UnixTime now = wall_clock();
  RunRepo repo(now, "\n[crl]\nshards = 3\nnext_crl_publish = true\n");
  std::vector<std::string> serials;
  for (int i = 0; i < 6; ++i) {
    serials.push_back(repo.issue("shard" + std::to_string(i) + ".example.net"));
  }
  REQUIRE(repo.signer({"revoke", "--ca", "tls", "--serial", serials[0], "--reason", "superseded"})
              .exit_code == 0);
  RunResult r = repo.signer({"run"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("CRLs 4 signed"));  // 3 shards + the root's full CRL

  std::string all;
  for (int s = 0; s < 3; ++s) {
    auto rec = crl_record(repo.store_dir(), "tls", s);
    REQUIRE(rec);
    std::string pem = write_crl_pem(repo.dir / ("tls-" + std::to_string(s) + ".crl.pem"), rec->der);
    all += read_text_file(pem);
    auto text = run({"openssl", "crl", "-in", pem, "-noout", "-text"});
    INFO(text.out);
    CHECK_THAT(text.out, Catch::Contains("X509v3 Issuing Distribution Point: critical"));
    CHECK_THAT(text.out, Catch::Contains("URI:http://pki.test.example/crl/tls/" +
                                         std::to_string(s) + ".crl"));
    CHECK_THAT(text.out, Catch::Contains("1.3.6.1.4.1.311.21.4"));  // Next CRL Publish
  }
  auto root_crl = crl_record(repo.store_dir(), "root", 0);
  all += read_text_file(write_crl_pem(repo.dir / "root.crl.pem", root_crl->der));
  write_text(repo.dir / "all.crl.pem", all);
  for (size_t i = 0; i < serials.size(); ++i) {
    auto v = run({"openssl", "verify", "-crl_check", "-CRLfile",
                  (repo.dir / "all.crl.pem").string(), "-CAfile", repo.ca_pem("root"), "-untrusted",
                  repo.ca_pem("tls"), repo.cert_pem(serials[i]).string()});
    INFO(serials[i] << ": " << v.out << v.err);
    CHECK((v.exit_code == 0) == (i != 0));
  }

  CHECK(crl_urls(repo, "tls") == nlohmann::json::array({"http://pki.test.example/crl/tls/0.crl",
                                                        "http://pki.test.example/crl/tls/1.crl",
                                                        "http://pki.test.example/crl/tls/2.crl"}));
}

TEST_CASE("a revoked serial stays revoked when its record says good, and the CRL never drops it",
          "[run][crl]") {
  const UnixTime now = wall_clock();
  RunRepo repo(now);
  const std::string serial = repo.issue("dropped.example.org");
  REQUIRE(repo.signer({"revoke", "--ca", "tls", "--serial", serial, "--reason", "superseded"})
              .exit_code == 0);
  REQUIRE(repo.signer({"run"}).exit_code == 0);
  auto before = crl_record(repo.store_dir(), "tls", 0);
  REQUIRE(before);
  CHECK(before->entries == 1);
  {
    // Simulate a bug or a tampered store: the certificate is "good" again, and the CRL number
    // counter went backwards.
    store::WriteStore st(repo.store_dir());
    X509Ptr tls = parse_cert_der(ca_record(repo.store_dir(), "tls")->cert_der);
    Bytes s;
    REQUIRE(parse_serial_hex(serial, s));
    st.transact([&](store::WriteTxn& txn) {
      auto rec = store::get_cert(txn, key_id_sha1(tls.get()), s);
      rec->status = store::CertStatus::good;
      store::put_cert(txn, key_id_sha1(tls.get()), s, *rec);
      store::put_meta_u64(txn, store::meta::crl_number("tls", 0), 0);
    });
  }
  // The revocation index still knows: the run keeps the serial revoked and says so.
  RunResult r = repo.signer({"run"}, now + 60);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("serial " + serial +
                                    " is revoked in the revocation index but its certificate "
                                    "record says good"));
  CHECK(crl_record(repo.store_dir(), "tls", 0)->der == before->der);
  RunResult status = repo.signer({"status"}, now + 60);
  CHECK(status.exit_code == 1);
  CHECK_THAT(status.out, Catch::Contains("1 certificate records say good while the revocation "
                                         "index says revoked"));

  // Deeper damage: the index entry is gone too. The CRL safety check still refuses to drop it.
  {
    store::WriteStore st(repo.store_dir());
    X509Ptr tls = parse_cert_der(ca_record(repo.store_dir(), "tls")->cert_der);
    Bytes s;
    REQUIRE(parse_serial_hex(serial, s));
    st.transact([&](store::WriteTxn& txn) {
      REQUIRE(txn.del(store::Db::revocations, store::cert_key(key_id_sha1(tls.get()), s)));
    });
  }
  r = repo.signer({"run"}, now + 120);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("CRL shard 0 refused: it would drop serial " + serial));
  auto after = crl_record(repo.store_dir(), "tls", 0);
  CHECK(after->crl_number == before->crl_number);
  CHECK(after->der == before->der);
}

TEST_CASE("CRL safety checks refuse a CRL that goes backwards or is too big", "[crl]") {
  EvpPkeyPtr key = generate_key("ec-p256");
  X509Ptr ca(X509_new());
  X509_set_version(ca.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(ca.get()), 1);
  X509_NAME* name = X509_get_subject_name(ca.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Safety CA"), -1, -1, 0);
  X509_set_issuer_name(ca.get(), name);
  X509_gmtime_adj(X509_getm_notBefore(ca.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(ca.get()), 86400);
  X509_set_pubkey(ca.get(), key.get());
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca.get(), ca.get(), nullptr, nullptr, 0);
  X509ExtensionPtr ski(X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_key_identifier, "hash"));
  REQUIRE(ski);
  X509_add_ext(ca.get(), ski.get(), -1);
  REQUIRE(X509_sign(ca.get(), key.get(), EVP_sha256()) > 0);

  auto make = [&](uint64_t number, UnixTime this_update, std::vector<signer::CrlEntry> entries) {
    signer::CrlSpec spec;
    spec.issuer = ca.get();
    spec.key = key.get();
    spec.crl_number = number;
    spec.this_update = this_update;
    spec.next_update = this_update + 86400;
    spec.entries = std::move(entries);
    X509CrlPtr crl = signer::build_crl(spec);
    store::CrlRecord rec;
    rec.crl_number = number;
    rec.this_update = this_update;
    rec.next_update = spec.next_update;
    rec.der = to_der(crl.get());
    return rec;
  };
  const UnixTime t = 1'800'000'000;
  const UnixTime not_after = t + 86400 * 30;
  signer::CrlEntry e{{0x11, 0x22}, t - 10, CrlReason::key_compromise, 0, not_after + 86400};
  store::CrlRecord prev = make(5, t, {e});
  auto lookup = [&](ByteView) -> std::optional<UnixTime> { return not_after; };

  struct Case {
    const char* what;
    uint64_t number;
    UnixTime this_update;
    bool keep_entry;
    const char* refusal;
  };
  const Case cases[] = {
      {"a proper successor", 6, t + 1, true, ""},
      {"same thisUpdate", 6, t, true, "is not later than the previous CRL's"},
      {"older thisUpdate", 6, t - 5, true, "is not later than the previous CRL's"},
      {"same number", 5, t + 1, true, "is not higher than the previous CRL's"},
      {"dropped unexpired serial", 6, t + 1, false, "it would drop serial 1122"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      std::vector<signer::CrlEntry> entries;
      if (c.keep_entry) {
        entries.push_back(e);
      }
      store::CrlRecord next = make(c.number, c.this_update, entries);
      std::string why = signer::check_crl_safety(&prev, next, ca.get(), entries, lookup);
      if (std::string(c.refusal).empty()) {
        CHECK(why.empty());
      } else {
        CHECK_THAT(why, Catch::Contains(c.refusal));
      }
    }
  }
  SECTION("an expired serial may leave") {
    store::CrlRecord next = make(6, t + 1, {});
    auto expired = [&](ByteView) -> std::optional<UnixTime> { return t - 1; };
    CHECK(signer::check_crl_safety(&prev, next, ca.get(), {}, expired).empty());
  }
  SECTION("over 10 MB") {
    store::CrlRecord next = make(6, t + 1, {e});
    next.der.resize(signer::kMaxCrlBytes + 1);
    CHECK_THAT(signer::check_crl_safety(&prev, next, ca.get(), {e}, lookup),
               Catch::Contains("10 MB"));
  }
  SECTION("a bad signature") {
    store::CrlRecord next = make(6, t + 1, {e});
    next.der[next.der.size() - 3] ^= 0x01;
    CHECK_THAT(signer::check_crl_safety(&prev, next, ca.get(), {e}, lookup),
               Catch::Contains("does not verify") || Catch::Contains("does not parse"));
  }
}

TEST_CASE(
    "revoke --publish builds the CRL from the revocation index once complete, and from a "
    "walk on an older store until run completes it",
    "[run][crl]") {
  const UnixTime now = wall_clock();
  RunRepo repo(now);
  const std::string a = repo.issue("a.example.org");
  const std::string b = repo.issue("b.example.org");
  const std::string c = repo.issue("c.example.org");
  repo.issue("d.example.org");
  REQUIRE(
      repo.signer({"revoke", "--ca", "tls", "--serial", a, "--reason", "superseded"}).exit_code ==
      0);
  REQUIRE(repo.signer({"run"}).exit_code == 0);

  auto crl_serials = [&]() {
    auto rec = crl_record(repo.store_dir(), "tls", 0);
    REQUIRE(rec);
    return view_crl(rec->der).serials;
  };
  CHECK(crl_serials() == std::set<std::string>{a});

  // An older store: the meta mark is gone and so is a's index record; its certs record alone
  // says revoked. A CRL built from the index would drop a, so revoke --publish walks.
  {
    store::WriteStore st(repo.store_dir());
    X509Ptr tls = parse_cert_der(ca_record(repo.store_dir(), "tls")->cert_der);
    Bytes s;
    REQUIRE(parse_serial_hex(a, s));
    st.transact([&](store::WriteTxn& txn) {
      REQUIRE(txn.del(store::Db::meta, as_bytes(store::meta::kRevocationIndex)));
      REQUIRE(txn.del(store::Db::revocations, store::cert_key(key_id_sha1(tls.get()), s)));
    });
  }
  RunResult r = repo.signer(
      {"revoke", "--ca", "tls", "--serial", b, "--reason", "superseded", "--publish"}, now + 60);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(crl_serials() == std::set<std::string>{a, b});

  // The next run adds the missing record and marks the index complete.
  r = repo.signer({"run"}, now + 120);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("revocation index complete (1 revoked certificates added)"));
  {
    store::ReadStore st(repo.store_dir());
    store::ReadTxn txn = st.begin_read();
    CHECK(store::revocation_index_complete(txn));
  }
  r = repo.signer({"run"}, now + 180);
  CHECK_THAT(r.out, !Catch::Contains("revocation index complete"));

  // From the index: all three, and the certificate never revoked is absent.
  r = repo.signer(
      {"revoke", "--ca", "tls", "--serial", c, "--reason", "keyCompromise", "--publish"},
      now + 240);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(crl_serials() == std::set<std::string>{a, b, c});
  CHECK(crl_record(repo.store_dir(), "tls", 0)->entries == 3);
}
