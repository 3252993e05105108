// Secondary indexes over `certs` for incident response (signer/incident.h): every certificate
// by the SHA-256 of its SubjectPublicKeyInfo ("every certificate for this key") and by each
// dNSName in its subjectAltName, labels reversed ("example.com and every name below it" is one
// range). Both map to the certificate's `certs` key and carry no value, so an entry never
// changes after issuance; a revocation does not touch them.
//
//  db         key                                                      value
//  by_spki    SHA-256 of the SubjectPublicKeyInfo DER (32 B) ‖ certs key   empty
//  by_domain  reversed lowercase dNSName ("com.example.www",             empty
//             "com.example.*") ‖ 0x00 ‖ certs key
//  cert_names certs key                                                CertNames (schema.h):
//                                                                      SPKI hash, subject, SANs
//
// A store made before the indexes lacks them (and meta "cert_index"): lookups then report
// "not indexed" and callers scan `certs`; `run` builds the indexes once (build_cert_index).
#pragma once

#include <openssl/x509.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/lmdb.h"
#include "store/schema.h"
#include "x509/bytes.h"

namespace pkirepo::store {

// The lowercase dNSNames of `cert`'s subjectAltName, in certificate order (none: empty).
[[nodiscard]] std::vector<std::string> dns_names(const X509* cert);

// "www.Example.com." -> "com.example.www"; "*.example.com" -> "com.example.*".
[[nodiscard]] std::string reversed_domain(std::string_view name);

// Writes `cert`'s index entries; in the transaction that stores its `certs` record.
void index_cert(WriteTxn& txn, ByteView certs_key, const X509* cert);

// The CertNames stored for the `certs` key; nullopt when absent (a store before the indexes).
[[nodiscard]] std::optional<CertNames> get_cert_names(const Txn& txn, ByteView certs_key);

// Whether every certificate of the store is in the indexes (meta "cert_index").
[[nodiscard]] bool cert_index_complete(const Txn& txn);
// Marks the indexes complete: a new store (WriteStore's first commit) or build_cert_index().
void mark_cert_index_complete(WriteTxn& txn);

// Indexes every certificate in `certs` and marks the indexes complete; the number indexed.
// Throws StoreError on a record whose certificate does not parse.
size_t build_cert_index(WriteTxn& txn);

// The `certs` keys of every certificate for the key whose SPKI hashes to `spki`, in key order.
[[nodiscard]] std::vector<Bytes> certs_by_spki(const Txn& txn, const Sha256Digest& spki);
// The `certs` keys of every certificate naming `domain` or a name below it (wildcards
// included), sorted and without duplicates. `domain` is a plain name ("example.com").
[[nodiscard]] std::vector<Bytes> certs_by_domain(const Txn& txn, std::string_view domain);

}  // namespace pkirepo::store
