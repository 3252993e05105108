#include "audit/checkpoint.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <stdexcept>

#include "store/meta_keys.h"
#include "store/schema.h"
#include "x509/cert_info.h"

namespace pkirepo::audit {
namespace {

const std::string kGenesis(64, '0');

bool is_hex64(const nlohmann::json& v) {
  if (!v.is_string()) {
    return false;
  }
  const auto& s = v.get_ref<const std::string&>();
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

nlohmann::json unsigned_object(const SignedCheckpoint& cp) {
  return {{"count", cp.count}, {"head_sha256", cp.head_hex}};
}

}  // namespace

std::string SignedCheckpoint::signed_bytes() const {
  nlohmann::json j = unsigned_object(*this);
  j["key_id"] = key_id;
  j["time"] = rfc3339(time);
  j["type"] = kCheckpointType;
  return j.dump();
}

std::string SignedCheckpoint::to_json() const {
  if (!is_signed()) {
    return unsigned_object(*this).dump();
  }
  nlohmann::json j = nlohmann::json::parse(signed_bytes());
  j["signature"] = signature_hex;
  return j.dump();
}

SignedCheckpoint parse_checkpoint(const nlohmann::json& j) {
  if (!j.is_object()) {
    throw std::runtime_error("not a JSON object");
  }
  SignedCheckpoint cp;
  auto count = j.find("count");
  if (count == j.end() || !count->is_number_unsigned()) {
    throw std::runtime_error("\"count\" is missing or not a non-negative integer");
  }
  cp.count = count->get<uint64_t>();
  auto head = j.find("head_sha256");
  if (head == j.end() || !is_hex64(*head)) {
    throw std::runtime_error("\"head_sha256\" is missing or not 64 lowercase hex digits");
  }
  cp.head_hex = head->get<std::string>();
  auto sig = j.find("signature");
  if (sig == j.end()) {
    return cp;
  }
  if (!sig->is_string() || sig->get_ref<const std::string&>().size() != 128) {
    throw std::runtime_error("\"signature\" is not 128 hex digits (an Ed25519 signature)");
  }
  cp.signature_hex = sig->get<std::string>();
  auto key_id = j.find("key_id");
  if (key_id == j.end() || !is_hex64(*key_id)) {
    throw std::runtime_error("\"key_id\" is missing or not 64 lowercase hex digits");
  }
  cp.key_id = key_id->get<std::string>();
  auto time = j.find("time");
  std::optional<UnixTime> t;
  if (time != j.end() && time->is_string()) {
    t = parse_rfc3339(time->get<std::string>());
  }
  if (!t) {
    throw std::runtime_error("\"time\" is missing or not an RFC 3339 time");
  }
  cp.time = *t;
  if (j.value("type", std::string()) != kCheckpointType) {
    throw std::runtime_error(std::string("\"type\" is not \"") + kCheckpointType + "\"");
  }
  return cp;
}

std::string checkpoint_key_id(const EVP_PKEY* key) {
  return to_hex(spki_sha256(key));
}

SignedCheckpoint sign_checkpoint(const Checkpoint& cp, UnixTime time, EVP_PKEY* key) {
  if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
    throw std::runtime_error("the audit checkpoint key is not an Ed25519 key");
  }
  SignedCheckpoint out;
  out.count = cp.count;
  out.head_hex = cp.head_hex;
  out.time = time;
  out.key_id = checkpoint_key_id(key);
  const std::string msg = out.signed_bytes();
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  unsigned char sig[64];
  size_t len = sizeof sig;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), sig, &len, reinterpret_cast<const unsigned char*>(msg.data()),
                     msg.size()) != 1 ||
      len != sizeof sig) {
    throw std::runtime_error("cannot sign the audit checkpoint: " + openssl_error());
  }
  out.signature_hex = to_hex(ByteView(sig, len));
  return out;
}

