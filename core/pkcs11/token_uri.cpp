#include "pkcs11/token_uri.h"

#include <p11-kit/uri.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace pkirepo::pkcs11 {

namespace {

struct UriFree {
  void operator()(P11KitUri* u) const { p11_kit_uri_free(u); }
};
using UriPtr = std::unique_ptr<P11KitUri, UriFree>;

// A CK_TOKEN_INFO text field: fixed width, padded with spaces (or zeros when unset).
std::string padded(const CK_UTF8CHAR* field, size_t width) {
  std::string s(reinterpret_cast<const char*>(field), width);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) {
    s.pop_back();
  }
  return s;
}

bool all_unset(const CK_UTF8CHAR* field, size_t width) {
  return std::all_of(field, field + width, [](CK_UTF8CHAR c) { return c == 0; });
}

}  // namespace

bool is_token_reference(std::string_view ref) {
  return ref.starts_with("pkcs11:");
}

TokenUri parse_token_uri(std::string_view text, bool need_object) {
  if (!is_token_reference(text)) {
    throw std::invalid_argument("not a PKCS#11 URI (it must start with \"pkcs11:\")");
  }
  UriPtr uri(p11_kit_uri_new());
  const std::string s(text);
  if (int rc = p11_kit_uri_parse(s.c_str(), P11_KIT_URI_FOR_ANY, uri.get()); rc != P11_KIT_URI_OK) {
    throw std::invalid_argument(std::string("not a valid PKCS#11 URI: ") + p11_kit_uri_message(rc));
  }
  if (p11_kit_uri_any_unrecognized(uri.get()) != 0) {
    throw std::invalid_argument("the URI has an attribute PKCS#11 does not define");
  }
  if (p11_kit_uri_get_pin_value(uri.get()) != nullptr ||
      p11_kit_uri_get_pin_source(uri.get()) != nullptr) {
    throw std::invalid_argument(
        "a PIN does not belong in the URI (the config is readable by more than the signer); "
        "use pin_file or pin_env");
  }
  if (p11_kit_uri_get_module_path(uri.get()) != nullptr) {
    throw std::invalid_argument("module-path does not belong in the URI; use [pkcs11] module");
  }
  const CK_TOKEN_INFO* info = p11_kit_uri_get_token_info(uri.get());
  TokenUri out;
  out.token = padded(info->label, sizeof info->label);
  if (out.token.empty() || all_unset(info->label, sizeof info->label)) {
    throw std::invalid_argument("the URI names no token (add token=LABEL)");
  }
  if (!all_unset(info->serialNumber, sizeof info->serialNumber) ||
      !all_unset(info->manufacturerID, sizeof info->manufacturerID) ||
      !all_unset(info->model, sizeof info->model)) {
    throw std::invalid_argument(
        "pkirepo finds a token by its label only: give token= and object=, no serial, "
        "manufacturer or model");
  }
  if (const CK_ATTRIBUTE* id = p11_kit_uri_get_attribute(uri.get(), CKA_ID); id != nullptr) {
    throw std::invalid_argument("pkirepo finds a key by its label only: give object=, not id=");
  }
  if (const CK_ATTRIBUTE* cls = p11_kit_uri_get_attribute(uri.get(), CKA_CLASS); cls != nullptr) {
    CK_OBJECT_CLASS c = 0;
    if (cls->ulValueLen == sizeof c) {
      std::memcpy(&c, cls->pValue, sizeof c);
    }
    if (c != CKO_PRIVATE_KEY) {
      throw std::invalid_argument("type= must be \"private\" (or left out) for a signing key");
    }
  }
  if (const CK_ATTRIBUTE* label = p11_kit_uri_get_attribute(uri.get(), CKA_LABEL);
      label != nullptr) {
    out.object.assign(static_cast<const char*>(label->pValue), label->ulValueLen);
  }
  if (need_object && out.object.empty()) {
    throw std::invalid_argument("the URI names no key (add object=LABEL)");
  }
  if (!need_object && !out.object.empty()) {
    throw std::invalid_argument(
        "name the token only (token=LABEL): each responder key gets its own object label");
  }
  return out;
}

std::string format_key_uri(const TokenUri& in) {
  UriPtr uri(p11_kit_uri_new());
  CK_TOKEN_INFO* info = p11_kit_uri_get_token_info(uri.get());
  if (in.token.size() > sizeof info->label) {
    throw std::invalid_argument("token label \"" + in.token + "\" is longer than 32 bytes");
  }
  std::memset(info->label, ' ', sizeof info->label);
  std::memcpy(info->label, in.token.data(), in.token.size());
  std::string label = in.object;
  CK_ATTRIBUTE a{CKA_LABEL, label.data(), label.size()};
  p11_kit_uri_set_attribute(uri.get(), &a);
  CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
  CK_ATTRIBUTE t{CKA_CLASS, &cls, sizeof cls};
  p11_kit_uri_set_attribute(uri.get(), &t);
  char* text = nullptr;
  if (p11_kit_uri_format(uri.get(), P11_KIT_URI_FOR_OBJECT_ON_TOKEN, &text) != P11_KIT_URI_OK) {
    throw std::runtime_error("cannot format a PKCS#11 URI for token " + in.token);
  }
  std::string out(text);
  std::free(text);
  return out;
}

}  // namespace pkirepo::pkcs11
