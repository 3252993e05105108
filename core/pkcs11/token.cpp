#include "pkcs11/token.h"

#include <openssl/objects.h>
#include <openssl/rand.h>
#include <p11-kit/p11-kit.h>

#include <charconv>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "x509/key.h"

namespace pkirepo::pkcs11 {

namespace {

std::string rv_text(CK_RV rv) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "CKR 0x%lx", static_cast<unsigned long>(rv));
  return buf;
}

// One loaded, initialized module per path for the whole process (see TokenSession).
CK_FUNCTION_LIST* module_for(const std::string& path) {
  static std::mutex mutex;
  static std::map<std::string, CK_FUNCTION_LIST*> loaded;
  std::lock_guard lock(mutex);
  if (auto it = loaded.find(path); it != loaded.end()) {
    return it->second;
  }
  CK_FUNCTION_LIST* fn = p11_kit_module_load(path.c_str(), P11_KIT_MODULE_UNMANAGED);
  if (fn == nullptr) {
    throw TokenError(TokenError::Kind::module,
                     "PKCS#11 module " + path + ": cannot be loaded (check [pkcs11] module)");
  }
  // OS locking: the engine signs from several threads at once.
  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  if (CK_RV rv = fn->C_Initialize(&args); rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    p11_kit_module_release(fn);
    throw TokenError(TokenError::Kind::module,
                     "PKCS#11 module " + path + ": C_Initialize failed (" + rv_text(rv) + ")");
  }
  loaded.emplace(path, fn);
  return fn;
}

std::string label_of(const CK_TOKEN_INFO& info) {
  std::string s(reinterpret_cast<const char*>(info.label), sizeof info.label);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) {
    s.pop_back();
  }
  return s;
}

}  // namespace

const char* token_error_event(TokenError::Kind kind) {
  switch (kind) {
    case TokenError::Kind::module:
      return "token_module_failed";
    case TokenError::Kind::token_missing:
      return "token_missing";
    case TokenError::Kind::wrong_pin:
      return "token_wrong_pin";
    case TokenError::Kind::pin_locked:
      return "token_pin_locked";
    case TokenError::Kind::key_missing:
      return "token_key_missing";
    case TokenError::Kind::other:
      break;
  }
  return "token_failed";
}

TokenSession::TokenSession(const std::string& module_path, const std::string& token,
                           const std::string& pin)
    : fn_(module_for(module_path)), token_(token) {
  CK_ULONG count = 0;
  if (CK_RV rv = fn_->C_GetSlotList(CK_TRUE, nullptr, &count); rv != CKR_OK) {
    throw TokenError(TokenError::Kind::module, module_path + ": C_GetSlotList: " + rv_text(rv));
  }
  std::vector<CK_SLOT_ID> slots(count);
  if (count > 0) {
    if (CK_RV rv = fn_->C_GetSlotList(CK_TRUE, slots.data(), &count); rv != CKR_OK) {
      throw TokenError(TokenError::Kind::module, module_path + ": C_GetSlotList: " + rv_text(rv));
    }
    slots.resize(count);
  }
  std::string seen;
  std::optional<CK_SLOT_ID> slot;
  for (CK_SLOT_ID s : slots) {
    CK_TOKEN_INFO info{};
    if (fn_->C_GetTokenInfo(s, &info) != CKR_OK) {
      continue;
    }
    const std::string label = label_of(info);
    if (label == token) {
      if (slot) {
        throw TokenError(TokenError::Kind::other,
                         "two tokens are labelled \"" + token + "\" in " + module_path);
      }
      slot = s;
    }
    seen += (seen.empty() ? "" : ", ") + ("\"" + label + "\"");
  }
  if (!slot) {
    throw TokenError(TokenError::Kind::token_missing,
                     "no token labelled \"" + token + "\" in " + module_path +
                         " (tokens present: " + (seen.empty() ? std::string("none") : seen) + ")");
  }
  if (CK_RV rv = fn_->C_OpenSession(*slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr,
                                    &session_);
      rv != CKR_OK) {
    throw TokenError(TokenError::Kind::other,
                     "token \"" + token + "\": cannot open a session (" + rv_text(rv) + ")");
  }
  CK_RV rv = fn_->C_Login(session_, CKU_USER,
                          reinterpret_cast<CK_UTF8CHAR*>(const_cast<char*>(pin.data())),
                          static_cast<CK_ULONG>(pin.size()));
  if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) {
    return;
  }
  fn_->C_CloseSession(session_);
  if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE) {
    throw TokenError(TokenError::Kind::wrong_pin, "token \"" + token + "\": wrong PIN");
  }
  if (rv == CKR_PIN_LOCKED) {
    throw TokenError(TokenError::Kind::pin_locked,
                     "token \"" + token + "\": the user PIN is locked (unlock it with the SO PIN)");
  }
  throw TokenError(TokenError::Kind::other,
                   "token \"" + token + "\": login failed (" + rv_text(rv) + ")");
}

TokenSession::~TokenSession() {
  // No C_Logout: the login belongs to the application, and the engine's sessions share it.
  fn_->C_CloseSession(session_);
}

