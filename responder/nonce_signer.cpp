#include "responder/nonce_signer.h"

#include <openssl/ocsp.h>

#include <cstring>
#include <iostream>
#include <stdexcept>

#include "pkcs11/engine_key.h"
#include "pkcs11/token_uri.h"
#include "store/store.h"
#include "x509/cert_info.h"
#include "x509/der.h"
#include "x509/key.h"
#include "x509/key_file.h"

namespace pkirepo::responder {

NonceSigner::NonceSigner(const store::Txn& txn, const std::string& secret, const Config& config) {
  for (const store::CaRecord& ca : store::list_cas(txn)) {
    if (ca.responder_cert_der.empty() || ca.responder_key_file.empty()) {
      continue;
    }
    X509Ptr cert = parse_cert_der(ca.responder_cert_der);
    if (!cert) {
      throw std::runtime_error("cas/" + ca.id + ": responder certificate does not parse");
    }
    const bool in_token = pkcs11::is_token_reference(ca.responder_key_file);
    if (in_token != config.responder_keys_in_token()) {
      std::cerr << "pkirepo-responder: warning: CA " << ca.id << "'s responder key "
                << ca.responder_key_file << " is "
                << (in_token ? "in a token but ocsp.responder_pkcs11 is not set"
                             : "a file but ocsp.responder_pkcs11 puts responder keys in a token")
                << ": its nonces are ignored until the next rotation\n";
      continue;
    }
    std::string where;
    EvpPkeyPtr key;
    if (in_token) {
      where = ca.responder_key_file;
      key = pkcs11::load_token_key(config.pkcs11_module,
                                   pkcs11::parse_token_uri(ca.responder_key_file, true), secret);
    } else {
      where = config.responder_key_path(ca.id, ca.responder_key_file).string();
      key = read_encrypted_key(where, secret, KeyFileAccess::responder(config.repository.store));
    }
    if (X509_check_private_key(cert.get(), key.get()) != 1) {
      throw std::runtime_error(where + ": does not match CA " + ca.id + "'s responder certificate");
    }
    add(std::move(cert), std::move(key));
  }
  fingerprint_ = responders_fingerprint(txn);
}

uint64_t responders_fingerprint(const store::Txn& txn) {
  Bytes all;
  for (const store::CaRecord& ca : store::list_cas(txn)) {
    for (ByteView part :
         {as_bytes(ca.id), ByteView(ca.responder_cert_der), as_bytes(ca.responder_key_file)}) {
      const uint32_t n = static_cast<uint32_t>(part.size());
      all.insert(all.end(), {static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
                             static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
      all.insert(all.end(), part.begin(), part.end());
    }
  }
  const Sha256Digest d = sha256(all);
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v = v << 8 | d[static_cast<size_t>(i)];
  }
  return v;
}

NonceSigner::NonceSigner(X509Ptr cert, EvpPkeyPtr key) {
  add(std::move(cert), std::move(key));
}

void NonceSigner::add(X509Ptr cert, EvpPkeyPtr key) {
  Sha1Digest id = key_id_sha1(cert.get());
  keys_[id] = Responder{std::move(cert), std::move(key)};
}

NonceSigner::Result NonceSigner::sign(ByteView stored_der, OCSP_REQUEST* request,
                                      Bytes& out) const {
  OcspResponsePtr stored = parse_ocsp_response_der(stored_der);
  if (!stored || OCSP_response_status(stored.get()) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    return Result::failed;
  }
  OcspBasicRespPtr old_basic(OCSP_response_get1_basic(stored.get()));
  if (!old_basic) {
    return Result::failed;
  }
  const ASN1_OCTET_STRING* by_key = nullptr;
  const X509_NAME* by_name = nullptr;
  if (OCSP_resp_get0_id(old_basic.get(), &by_key, &by_name) != 1 || by_key == nullptr ||
      ASN1_STRING_length(by_key) != 20) {
    return Result::no_key;
  }
  Sha1Digest id;
  std::memcpy(id.data(), ASN1_STRING_get0_data(by_key), id.size());
  auto it = keys_.find(id);
  if (it == keys_.end()) {
    return Result::no_key;
  }
  OcspBasicRespPtr fresh(OCSP_BASICRESP_new());
  for (int i = 0; i < OCSP_resp_count(old_basic.get()); ++i) {
    OCSP_SINGLERESP* single = OCSP_resp_get0(old_basic.get(), i);
    int reason = OCSP_REVOKED_STATUS_NOSTATUS;
    ASN1_GENERALIZEDTIME* revoked_at = nullptr;
    ASN1_GENERALIZEDTIME* this_update = nullptr;
    ASN1_GENERALIZEDTIME* next_update = nullptr;
    int status = OCSP_single_get0_status(single, &reason, &revoked_at, &this_update, &next_update);
    if (status < 0) {
      return Result::failed;
    }
    // add1 copies the CertID; the const_cast is OpenSSL's older, non-const signature.
    if (OCSP_basic_add1_status(fresh.get(),
                               const_cast<OCSP_CERTID*>(OCSP_SINGLERESP_get0_id(single)), status,
                               reason, revoked_at, this_update, next_update) == nullptr) {
      return Result::failed;
    }
  }
  // RFC 9654 / RFC 6960 4.4.1: echo the request's nonce.
  if (OCSP_copy_nonce(fresh.get(), request) <= 0) {
    return Result::failed;
  }
  const Responder& r = it->second;
  if (OCSP_basic_sign(fresh.get(), r.cert.get(), r.key.get(), signature_digest(r.key.get()),
                      nullptr, OCSP_RESPID_KEY) != 1) {
    return Result::failed;
  }
  OcspResponsePtr resp(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, fresh.get()));
  if (!resp) {
    return Result::failed;
  }
  out = to_der(resp.get());
  return Result::signed_ok;
}

}  // namespace pkirepo::responder
