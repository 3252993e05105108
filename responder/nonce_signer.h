// [ocsp] nonce = "sign": for a request that carries a nonce (RFC 9654), re-sign the stored
// response's SingleResponses with the nonce echoed, using the CA's delegated responder key
// (BR 7.1.2.8: a responder certificate with id-kp-OCSPSigning). The responder never holds a CA
// key: a stored response signed by anything but a loaded responder key is served as stored.
//
// Thread-safety: immutable after construction; sign() may run on many threads at once.
#pragma once

#include <map>
#include <string>

#include "config/config.h"
#include "store/lmdb.h"
#include "x509/bytes.h"
#include "x509/openssl_ptr.h"
#include "x509/time.h"

namespace pkirepo::responder {

class NonceSigner {
 public:
  // Loads every responder key named in the store's `cas` records: key files (encrypted PEM,
  // where Config::responder_key_path says) with `secret` as the passphrase, or, with
  // ocsp.responder_pkcs11, token keys with `secret` as the token's PIN. A key of the other kind
  // (one made before the config moved responder keys into or out of a token) is skipped with
  // a warning: that CA's nonces are ignored until its next rotation. Throws
  // std::runtime_error naming the file or URI when a key cannot be opened.
  NonceSigner(const store::Txn& txn, const std::string& secret, const Config& config);
  // For tests: one responder certificate and its key.
  NonceSigner(X509Ptr cert, EvpPkeyPtr key);

  enum class Result { signed_ok, no_key, failed };
  // `stored_der` is a pre-signed OCSPResponse; `request` the parsed request with its nonce.
  // signed_ok → `out` holds the new OCSPResponse (producedAt is set by OpenSSL from the wall
  // clock; thisUpdate/nextUpdate are the stored ones). no_key → the stored response was not
  // signed by a responder key we hold: the caller serves it as stored.
  [[nodiscard]] Result sign(ByteView stored_der, OCSP_REQUEST* request, Bytes& out) const;

  [[nodiscard]] size_t key_count() const { return keys_.size(); }
  // responders_fingerprint() of the store this signer was loaded from (0 for the test one).
  [[nodiscard]] uint64_t fingerprint() const { return fingerprint_; }

 private:
  struct Responder {
    X509Ptr cert;
    EvpPkeyPtr key;
  };
  void add(X509Ptr cert, EvpPkeyPtr key);
  std::map<Sha1Digest, Responder> keys_;  // by SHA-1 of the responder's public key (byKey)
  uint64_t fingerprint_ = 0;
};

// Which delegated responder certificates and key files the store's `cas` records name: it
// changes when `run` rotates a responder certificate, so the responder knows to load the new
// key (main.cpp reloads as on SIGHUP).
[[nodiscard]] uint64_t responders_fingerprint(const store::Txn& txn);

}  // namespace pkirepo::responder
