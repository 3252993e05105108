#include "store/schema.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>

namespace pkirepo::store {
namespace {

constexpr uint8_t kCaVersion = 1;
constexpr uint8_t kCertVersion = 2;  // 2 added ocsp_url and crl_dp
constexpr uint8_t kCertVersionNoFlags = 1;
constexpr uint8_t kRevocationVersion = 1;
// 1: the whole DER; 2: a tail id (u64, 0: none) and the DER's head. Both are read.
constexpr uint8_t kOcspVersion = 2;
constexpr uint8_t kOcspVersionWholeDer = 1;
constexpr uint64_t kTailSeed = 0x6f637370746c3031ULL;  // "ocsptl01": never change
constexpr uint8_t kCrlVersion = 1;
constexpr uint8_t kCertNamesVersion = 1;

class Writer {
 public:
  Writer() = default;
  // `expected`: the encoded size, when known, so the buffer is allocated once.
  explicit Writer(size_t expected) { out_.reserve(expected); }
  // Writes into `reuse`, emptied first: its capacity is kept, so a buffer that is encoded into
  // again and again stops allocating.
  Writer(Bytes&& reuse, size_t expected) : out_(std::move(reuse)) {
    out_.clear();
    out_.reserve(expected);
  }
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) {
    u8(static_cast<uint8_t>(v >> 8));
    u8(static_cast<uint8_t>(v));
  }
  void u32(uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) {
      u8(static_cast<uint8_t>(v >> s));
    }
  }
  void u64(uint64_t v) {
    for (int s = 56; s >= 0; s -= 8) {
      u8(static_cast<uint8_t>(v >> s));
    }
  }
  void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
  void bytes(ByteView b) {
    u32(static_cast<uint32_t>(b.size()));
    out_.insert(out_.end(), b.begin(), b.end());
  }
  void str(std::string_view s) { bytes(as_bytes(s)); }
  Bytes take() { return std::move(out_); }

 private:
  Bytes out_;
};

class Reader {
 public:
  explicit Reader(ByteView in) : in_(in) {}
  bool u8(uint8_t& v) {
    if (pos_ + 1 > in_.size()) {
      return false;
    }
    v = in_[pos_++];
    return true;
  }
  bool u16(uint16_t& v) {
    uint64_t x = 0;
    if (!uint(2, x)) {
      return false;
    }
    v = static_cast<uint16_t>(x);
    return true;
  }
  bool u32(uint32_t& v) {
    uint64_t x = 0;
    if (!uint(4, x)) {
      return false;
    }
    v = static_cast<uint32_t>(x);
    return true;
  }
  bool u64(uint64_t& v) { return uint(8, v); }
  bool i64(int64_t& v) {
    uint64_t x = 0;
    if (!uint(8, x)) {
      return false;
    }
    v = static_cast<int64_t>(x);
    return true;
  }
  bool view(ByteView& v) {
    uint32_t len = 0;
    if (!u32(len) || pos_ + len > in_.size()) {
      return false;
    }
    v = in_.subspan(pos_, len);
    pos_ += len;
    return true;
  }
  bool bytes(Bytes& b) {
    ByteView v;
    if (!view(v)) {
      return false;
    }
    b.assign(v.begin(), v.end());
    return true;
  }
  bool str(std::string& s) {
    ByteView v;
    if (!view(v)) {
      return false;
    }
    s.assign(reinterpret_cast<const char*>(v.data()), v.size());
    return true;
  }
  bool done() const { return pos_ == in_.size(); }

 private:
  bool uint(size_t n, uint64_t& v) {
    if (pos_ + n > in_.size()) {
      return false;
    }
    v = 0;
    for (size_t i = 0; i < n; ++i) {
      v = v << 8 | in_[pos_++];
    }
    return true;
  }
  ByteView in_;
  size_t pos_ = 0;
};

void append(Bytes& out, ByteView b) {
  out.insert(out.end(), b.begin(), b.end());
}

}  // namespace

Bytes be64(uint64_t v) {
  Writer w;
  w.u64(v);
  return w.take();
}

uint64_t read_be64(ByteView v) {
  uint64_t x = 0;
  for (size_t i = 0; i < v.size() && i < 8; ++i) {
    x = x << 8 | v[i];
  }
  return x;
}

Bytes cert_key(const Sha1Digest& issuer_key_id, ByteView serial) {
  Bytes k(issuer_key_id.begin(), issuer_key_id.end());
  append(k, serial);
  return k;
}

