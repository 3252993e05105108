#include "pki_fixture.h"

#include <openssl/ocsp.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "x509/der.h"
#include "x509/key.h"

namespace pkirepo::test {
namespace {

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    throw std::runtime_error("extension failed");
  }
}

X509Ptr make_cert(const std::string& cn, EVP_PKEY* subject_key, X509* issuer, EVP_PKEY* issuer_key,
                  long serial, bool ca) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  Asn1TimePtr nb = make_x509_time(kT0 - 86400);
  Asn1TimePtr na = make_x509_time(kT0 + 365 * 86400);
  X509_set1_notBefore(cert.get(), nb.get());
  X509_set1_notAfter(cert.get(), na.get());
  X509_set_pubkey(cert.get(), subject_key);
  X509* iss = issuer ? issuer : cert.get();
  if (ca) {
    add_ext(cert.get(), iss, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert.get(), iss, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  } else {
    add_ext(cert.get(), iss, NID_key_usage, "critical,digitalSignature");
    add_ext(cert.get(), iss, NID_ext_key_usage, "OCSPSigning");
    add_ext(cert.get(), iss, NID_id_pkix_OCSP_noCheck, "");
  }
  if (X509_sign(cert.get(), issuer_key, signature_digest(issuer_key)) <= 0) {
    throw std::runtime_error("X509_sign failed: " + openssl_error());
  }
  return cert;
}

}  // namespace

Bytes serial_of(uint64_t n) {
  Bytes out;
  for (int s = 56; s >= 0; s -= 8) {
    auto b = static_cast<uint8_t>(n >> s);
    if (!out.empty() || b != 0) {
      out.push_back(b);
    }
  }
  return out;
}

FixtureCa make_fixture_ca(const std::string& id, const std::string& algorithm) {
  FixtureCa ca;
  ca.id = id;
  ca.key = generate_key(algorithm);
  ca.cert = make_cert(id, ca.key.get(), nullptr, ca.key.get(), 1, true);
  ca.responder_key = generate_key("ec-p256");
  ca.responder_cert =
      make_cert(id + " OCSP", ca.responder_key.get(), ca.cert.get(), ca.key.get(), 2, false);
  return ca;
}

namespace {
OcspCertIdPtr make_cert_id(const FixtureCa& ca, ByteView serial, CertIdHash hash) {
  BignumPtr bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  Asn1IntegerPtr s(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  OcspCertIdPtr id(OCSP_cert_id_new(cert_id_md(hash), X509_get_subject_name(ca.cert.get()),
                                    X509_get0_pubkey_bitstr(ca.cert.get()), s.get()));
  if (!id) {
    throw std::runtime_error("OCSP_cert_id_new failed");
  }
  return id;
}
}  // namespace

store::OcspRecord sign_ocsp(const FixtureCa& ca, ByteView serial, CertIdHash hash,
                            const SignedStatus& status, UnixTime this_update,
                            UnixTime next_update) {
  OcspCertIdPtr id = make_cert_id(ca, serial, hash);
  OcspBasicRespPtr basic(OCSP_BASICRESP_new());
  Asn1GeneralizedTimePtr tu = make_generalized_time(this_update);
  Asn1GeneralizedTimePtr nu = make_generalized_time(next_update);
  Asn1GeneralizedTimePtr rt = make_generalized_time(status.revoked_at);
  bool revoked = status.status == store::CertStatus::revoked;
  if (OCSP_basic_add1_status(basic.get(), id.get(),
                             revoked ? V_OCSP_CERTSTATUS_REVOKED : V_OCSP_CERTSTATUS_GOOD,
                             reason_code(status.reason), revoked ? rt.get() : nullptr, tu.get(),
                             nu.get()) == nullptr) {
    throw std::runtime_error("OCSP_basic_add1_status failed");
  }
  if (OCSP_basic_sign(basic.get(), ca.responder_cert.get(), ca.responder_key.get(), EVP_sha256(),
                      nullptr, OCSP_RESPID_KEY) != 1) {
    throw std::runtime_error("OCSP_basic_sign failed: " + openssl_error());
  }
  OcspResponsePtr resp(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
  store::OcspRecord r;
  r.status = status.status;
  r.this_update = this_update;
  r.next_update = next_update;
  r.der = to_der(resp.get());
  r.etag = "\"" + to_hex(sha256(r.der)) + "\"";
  return r;
}

Bytes make_request(const FixtureCa& ca, const std::vector<Bytes>& serials, CertIdHash hash,
                   size_t nonce_len) {
  OcspRequestPtr req(OCSP_REQUEST_new());
  for (const Bytes& serial : serials) {
    OcspCertIdPtr id = make_cert_id(ca, serial, hash);
    if (OCSP_request_add0_id(req.get(), id.get()) == nullptr) {
      throw std::runtime_error("OCSP_request_add0_id failed");
    }
    (void)id.release();  // add0: the request owns it now
  }
  if (nonce_len != 0) {
    Bytes nonce(nonce_len);
    RAND_bytes(nonce.data(), static_cast<int>(nonce.size()));
    OCSP_request_add1_nonce(req.get(), nonce.data(), static_cast<int>(nonce.size()));
  }
  return to_der(req.get());
}

void put_ca(store::WriteStore& store, const FixtureCa& ca) {
  store::CaRecord r;
  r.id = ca.id;
  r.role = CaRole::issuing;
  r.cert_der = to_der(ca.cert.get());
  r.responder_cert_der = to_der(ca.responder_cert.get());
  r.created = kT0 - 86400;
  store.transact([&](store::WriteTxn& txn) { store::put_ca(txn, r); });
}

void put_response(store::WriteStore& store, const FixtureCa& ca, ByteView serial,
                  const SignedStatus& status, UnixTime this_update, UnixTime next_update) {
  for (CertIdHash h : {CertIdHash::sha1, CertIdHash::sha256}) {
    store::OcspRecord rec = sign_ocsp(ca, serial, h, status, this_update, next_update);
    Bytes key = store::ocsp_key(h, issuer_name_hash(ca.cert.get(), h),
                                issuer_key_hash(ca.cert.get(), h), serial);
    // As the signer stores them: the head, and the responder certificate once (OcspTail).
    const Bytes cert = to_der(ca.responder_cert.get());
    const store::OcspTail tail = store::make_ocsp_tail(cert);
    Bytes value;
    store::encode_into(rec, &tail, value);
    if (value.size() + cert.size() != encode(rec).size()) {
      throw std::runtime_error("fixture: the response does not end with the responder cert");
    }
    store.transact([&](store::WriteTxn& txn) {
      store::put_ocsp_tail(txn, tail);
      txn.put(store::Db::ocsp, key, value);
    });
  }
}

}  // namespace pkirepo::test