std::string signature_problem(const SignedCheckpoint& cp, EVP_PKEY* public_key) {
  if (!cp.is_signed()) {
    return "not signed";
  }
  if (EVP_PKEY_get_id(public_key) != EVP_PKEY_ED25519) {
    return "the checkpoint public key is not an Ed25519 key";
  }
  const std::string id = checkpoint_key_id(public_key);
  if (cp.key_id != id) {
    return "signed by key " + cp.key_id + ", not by the checkpoint key " + id;
  }
  Bytes sig;
  if (!from_hex(cp.signature_hex, sig)) {
    return "the signature is not hex";
  }
  const std::string msg = cp.signed_bytes();
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, public_key) != 1) {
    return "cannot verify: " + openssl_error();
  }
  if (EVP_DigestVerify(ctx.get(), sig.data(), sig.size(),
                       reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) != 1) {
    (void)openssl_error();  // drop the queue: a bad signature is the answer, not an error
    return "the signature does not verify (forged or altered checkpoint)";
  }
  return "";
}

std::optional<std::string> record_hash(const store::Txn& txn, uint64_t seq) {
  auto value = txn.get(store::Db::audit, store::audit_key(seq));
  if (!value) {
    return std::nullopt;
  }
  nlohmann::json record = nlohmann::json::parse(
      std::string(reinterpret_cast<const char*>(value->data()), value->size()), nullptr, false);
  if (record.is_discarded() || !record.is_object()) {
    return std::nullopt;
  }
  auto it = record.find("hash");
  if (it == record.end() || !it->is_string()) {
    return std::nullopt;
  }
  return it->get<std::string>();
}

std::string prefix_problem(const store::Txn& txn, uint64_t count, const std::string& head_hex) {
  if (count == 0) {
    return head_hex == kGenesis ? "" : "count 0 with a head other than the genesis hash";
  }
  const Checkpoint now = checkpoint(txn);
  if (count > now.count) {
    return "it counts " + std::to_string(count) + " records but the log has only " +
           std::to_string(now.count) + " (records deleted)";
  }
  const std::optional<std::string> hash = record_hash(txn, count);
  if (!hash) {
    return "audit record " + std::to_string(count) + " is missing or unreadable";
  }
  if (*hash != head_hex) {
    return "audit record " + std::to_string(count) + " has hash " + *hash + ", not the head " +
           head_hex + " (the log was rewritten)";
  }
  return "";
}

EvpPkeyPtr stored_checkpoint_key(const store::Txn& txn) {
  auto der = txn.get(store::Db::meta, as_bytes(store::meta::kAuditCheckpointKey));
  if (!der) {
    return nullptr;
  }
  const unsigned char* p = der->data();
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der->size())));
  if (!key) {
    throw std::runtime_error("store meta audit_checkpoint_key is not a public key: " +
                             openssl_error());
  }
  return key;
}

void put_checkpoint_key(store::WriteTxn& txn, const EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  if (len <= 0) {
    throw std::runtime_error("cannot encode the checkpoint public key: " + openssl_error());
  }
  const Bytes bytes(der, der + len);
  OPENSSL_free(der);
  txn.put(store::Db::meta, as_bytes(store::meta::kAuditCheckpointKey), bytes);
}

std::optional<SignedCheckpoint> stored_checkpoint(const store::Txn& txn) {
  auto text = txn.get(store::Db::meta, as_bytes(store::meta::kAuditCheckpoint));
  if (!text) {
    return std::nullopt;
  }
  nlohmann::json j = nlohmann::json::parse(
      std::string(reinterpret_cast<const char*>(text->data()), text->size()), nullptr, false);
  try {
    return parse_checkpoint(j);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("store meta audit_checkpoint: ") + e.what());
  }
}

void put_checkpoint(store::WriteTxn& txn, const SignedCheckpoint& cp) {
  txn.put(store::Db::meta, as_bytes(store::meta::kAuditCheckpoint), as_bytes(cp.to_json()));
}

std::string public_key_pem(const EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    throw std::runtime_error("cannot write a public key as PEM: " + openssl_error());
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

EvpPkeyPtr public_key_from_pem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EvpPkeyPtr key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) {
    (void)openssl_error();
    throw std::runtime_error("holds no PEM public key");
  }
  return key;
}

}  // namespace pkirepo::audit