CK_OBJECT_HANDLE TokenSession::find_private_key(const std::string& label) {
  CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
  std::string l = label;
  CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_LABEL, l.data(), l.size()}};
  if (CK_RV rv = fn_->C_FindObjectsInit(session_, tmpl, 2); rv != CKR_OK) {
    throw TokenError(TokenError::Kind::other,
                     "token \"" + token_ + "\": search failed (" + rv_text(rv) + ")");
  }
  CK_OBJECT_HANDLE found[2];
  CK_ULONG n = 0;
  CK_RV rv = fn_->C_FindObjects(session_, found, 2, &n);
  fn_->C_FindObjectsFinal(session_);
  if (rv != CKR_OK) {
    throw TokenError(TokenError::Kind::other,
                     "token \"" + token_ + "\": search failed (" + rv_text(rv) + ")");
  }
  if (n > 1) {
    throw TokenError(TokenError::Kind::other, "token \"" + token_ +
                                                  "\": two private keys are labelled \"" + label +
                                                  "\"; a key must be unambiguous");
  }
  return n == 1 ? found[0] : CK_INVALID_HANDLE;
}

bool TokenSession::has_private_key(const std::string& label) {
  return find_private_key(label) != CK_INVALID_HANDLE;
}

bool TokenSession::private_key_extractable(const std::string& label) {
  CK_OBJECT_HANDLE h = find_private_key(label);
  if (h == CK_INVALID_HANDLE) {
    throw TokenError(TokenError::Kind::key_missing,
                     "token \"" + token_ + "\": no private key labelled \"" + label + "\"");
  }
  CK_BBOOL sensitive = CK_FALSE;
  CK_BBOOL extractable = CK_TRUE;
  CK_ATTRIBUTE a[] = {{CKA_SENSITIVE, &sensitive, sizeof sensitive},
                      {CKA_EXTRACTABLE, &extractable, sizeof extractable}};
  if (fn_->C_GetAttributeValue(session_, h, a, 2) != CKR_OK) {
    return true;  // cannot tell: assume the worst
  }
  return extractable == CK_TRUE || sensitive == CK_FALSE;
}

void TokenSession::generate_key_pair(const std::string& algorithm, const std::string& label) {
  std::string why;
  if (!is_known_key_algorithm(algorithm, why)) {
    throw TokenError(TokenError::Kind::other, algorithm + ": " + why);
  }
  unsigned char id[16];
  if (RAND_bytes(id, sizeof id) != 1) {
    throw TokenError(TokenError::Kind::other, "no randomness for a key id");
  }
  CK_BBOOL yes = CK_TRUE;
  CK_BBOOL no = CK_FALSE;
  std::string l = label;
  std::vector<CK_ATTRIBUTE> pub = {{CKA_TOKEN, &yes, sizeof yes},
                                   {CKA_VERIFY, &yes, sizeof yes},
                                   {CKA_LABEL, l.data(), l.size()},
                                   {CKA_ID, id, sizeof id}};
  std::vector<CK_ATTRIBUTE> priv = {{CKA_TOKEN, &yes, sizeof yes},
                                    {CKA_PRIVATE, &yes, sizeof yes},
                                    {CKA_SENSITIVE, &yes, sizeof yes},
                                    {CKA_EXTRACTABLE, &no, sizeof no},
                                    {CKA_SIGN, &yes, sizeof yes},
                                    {CKA_LABEL, l.data(), l.size()},
                                    {CKA_ID, id, sizeof id}};
  CK_MECHANISM mech{};
  CK_ULONG bits = 0;
  unsigned char exponent[] = {0x01, 0x00, 0x01};
  std::vector<unsigned char> curve;
  if (algorithm.starts_with("rsa-")) {
    mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
    unsigned b = 0;
    std::from_chars(algorithm.data() + 4, algorithm.data() + algorithm.size(), b);
    bits = b;
    pub.push_back({CKA_MODULUS_BITS, &bits, sizeof bits});
    pub.push_back({CKA_PUBLIC_EXPONENT, exponent, sizeof exponent});
  } else if (algorithm.starts_with("ec-")) {
    mech.mechanism = CKM_EC_KEY_PAIR_GEN;
    const int nid = algorithm == "ec-p256"   ? NID_X9_62_prime256v1
                    : algorithm == "ec-p384" ? NID_secp384r1
                                             : NID_secp521r1;
    // CKA_EC_PARAMS is the DER of the curve's OID; OpenSSL encodes it.
    const ASN1_OBJECT* oid = OBJ_nid2obj(nid);
    const int len = i2d_ASN1_OBJECT(oid, nullptr);
    curve.resize(static_cast<size_t>(len));
    unsigned char* p = curve.data();
    i2d_ASN1_OBJECT(oid, &p);
    pub.push_back({CKA_EC_PARAMS, curve.data(), curve.size()});
  } else {
    throw TokenError(TokenError::Kind::other,
                     algorithm +
                         ": not supported in a PKCS#11 token (the OpenSSL engine signs "
                         "with RSA and ECDSA only); use rsa-N or ec-pN");
  }
  CK_OBJECT_HANDLE pub_h = CK_INVALID_HANDLE;
  CK_OBJECT_HANDLE priv_h = CK_INVALID_HANDLE;
  if (CK_RV rv = fn_->C_GenerateKeyPair(session_, &mech, pub.data(), pub.size(), priv.data(),
                                        priv.size(), &pub_h, &priv_h);
      rv != CKR_OK) {
    throw TokenError(TokenError::Kind::other, "token \"" + token_ + "\": generating " + algorithm +
                                                  " key \"" + label + "\" failed (" + rv_text(rv) +
                                                  ")");
  }
}

}  // namespace pkirepo::pkcs11