Bytes expiry_key(UnixTime not_after, const Sha1Digest& issuer_key_id, ByteView serial) {
  Bytes k = be64(static_cast<uint64_t>(not_after));
  append(k, issuer_key_id);
  append(k, serial);
  return k;
}

Bytes ocsp_key(CertIdHash hash, ByteView issuer_name_hash, ByteView issuer_key_hash,
               ByteView serial) {
  Bytes k;
  k.reserve(1 + issuer_name_hash.size() + issuer_key_hash.size() + serial.size());
  k.push_back(static_cast<uint8_t>(hash));
  append(k, issuer_name_hash);
  append(k, issuer_key_hash);
  append(k, serial);
  return k;
}

Bytes crl_key(std::string_view ca_id, int shard) {
  std::string k = std::string(ca_id) + "/" + std::to_string(shard);
  return Bytes(k.begin(), k.end());
}

Bytes crl_list_key(std::string_view ca_id) {
  std::string k = std::string(ca_id) + "/list.json";
  return Bytes(k.begin(), k.end());
}

Bytes audit_key(uint64_t seq) {
  return be64(seq);
}
uint64_t audit_seq(ByteView key) {
  return read_be64(key);
}

Bytes encode(const CaRecord& r) {
  Writer w;
  w.u8(kCaVersion);
  w.str(r.id);
  w.u8(static_cast<uint8_t>(r.role));
  w.str(r.parent);
  w.bytes(r.cert_der);
  w.str(r.key_file);
  w.bytes(r.responder_cert_der);
  w.str(r.responder_key_file);
  w.i64(r.created);
  return w.take();
}

bool decode(ByteView data, CaRecord& out) {
  Reader r(data);
  uint8_t version = 0;
  uint8_t role = 0;
  if (!r.u8(version) || version != kCaVersion || !r.str(out.id) || !r.u8(role) || role > 2 ||
      !r.str(out.parent) || !r.bytes(out.cert_der) || !r.str(out.key_file) ||
      !r.bytes(out.responder_cert_der) || !r.str(out.responder_key_file) || !r.i64(out.created)) {
    return false;
  }
  out.role = static_cast<CaRole>(role);
  return r.done();
}

namespace {

// A CRLReason in one byte, as certificate and revocation records store it: 0xff for none
// stated. Older records may hold 0 (unspecified), which is also none stated.
uint8_t reason_byte(StatedReason reason) {
  return reason ? static_cast<uint8_t>(*reason) : 0xff;
}
StatedReason reason_of(uint8_t byte) {
  return byte == 0xff ? std::nullopt : reason_from_code(byte);
}

}  // namespace

Bytes encode(const CertRecord& r) {
  Writer w;
  w.u8(kCertVersion);
  w.str(r.ca_id);
  w.u8(static_cast<uint8_t>(r.status));
  w.u8(reason_byte(r.reason));
  w.i64(r.revocation_time);
  w.i64(r.invalidity_date);
  w.i64(r.not_before);
  w.i64(r.not_after);
  w.i64(r.issued_at);
  w.str(r.profile);
  w.u16(r.shard);
  w.u8(static_cast<uint8_t>((r.ocsp_url ? 1 : 0) | (r.crl_dp ? 2 : 0)));
  w.bytes(r.der);
  return w.take();
}

namespace {

bool decode_cert(ByteView data, CertRecord& out, bool with_der) {
  Reader r(data);
  uint8_t version = 0;
  uint8_t status = 0;
  uint8_t reason = 0;
  uint8_t flags = 3;  // version 1: every certificate carried both
  if (!r.u8(version) || (version != kCertVersion && version != kCertVersionNoFlags) ||
      !r.str(out.ca_id) || !r.u8(status) || status > 1 || !r.u8(reason) ||
      !r.i64(out.revocation_time) || !r.i64(out.invalidity_date) || !r.i64(out.not_before) ||
      !r.i64(out.not_after) || !r.i64(out.issued_at) || !r.str(out.profile) || !r.u16(out.shard) ||
      (version == kCertVersion && (!r.u8(flags) || flags > 3))) {
    return false;
  }
  ByteView der;
  if (!r.view(der)) {
    return false;
  }
  if (with_der) {
    out.der.assign(der.begin(), der.end());
  } else {
    out.der.clear();
  }
  out.ocsp_url = (flags & 1) != 0;
  out.crl_dp = (flags & 2) != 0;
  out.status = static_cast<CertStatus>(status);
  out.reason = reason_of(reason);
  return r.done();
}

}  // namespace

bool decode(ByteView data, CertRecord& out) {
  return decode_cert(data, out, true);
}

bool decode_without_der(ByteView data, CertRecord& out) {
  return decode_cert(data, out, false);
}

