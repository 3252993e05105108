// DER/PEM I/O for certificates, CSRs and CRLs. Parsers take a bounded view, return nullptr on
// failure, and reject trailing bytes after the DER value.
#pragma once

#include <climits>
#include <optional>
#include <string>

#include "x509/bytes.h"
#include "x509/openssl_ptr.h"

namespace pkirepo {

// d2i_* of any OpenSSL ASN.1 type (also one declared with the template macros) with the
// whole-input check: a value followed by junk is not that value.
template <class T, class Ptr>
[[nodiscard]] Ptr parse_exact(ByteView der, T* (*d2i)(T**, const unsigned char**, long)) {
  if (der.empty() || der.size() > static_cast<size_t>(LONG_MAX)) {
    return nullptr;
  }
  const unsigned char* p = der.data();
  Ptr out(d2i(nullptr, &p, static_cast<long>(der.size())));
  if (!out || p != der.data() + der.size()) {
    return nullptr;
  }
  return out;
}

[[nodiscard]] X509Ptr parse_cert_der(ByteView der);
[[nodiscard]] X509ReqPtr parse_csr_der(ByteView der);
[[nodiscard]] X509CrlPtr parse_crl_der(ByteView der);
[[nodiscard]] OcspRequestPtr parse_ocsp_request_der(ByteView der);
[[nodiscard]] OcspResponsePtr parse_ocsp_response_der(ByteView der);

// Whether `data` holds a PEM block ("-----BEGIN "): PEM or DER is decided by content.
[[nodiscard]] bool looks_like_pem(ByteView data);
// A read-only memory BIO over `data` (which must outlive it).
[[nodiscard]] BioPtr memory_bio(ByteView data);

// PEM ("-----BEGIN ...") or DER, decided by content. nullptr when neither parses.
[[nodiscard]] X509Ptr parse_cert_any(ByteView data);
[[nodiscard]] X509ReqPtr parse_csr_any(ByteView data);

[[nodiscard]] Bytes to_der(const X509* cert);
[[nodiscard]] Bytes to_der(const X509_REQ* csr);
[[nodiscard]] Bytes to_der(const X509_CRL* crl);
[[nodiscard]] Bytes to_der(const OCSP_RESPONSE* resp);
[[nodiscard]] Bytes to_der(const OCSP_REQUEST* req);
[[nodiscard]] std::string to_pem(const X509* cert);
[[nodiscard]] std::string to_pem(const X509_REQ* csr);
[[nodiscard]] std::string to_pem(const X509_CRL* crl);

// Where OpenSSL put a field's contents in an encoding, found without reading the encoding:
// `a` and `b` are OpenSSL's encodings of the same object with one field of `len` bytes set to
// two values that differ in every byte. The field's offset when the encodings have one size and
// differ in exactly `len` consecutive bytes; nullopt otherwise (another layout than assumed).
// Lets a hot path copy values into an encoding OpenSSL made once (responder requests, signer
// responses) instead of running OpenSSL's ASN.1 template engine for every object.
[[nodiscard]] std::optional<size_t> field_offset(ByteView a, ByteView b, size_t len);

}  // namespace pkirepo
