#include "signer/checkpoint_source.h"

#include <openssl/http.h>
#include <openssl/ssl.h>

#include <ctime>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "x509/bytes.h"
#include "x509/openssl_ptr.h"

namespace pkirepo::signer {
namespace {

using SslCtxPtr = std::unique_ptr<SSL_CTX, OpenSslDeleter<SSL_CTX_free>>;

constexpr size_t kMaxCheckpointBytes = 64 << 20;  // a jsonl of ~500,000 checkpoints
constexpr int kTimeoutSeconds = 30;

struct TlsContext {
  SSL_CTX* ctx = nullptr;
  std::string host;
};

// OSSL_HTTP_get's hook: on connect with TLS wanted (detail 1), an SSL BIO over the socket BIO;
// on disconnect, that SSL BIO taken off again (the shape of OpenSSL's own apps).
BIO* tls_hook(BIO* bio, void* arg, int connect, int detail) {
  auto* tls = static_cast<TlsContext*>(arg);
  if (connect != 0) {
    if (detail == 0) {
      return bio;
    }
    SSL* ssl = SSL_new(tls->ctx);
    BIO* sbio = BIO_new(BIO_f_ssl());
    if (ssl == nullptr || sbio == nullptr ||
        SSL_set_tlsext_host_name(ssl, tls->host.c_str()) != 1 ||
        SSL_set1_host(ssl, tls->host.c_str()) != 1) {
      SSL_free(ssl);
      BIO_free(sbio);
      return nullptr;
    }
    SSL_set_connect_state(ssl);
    BIO_set_ssl(sbio, ssl, BIO_CLOSE);
    return BIO_push(sbio, bio);
  }
  if (BIO_method_type(bio) == BIO_TYPE_SSL) {
    BIO* socket = BIO_pop(bio);
    BIO_free(bio);
    return socket;
  }
  return bio;
}

std::string fetch_url(const std::string& url) {
  char* host = nullptr;
  int use_tls = 0;
  if (OSSL_HTTP_parse_url(url.c_str(), &use_tls, nullptr, &host, nullptr, nullptr, nullptr, nullptr,
                          nullptr) != 1) {
    throw std::runtime_error("not a valid URL: " + openssl_error());
  }
  TlsContext tls;
  tls.host = host;
  OPENSSL_free(host);
  SslCtxPtr ctx;
  if (use_tls != 0) {
    ctx.reset(SSL_CTX_new(TLS_client_method()));
    if (!ctx || SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
      throw std::runtime_error("cannot set up TLS: " + openssl_error());
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    tls.ctx = ctx.get();
  }
  // No proxy of our own choosing: OpenSSL honours http_proxy/https_proxy and no_proxy.
  BioPtr body(OSSL_HTTP_get(url.c_str(), nullptr, nullptr, nullptr, nullptr,
                            use_tls != 0 ? tls_hook : nullptr, &tls, 0, nullptr, nullptr, 0,
                            kMaxCheckpointBytes, kTimeoutSeconds));
  if (!body) {
    throw std::runtime_error("HTTP fetch failed: " + openssl_error());
  }
  // A body that is not ASN.1 comes back streamed, over the connection's non-blocking BIO:
  // read until end of stream, waiting on it within the same time limit.
  const time_t deadline = std::time(nullptr) + kTimeoutSeconds;
  std::string out;
  char buf[16384];
  for (;;) {
    const int n = BIO_read(body.get(), buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      if (out.size() > kMaxCheckpointBytes) {
        throw std::runtime_error("HTTP response larger than " +
                                 std::to_string(kMaxCheckpointBytes) + " bytes");
      }
      continue;
    }
    if (!BIO_should_retry(body.get())) {
      break;
    }
    if (BIO_wait(body.get(), deadline, 100) <= 0) {
      throw std::runtime_error("HTTP fetch failed: timed out reading the response");
    }
  }
  return out;
}

audit::SignedCheckpoint parse_one(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    throw std::runtime_error("not JSON");
  }
  return audit::parse_checkpoint(j);
}

}  // namespace

std::string read_checkpoint_source(const std::string& source) {
  if (source.starts_with("http://") || source.starts_with("https://")) {
    return fetch_url(source);
  }
  try {
    return read_text_file(source);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("cannot read: ") + e.what());
  }
}

std::vector<PublishedCheckpoint> parse_checkpoints(const std::string& text) {
  std::vector<PublishedCheckpoint> out;
  const nlohmann::json whole = nlohmann::json::parse(text, nullptr, false);
  if (!whole.is_discarded() && whole.is_object()) {
    out.push_back({audit::parse_checkpoint(whole), 0});
    return out;
  }
  std::istringstream in(text);
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      continue;
    }
    try {
      out.push_back({parse_one(line), n});
    } catch (const std::runtime_error& e) {
      throw std::runtime_error("line " + std::to_string(n) + ": " + e.what());
    }
  }
  if (out.empty()) {
    throw std::runtime_error("holds no checkpoint");
  }
  return out;
}

}  // namespace pkirepo::signer
