#include "store/cert_index.h"

#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "policy/names.h"
#include "store/meta_keys.h"
#include "store/schema.h"
#include "store/store.h"
#include "x509/cert_info.h"
#include "x509/der.h"
#include "x509/openssl_ptr.h"

namespace pkirepo::store {

namespace {

// RFC 1035's limit: a longer dNSName is not a name (and would not fit an LMDB key).
constexpr size_t kMaxDomainLength = 253;

struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* names) const { GENERAL_NAMES_free(names); }
};

Bytes spki_key(const Sha256Digest& spki, ByteView certs_key) {
  Bytes key(spki.begin(), spki.end());
  key.insert(key.end(), certs_key.begin(), certs_key.end());
  return key;
}

Bytes domain_key(std::string_view reversed, ByteView certs_key) {
  Bytes key(reversed.begin(), reversed.end());
  key.push_back(0);
  key.insert(key.end(), certs_key.begin(), certs_key.end());
  return key;
}

bool starts_with(ByteView key, ByteView prefix) {
  return key.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), key.begin());
}

// Appends the certs keys of the by_domain entries whose name starts with `prefix` and whose
// next byte is `after` (0: the name itself; '.': a name below it).
void collect_domain(const Txn& txn, const std::string& prefix, char after,
                    std::vector<Bytes>& out) {
  Bytes start(prefix.begin(), prefix.end());
  start.push_back(static_cast<uint8_t>(after));
  Cursor c(txn, Db::by_domain);
  for (bool ok = c.seek(start); ok && starts_with(c.key(), start); ok = c.next()) {
    ByteView key = c.key();
    // Below the name: skip to this entry's certs key, after the name's terminating 0x00.
    auto end = std::find(key.begin() + static_cast<std::ptrdiff_t>(prefix.size()), key.end(), 0);
    if (end == key.end()) {
      continue;
    }
    out.emplace_back(end + 1, key.end());
  }
}

}  // namespace

std::vector<std::string> dns_names(const X509* cert) {
  std::vector<std::string> out;
  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) {
    return out;
  }
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    if (gn->type != GEN_DNS) {
      continue;
    }
    std::string name(reinterpret_cast<const char*>(ASN1_STRING_get0_data(gn->d.dNSName)),
                     static_cast<size_t>(ASN1_STRING_length(gn->d.dNSName)));
    std::transform(name.begin(), name.end(), name.begin(), [](char ch) {
      return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch;
    });
    out.push_back(std::move(name));
  }
  return out;
}

std::string reversed_domain(std::string_view name) {
  while (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  std::vector<std::string_view> labels;
  for (size_t begin = 0;;) {
    const size_t dot = name.find('.', begin);
    labels.push_back(name.substr(begin, dot == std::string_view::npos ? dot : dot - begin));
    if (dot == std::string_view::npos) {
      break;
    }
    begin = dot + 1;
  }
  std::string out;
  out.reserve(name.size());
  for (auto it = labels.rbegin(); it != labels.rend(); ++it) {
    if (!out.empty() || it != labels.rbegin()) {
      out.push_back('.');
    }
    out.append(*it);
  }
  std::transform(out.begin(), out.end(), out.begin(), [](char ch) {
    return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch;
  });
  return out;
}

std::optional<CertNames> get_cert_names(const Txn& txn, ByteView certs_key) {
  const std::optional<ByteView> v = txn.get(Db::cert_names, certs_key);
  CertNames names;
  if (!v || !decode(*v, names)) {
    return std::nullopt;
  }
  return names;
}

void index_cert(WriteTxn& txn, ByteView certs_key, const X509* cert) {
  CertNames names;
  names.spki = spki_sha256(cert);
  names.subject = subject_string(cert);
  names.sans = policy::san_entries(cert);
  txn.put(Db::cert_names, certs_key, encode(names));
  txn.put(Db::by_spki, spki_key(names.spki, certs_key), {});
  for (const std::string& name : dns_names(cert)) {
    if (name.empty() || name.size() > kMaxDomainLength || name.find('\0') != std::string::npos) {
      continue;  // not a name anyone can search for; issuance never signs one
    }
    txn.put(Db::by_domain, domain_key(reversed_domain(name), certs_key), {});
  }
}

bool cert_index_complete(const Txn& txn) {
  return txn.env().has(Db::by_spki) && txn.env().has(Db::by_domain) &&
         txn.env().has(Db::cert_names) && get_meta_u64(txn, meta::kCertIndex).value_or(0) == 1;
}

void mark_cert_index_complete(WriteTxn& txn) {
  txn.put(Db::meta, as_bytes(meta::kCertIndex), be64(1));
}

size_t build_cert_index(WriteTxn& txn) {
  size_t count = 0;
  Cursor c(txn, Db::certs);
  for (bool ok = c.first(); ok; ok = c.next()) {
    CertRecord rec;
    if (!decode(c.value(), rec)) {
      throw StoreError("certs/" + to_hex(c.key()) + ": malformed record", EINVAL);
    }
    X509Ptr cert = parse_cert_der(rec.der);
    if (!cert) {
      throw StoreError("certs/" + to_hex(c.key()) + ": the certificate does not parse", EINVAL);
    }
    const Bytes key(c.key().begin(), c.key().end());
    index_cert(txn, key, cert.get());
    ++count;
  }
  mark_cert_index_complete(txn);
  return count;
}

std::vector<Bytes> certs_by_spki(const Txn& txn, const Sha256Digest& spki) {
  std::vector<Bytes> out;
  const ByteView prefix(spki.data(), spki.size());
  Cursor c(txn, Db::by_spki);
  for (bool ok = c.seek(prefix); ok && starts_with(c.key(), prefix); ok = c.next()) {
    out.emplace_back(c.key().begin() + static_cast<std::ptrdiff_t>(spki.size()), c.key().end());
  }
  return out;
}

std::vector<Bytes> certs_by_domain(const Txn& txn, std::string_view domain) {
  const std::string reversed = reversed_domain(domain);
  std::vector<Bytes> out;
  collect_domain(txn, reversed, '\0', out);
  collect_domain(txn, reversed, '.', out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace pkirepo::store