Bytes encode(const CertNames& n) {
  Writer w;
  w.u8(kCertNamesVersion);
  w.bytes(ByteView(n.spki.data(), n.spki.size()));
  w.str(n.subject);
  w.u32(static_cast<uint32_t>(n.sans.size()));
  for (const std::string& san : n.sans) {
    w.str(san);
  }
  return w.take();
}

bool decode(ByteView data, CertNames& out) {
  Reader r(data);
  uint8_t version = 0;
  ByteView spki;
  uint32_t count = 0;
  if (!r.u8(version) || version != kCertNamesVersion || !r.view(spki) ||
      spki.size() != out.spki.size() || !r.str(out.subject) || !r.u32(count) ||
      count > data.size()) {
    return false;
  }
  std::copy(spki.begin(), spki.end(), out.spki.begin());
  out.sans.resize(count);
  for (std::string& san : out.sans) {
    if (!r.str(san)) {
      return false;
    }
  }
  return r.done();
}

Bytes encode(const RevocationRecord& r) {
  Writer w;
  w.u8(kRevocationVersion);
  w.i64(r.revocation_time);
  w.u8(reason_byte(r.reason));
  w.i64(r.invalidity_date);
  return w.take();
}

bool decode(ByteView data, RevocationRecord& out) {
  Reader r(data);
  uint8_t version = 0;
  uint8_t reason = 0;
  if (!r.u8(version) || version != kRevocationVersion || !r.i64(out.revocation_time) ||
      !r.u8(reason) || !r.i64(out.invalidity_date)) {
    return false;
  }
  out.reason = reason_of(reason);
  return r.done();
}

Bytes encode(const OcspRecord& r) {
  Bytes out;
  encode_into(r, nullptr, out);
  return out;
}

OcspTail make_ocsp_tail(ByteView bytes) {
  if (bytes.empty()) {
    return {};
  }
  const uint64_t id = XXH3_64bits_withSeed(bytes.data(), bytes.size(), kTailSeed);
  return {id == 0 ? 1 : id, bytes};
}

void encode_into(const OcspRecord& r, const OcspTail* tail, Bytes& out) {
  ByteView head = r.der;
  uint64_t tail_id = 0;
  if (tail != nullptr && tail->id != 0 && tail->bytes.size() < r.der.size() &&
      std::equal(tail->bytes.begin(), tail->bytes.end(),
                 r.der.end() - static_cast<std::ptrdiff_t>(tail->bytes.size()))) {
    head = head.first(r.der.size() - tail->bytes.size());
    tail_id = tail->id;
  }
  // The signer encodes one per response signed: at most one allocation, not one per doubling.
  Writer w(std::move(out), 1 + 1 + 8 + 8 + 4 + r.etag.size() + 8 + 4 + head.size());
  w.u8(kOcspVersion);
  w.u8(static_cast<uint8_t>(r.status));
  w.i64(r.this_update);
  w.i64(r.next_update);
  w.str(r.etag);
  w.u64(tail_id);
  w.bytes(head);
  out = w.take();
}

bool decode_view(ByteView data, OcspView& out) {
  Reader r(data);
  uint8_t version = 0;
  uint8_t status = 0;
  ByteView etag;
  if (!r.u8(version) || (version != kOcspVersion && version != kOcspVersionWholeDer) ||
      !r.u8(status) || status > 1 || !r.i64(out.this_update) || !r.i64(out.next_update) ||
      !r.view(etag)) {
    return false;
  }
  out.tail_id = 0;
  if (version == kOcspVersion && !r.u64(out.tail_id)) {
    return false;
  }
  if (!r.view(out.head) || !r.done()) {
    return false;
  }
  out.status = static_cast<CertStatus>(status);
  out.etag = std::string_view(reinterpret_cast<const char*>(etag.data()), etag.size());
  return true;
}

Bytes encode(const CrlRecord& r) {
  Writer w;
  w.u8(kCrlVersion);
  w.u64(r.crl_number);
  w.i64(r.this_update);
  w.i64(r.next_update);
  w.u32(r.entries);
  w.str(r.etag);
  w.bytes(r.der);
  return w.take();
}

bool decode(ByteView data, CrlRecord& out) {
  Reader r(data);
  uint8_t version = 0;
  if (!r.u8(version) || version != kCrlVersion || !r.u64(out.crl_number) ||
      !r.i64(out.this_update) || !r.i64(out.next_update) || !r.u32(out.entries) ||
      !r.str(out.etag) || !r.bytes(out.der)) {
    return false;
  }
  return r.done();
}

}  // namespace pkirepo::store
