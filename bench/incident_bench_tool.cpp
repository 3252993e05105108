// Helper for bench/incident_bench.sh:
//   incident_bench_tool populate STORE CA_ID COUNT GROUPS NOW_RFC3339
//       adds COUNT real leaf certificates under CA_ID straight into the store, with their index
//       entries as issuance writes them (store::put_new_cert). Certificate i is for
//       host<i>.g<i % GROUPS>.example.com, a key from a pool of 4,096 P-256 keys, valid from
//       NOW-1d for 90 days, issued by the CA's name, and signed by a throwaway Ed25519 key
//       (selection and revocation read a certificate's fields, never check its signature; a
//       bench of a million would otherwise spend its time signing). Prints the serial of the
//       last certificate of group 7 (the one the bench polls the responder for).
#include <openssl/x509v3.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "signer/cert_builder.h"
#include "store/store.h"
#include "x509/cert_info.h"
#include "x509/der.h"
#include "x509/key.h"

using namespace pkirepo;

namespace {

int populate(int argc, char** argv) {
  if (argc != 7) {
    std::cerr << "usage: incident_bench_tool populate STORE CA_ID COUNT GROUPS NOW\n";
    return 2;
  }
  const std::filesystem::path dir = argv[2];
  const std::string ca_id = argv[3];
  const size_t count = std::stoul(argv[4]);
  const size_t groups = std::stoul(argv[5]);
  const auto now = parse_rfc3339(argv[6]);
  if (!now || groups == 0) {
    std::cerr << "NOW: not an RFC 3339 time, or GROUPS 0\n";
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
  X509Ptr issuer = parse_cert_der(ca->cert_der);
  const Sha1Digest key_id = key_id_sha1(issuer.get());
  // Each key's SubjectPublicKeyInfo, copied into certificates field by field (setting an
  // EVP_PKEY costs OpenSSL 3.0 an encoder round trip per certificate).
  // Held in bare certificates, whose accessors give the two fields.
  std::vector<X509Ptr> spkis;
  for (int i = 0; i < 4096; ++i) {
    EvpPkeyPtr key = generate_key("ec-p256");
    X509Ptr holder(X509_new());
    if (!holder || X509_set_pubkey(holder.get(), key.get()) != 1) {
      throw std::runtime_error("X509_set_pubkey failed");
    }
    spkis.push_back(std::move(holder));
  }
  const std::vector<X509ExtensionPtr> fixed =
      signer::build_extensions({{NID_basic_constraints, "critical,CA:FALSE"}}, issuer.get());
  EvpPkeyPtr signing = generate_key("ed25519");
  std::string last_of_group7;
  const size_t batch = 20000;
  for (size_t begin = 0; begin < count; begin += batch) {
    struct Item {
      Bytes serial;
      store::CertRecord rec;
      X509Ptr cert;
    };
    std::vector<Item> items;
    for (size_t i = begin; i < std::min(count, begin + batch); ++i) {
      const std::string name =
          "host" + std::to_string(i) + ".g" + std::to_string(i % groups) + ".example.com";
      X509NamePtr subject = parse_name("CN=" + name);
      signer::CertSpec spec;
      spec.subject = subject.get();
      X509* holder = spkis[i % spkis.size()].get();
      X509_ALGOR* alg = nullptr;
      X509_PUBKEY_get0_param(nullptr, nullptr, nullptr, &alg, X509_get_X509_PUBKEY(holder));
      spec.public_key_algorithm = alg;
      spec.public_key_bits = X509_get0_pubkey_bitstr(holder);
      spec.not_before = *now - 86400;
      spec.not_after = spec.not_before + 90 * 86400;
      spec.serial = signer::random_serial();
      spec.issuer = issuer.get();
      spec.signing_key = signing.get();
      // The SAN as issuance copies it from a request: built once here, added as it is.
      std::unique_ptr<GENERAL_NAMES, decltype(&GENERAL_NAMES_free)> names(GENERAL_NAMES_new(),
                                                                          &GENERAL_NAMES_free);
      GENERAL_NAME* gn = GENERAL_NAME_new();
      ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
      ASN1_STRING_set(ia5, name.data(), static_cast<int>(name.size()));
      GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
      sk_GENERAL_NAME_push(names.get(), gn);
      X509ExtensionPtr san(X509V3_EXT_i2d(NID_subject_alt_name, 0, names.get()));
      for (const X509ExtensionPtr& e : fixed) {
        spec.extra_extensions.push_back(e.get());
      }
      spec.extra_extensions.push_back(san.get());
      Item it;
      it.cert = signer::build_certificate(spec);
      it.serial = spec.serial;
      it.rec.ca_id = ca_id;
      it.rec.not_before = spec.not_before;
      it.rec.not_after = spec.not_after;
      it.rec.issued_at = spec.not_before;
      it.rec.profile = "tls-server";
      it.rec.der = to_der(it.cert.get());
      if (i % groups == 7 % groups) {
        last_of_group7 = to_hex(it.serial);
      }
      items.push_back(std::move(it));
    }
    st.transact([&](store::WriteTxn& txn) {
      for (const Item& it : items) {
        store::put_new_cert(txn, key_id, it.serial, it.rec, it.cert.get());
      }
    });
  }
  std::cout << last_of_group7 << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "populate") {
      return populate(argc, argv);
    }
    std::cerr << "usage: incident_bench_tool populate ...\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "incident_bench_tool: " << e.what() << "\n";
    return 1;
  }
}
