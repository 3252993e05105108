#include "x509/der.h"

#include <openssl/pem.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace pkirepo {

bool looks_like_pem(ByteView data) {
  static constexpr std::string_view marker = "-----BEGIN ";
  std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  return text.find(marker) != std::string_view::npos;
}

BioPtr memory_bio(ByteView data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

namespace {

template <class T>
Bytes der_of(const T* obj, int (*i2d)(const T*, unsigned char**)) {
  int len = i2d(obj, nullptr);
  if (len <= 0) {
    throw std::runtime_error("DER encoding failed: " + openssl_error());
  }
  Bytes out(static_cast<size_t>(len));
  unsigned char* p = out.data();
  i2d(obj, &p);
  return out;
}

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace

X509Ptr parse_cert_der(ByteView der) {
  return parse_exact<X509, X509Ptr>(der, d2i_X509);
}
X509ReqPtr parse_csr_der(ByteView der) {
  return parse_exact<X509_REQ, X509ReqPtr>(der, d2i_X509_REQ);
}
X509CrlPtr parse_crl_der(ByteView der) {
  return parse_exact<X509_CRL, X509CrlPtr>(der, d2i_X509_CRL);
}
OcspRequestPtr parse_ocsp_request_der(ByteView der) {
  return parse_exact<OCSP_REQUEST, OcspRequestPtr>(der, d2i_OCSP_REQUEST);
}
OcspResponsePtr parse_ocsp_response_der(ByteView der) {
  return parse_exact<OCSP_RESPONSE, OcspResponsePtr>(der, d2i_OCSP_RESPONSE);
}

X509Ptr parse_cert_any(ByteView data) {
  if (looks_like_pem(data)) {
    BioPtr bio = memory_bio(data);
    return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  }
  return parse_cert_der(data);
}

X509ReqPtr parse_csr_any(ByteView data) {
  if (looks_like_pem(data)) {
    BioPtr bio = memory_bio(data);
    return X509ReqPtr(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  }
  return parse_csr_der(data);
}

Bytes to_der(const X509* cert) {
  return der_of<X509>(cert, i2d_X509);
}
Bytes to_der(const X509_REQ* csr) {
  return der_of<X509_REQ>(csr, i2d_X509_REQ);
}
Bytes to_der(const X509_CRL* crl) {
  return der_of<X509_CRL>(crl, i2d_X509_CRL);
}
Bytes to_der(const OCSP_RESPONSE* resp) {
  return der_of<OCSP_RESPONSE>(resp, i2d_OCSP_RESPONSE);
}
Bytes to_der(const OCSP_REQUEST* req) {
  return der_of<OCSP_REQUEST>(req, i2d_OCSP_REQUEST);
}

std::string to_pem(const X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  return bio_string(bio.get());
}
std::string to_pem(const X509_REQ* csr) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), csr);
  return bio_string(bio.get());
}
std::string to_pem(const X509_CRL* crl) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_CRL(bio.get(), crl);
  return bio_string(bio.get());
}

std::optional<size_t> field_offset(ByteView a, ByteView b, size_t len) {
  if (a.size() != b.size()) {
    return std::nullopt;
  }
  const auto first = std::mismatch(a.begin(), a.end(), b.begin()).first;
  if (first == a.end()) {
    return std::nullopt;
  }
  const auto last = std::mismatch(a.rbegin(), a.rend(), b.rbegin()).first;
  const auto begin = static_cast<size_t>(first - a.begin());
  const size_t end = a.size() - static_cast<size_t>(last - a.rbegin());
  if (end - begin != len) {
    return std::nullopt;
  }
  return begin;
}

}  // namespace pkirepo
