#include "policy/names.h"

#include <arpa/inet.h>
#include <libpsl.h>
#include <openssl/objects.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>

#include "x509/cert_info.h"

namespace pkirepo::policy {
namespace {

constexpr const char* kSanRule = "BR 7.1.2.7.12";  // TLS subjectAltName: presence, entry types
constexpr const char* kNameRule = "BR 7.1.4.2";    // TLS dNSName / iPAddress values
constexpr const char* kCnRule = "BR 7.1.4.3";
constexpr const char* kDvRule = "BR 7.1.2.7.2";
constexpr const char* kRfcRule = "RFC 5280 4.2.1.6";
constexpr const char* kProfileRule = "CPS 7.1.2";  // our own caps: SAN count, one CN

Finding error(std::string rule, std::string message) {
  return {Severity::error, std::move(rule), std::move(message)};
}

// Names come from requests, i.e. from anyone: nothing outside printable ASCII reaches a
// message unescaped (control characters, and UTF-8 octets that could form C1 controls).
std::string escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c > 0x7e) {
      out += {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
    } else {
      out += c == '\\' || c == '"' ? std::string{'\\', ch} : std::string{ch};
    }
  }
  return out;
}
std::string in_quotes(std::string_view s) {
  return '"' + escape(s) + '"';
}

std::string_view view(const ASN1_STRING* s) {
  return s == nullptr ? std::string_view{}
                      : std::string_view{reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                         static_cast<size_t>(ASN1_STRING_length(s))};
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
  return out;
}
bool printable_no_space(std::string_view s) {
  // char may be signed: octets >= 0x80 are negative and fail the first test.
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}
bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// RFC 3492 6.2 decoding, only to tell whether an "xn--" label is a genuine A-label: the rest
// must be well-formed Punycode that decodes to at least one non-ASCII code point (RFC 5890
// 2.3.2.1). IDNA2008's code point tables are not applied.
bool valid_punycode(std::string_view in) {
  constexpr uint64_t kBase = 36, kTmin = 1, kTmax = 26, kLimit = 0xFFFFFFFF;
  constexpr std::string_view kDigits = "abcdefghijklmnopqrstuvwxyz0123456789";
  const size_t delim = in.rfind('-');
  size_t pos = delim == std::string_view::npos ? 0 : delim + 1;
  uint64_t out_len = delim == std::string_view::npos ? 0 : delim;
  uint64_t n = 128, i = 0, bias = 72;
  if (pos >= in.size()) {
    return false;  // nothing encoded: a plain ASCII label posing as an A-label
  }
  while (pos < in.size()) {
    const uint64_t old_i = i;
    uint64_t w = 1;
    for (uint64_t k = kBase;; k += kBase) {
      if (pos >= in.size()) {
        return false;
      }
      const size_t digit = kDigits.find(lower(in.substr(pos++, 1)));
      if (digit == std::string_view::npos) {
        return false;
      }
      i += digit * w;
      const uint64_t t = k <= bias ? kTmin : (k >= bias + kTmax ? kTmax : k - bias);
      if (i > kLimit || digit < t) {
        break;
      }
      w *= kBase - t;
    }
    if (i > kLimit) {
      return false;
    }
    ++out_len;
    // adapt() of RFC 3492 6.1 (skew 38, damp 700).
    uint64_t delta = old_i == 0 ? (i - old_i) / 700 : (i - old_i) / 2;
    delta += delta / out_len;
    for (bias = 0; delta > ((kBase - kTmin) * kTmax) / 2; bias += kBase) {
      delta /= kBase - kTmin;
    }
    bias += (kBase - kTmin + 1) * delta / (delta + 38);
    n += i / out_len;
    i = i % out_len + 1;
    if (n > 0x10FFFF || (n >= 0xD800 && n <= 0xDFFF)) {
      return false;  // beyond Unicode, or a surrogate
    }
  }
  return true;  // every decoded code point is >= 0x80
}

// RFC 1034 3.5 preferred name syntax for one label: the reason, or nullopt when it is fine.
std::optional<std::string> label_problem(std::string_view label) {
  if (label.empty()) {
    return "empty label (two dots in a row, or a leading dot)";
  }
  if (label.find('*') != std::string_view::npos) {
    return "'*' is allowed only as the whole left-most label";
  }
  if (label.size() > 63) {
    return "label " + in_quotes(label) + " is " + std::to_string(label.size()) +
           " octets long (at most 63)";
  }
  const auto not_ldh = std::find_if(label.begin(), label.end(), [](char c) {
    return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '-');
  });
  if (not_ldh != label.end()) {
    return "label " + in_quotes(label) + " holds '" + escape(std::string_view(&*not_ldh, 1)) +
           "' (letters, digits and hyphens only" +
           (static_cast<unsigned char>(*not_ldh) >= 0x80 ? "; an IDN is written as its A-label)"
                                                         : ")");
  }
  if (label.front() == '-' || label.back() == '-') {
    return "label " + in_quotes(label) + " starts or ends with a hyphen";
  }
  // RFC 5890 2.3.1: hyphens in positions 3 and 4 make a reserved label; only A-labels may be.
  if (label.size() >= 4 && label.substr(2, 2) == "--" &&
      (lower(label.substr(0, 2)) != "xn" || !valid_punycode(label.substr(4)))) {
    return "label " + in_quotes(label) +
           " has hyphens in positions 3 and 4 but is not a valid A-label";
  }
  return std::nullopt;
}

struct PslFree {
  void operator()(psl_ctx_t* p) const noexcept { psl_free(p); }
};
// One list per process: a function-local static is initialised exactly once even when several
// issuing threads arrive together, and lookups only read it.
const psl_ctx_t* public_suffix_list() {
  static const std::unique_ptr<psl_ctx_t, PslFree> psl(psl_latest(nullptr));
  return psl.get();
}
// Explicit ICANN rules only: the implicit "*" rule would make every unknown TLD a suffix.
bool is_icann_suffix(const psl_ctx_t* psl, const std::string& lowercase) {
  return psl_is_public_suffix2(psl, lowercase.c_str(), PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE) != 0;
}

// RFC 3986 dotted decimal / RFC 5952 text: the form BR 7.1.4.3 wants in a commonName.
std::string ip_text(ByteView address) {
  char buf[INET6_ADDRSTRLEN] = {};
  const int af = address.size() == 4 ? AF_INET : AF_INET6;
  if ((address.size() != 4 && address.size() != 16) ||
      inet_ntop(af, address.data(), buf, sizeof buf) == nullptr) {
    return to_hex(address, false, ':');
  }
  return buf;
}

std::string oid_text(const ASN1_OBJECT* obj) {
  char buf[128] = {};
  OBJ_obj2txt(buf, sizeof buf, obj, 0);
  return escape(buf);
}

bool is_upn(const GENERAL_NAME* gn) {
  return gn->type == GEN_OTHERNAME && OBJ_obj2nid(gn->d.otherName->type_id) == NID_ms_upn;
}

// "DNS:www.example.com", "URI:javascript:alert(1)", ... much as OpenSSL prints them; escaped.
std::string entry_text(const GENERAL_NAME* gn) {
  switch (gn->type) {
    case GEN_DNS:
    case GEN_EMAIL:
    case GEN_URI:  // the same IA5String member of the union
      return (gn->type == GEN_DNS   ? "DNS:"
              : gn->type == GEN_URI ? "URI:"
                                    : "email:") +
             escape(view(gn->d.ia5));
    case GEN_IPADD:
      return "IP:" + ip_text(as_bytes(view(gn->d.iPAddress)));
    case GEN_DIRNAME:
      return "DirName:" + escape(name_to_string(gn->d.directoryName));
    case GEN_RID:
      return "RID:" + oid_text(gn->d.registeredID);
    case GEN_OTHERNAME:
      return is_upn(gn) && gn->d.otherName->value->type == V_ASN1_UTF8STRING
                 ? "othername:UPN:" + escape(view(gn->d.otherName->value->value.utf8string))
                 : "othername:" + oid_text(gn->d.otherName->type_id);
    default:
      return gn->type == GEN_X400 ? "X400Name" : "EdiPartyName";
  }
}

// RFC 5280 4.2.1.6: an rfc822Name is a Mailbox (RFC 5321 4.1.2) without display name.
std::optional<std::string> mailbox_problem(std::string_view value) {
  const size_t at = value.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == value.size()) {
    return "not a mailbox (local@domain)";
  }
  if (!printable_no_space(value.substr(0, at)) || at > 64) {
    return "the local part must be 1-64 octets of printable ASCII without spaces";
  }
  const std::string_view domain = value.substr(at + 1);
  if (domain.front() == '*') {
    return "a mailbox domain cannot be a wildcard";
  }
  if (auto f = check_dns_name(domain, NameRules{})) {
    return "the domain is not a host name (" + f->message + ")";
  }
  return std::nullopt;
}

// RFC 5280 4.2.1.6: absolute, with a scheme-specific part and a host when it has an authority;
// and only the schemes a certificate has any business naming.
std::optional<std::string> uri_problem(std::string_view value) {
  if (!printable_no_space(value)) {
    return "holds spaces, control or non-ASCII characters (RFC 3986)";
  }
  const size_t colon = value.find(':');
  const std::string scheme = lower(value.substr(0, colon));
  if (colon == std::string_view::npos || colon == 0) {
    return "not an absolute URI (no scheme)";
  }
  if (scheme != "https" && scheme != "http" && scheme != "urn" && scheme != "ldap") {
    return "scheme " + in_quotes(scheme) + " is not allowed (https, http, urn, ldap)";
  }
  const std::string_view rest = value.substr(colon + 1);
  if (scheme == "urn") {
    return rest.find(':') == std::string_view::npos
               ? std::optional<std::string>("not a URN (urn:NID:NSS)")
               : std::nullopt;
  }
  if (rest.substr(0, 2) != "//" || rest.size() == 2 || rest[2] == '/') {
    return "has no host";
  }
  return std::nullopt;
}

std::optional<Finding> check_entry(const GENERAL_NAME* gn, const NameRules& rules) {
  if (gn->type == GEN_DNS) {
    return check_dns_name(view(gn->d.dNSName), rules);
  }
  if (gn->type == GEN_IPADD) {
    return check_ip_address(as_bytes(view(gn->d.iPAddress)), rules);
  }
  if (rules.tls_server) {
    return error(kSanRule, "subjectAltName entry " + entry_text(gn) +
                               " is not allowed in a TLS server certificate (dNSName and "
                               "iPAddress only)");
  }
  const bool ia5 = gn->type == GEN_EMAIL || gn->type == GEN_URI;
  if (!ia5 && !is_upn(gn)) {
    return error(kRfcRule, "subjectAltName entry " + entry_text(gn) +
                               " is not allowed (dNSName, rfc822Name, URI, iPAddress and "
                               "otherName UPN only)");
  }
  if (!ia5 && gn->d.otherName->value->type != V_ASN1_UTF8STRING) {
    return error(kRfcRule, "otherName UPN is not a UTF8String");
  }
  const std::string_view value = view(ia5 ? gn->d.ia5 : gn->d.otherName->value->value.utf8string);
  const std::string type = gn->type == GEN_EMAIL ? "rfc822Name"
                           : gn->type == GEN_URI ? "URI"
                                                 : "otherName UPN";
  std::optional<std::string> why;
  if (value.empty() || has_control(value)) {
    why = "empty, or holds control characters";
  } else if (gn->type == GEN_EMAIL) {
    why = mailbox_problem(value);
  } else if (gn->type == GEN_URI) {
    why = uri_problem(value);
  } else if (!printable_no_space(value)) {
    why = "not printable ASCII without spaces";
  }
  return why ? std::optional<Finding>(error(kRfcRule, type + " " + in_quotes(value) + ": " + *why))
             : std::nullopt;
}

// A subject attribute's value as UTF-8; nullopt when it does not decode.
std::optional<std::string> utf8(const X509_NAME_ENTRY* entry) {
  unsigned char* out = nullptr;
  const int len = ASN1_STRING_to_UTF8(&out, X509_NAME_ENTRY_get_data(entry));
  const OpenSslBytesPtr owned(out);
  if (len < 0) {
    return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(out), static_cast<size_t>(len));
}

std::string attribute_name(const X509_NAME_ENTRY* entry) {
  const ASN1_OBJECT* obj = X509_NAME_ENTRY_get_object(entry);
  const int nid = OBJ_obj2nid(obj);
  return nid == NID_undef ? oid_text(obj) : OBJ_nid2sn(nid);
}

}  // namespace

std::optional<Finding> check_dns_name(std::string_view name, const NameRules& rules) {
  const auto bad = [&](const char* rule, const std::string& why) {
    return error(rule, "dNSName " + in_quotes(name) + ": " + why);
  };
  const char* syntax = rules.tls_server ? kNameRule : kRfcRule;
  if (name.empty()) {
    return bad(syntax, "empty");
  }
  if (name.size() > 253) {
    return bad(syntax, std::to_string(name.size()) + " octets long (at most 253)");
  }
  if (name.back() == '.') {
    return bad(syntax, "trailing dot (the root label is never encoded)");
  }
  const bool wildcard = name.substr(0, 2) == "*.";
  const std::string_view fqdn = wildcard ? name.substr(2) : name;
  if (name == "*") {
    return bad(syntax, "a wildcard needs a domain after \"*.\"");
  }
  for (size_t start = 0, dot = 0; dot != std::string_view::npos; start = dot + 1) {
    dot = fqdn.find('.', start);
    if (auto why = label_problem(fqdn.substr(start, dot - start))) {  // npos - start: to the end
      return bad(syntax, *why);
    }
  }
  if (!rules.tls_server) {
    return std::nullopt;
  }
  const psl_ctx_t* psl = public_suffix_list();
  if (psl == nullptr) {
    return bad(kNameRule, "cannot be checked: no Public Suffix List could be loaded");
  }
  const std::string domain = lower(fqdn);
  const std::string tld = domain.substr(domain.rfind('.') + 1);  // npos + 1 == 0
  // .onion is in the PSL's ICANN section (RFC 7686 special-use) but not in the DNS root.
  if (tld == "onion" || !is_icann_suffix(psl, tld)) {
    return bad(kNameRule, "Internal Name (\"" + tld + "\" is not a TLD in the public DNS root)");
  }
  if (is_icann_suffix(psl, domain)) {
    return wildcard ? bad(kNameRule, "wildcard directly on the public suffix \"" + domain + "\"")
                    : bad(kNameRule, "a public suffix, not a domain anyone can be validated for");
  }
  return std::nullopt;
}

std::optional<Finding> check_ip_address(ByteView address, const NameRules& rules) {
  if (address.size() != 4 && address.size() != 16) {
    return error(kRfcRule, "iPAddress " + to_hex(address, false, ':') + " has " +
                               std::to_string(address.size()) + " octets (4 or 16 expected)");
  }
  if (!rules.tls_server) {
    return std::nullopt;
  }
  const int family = address.size() == 4 ? AF_INET : AF_INET6;
  for (const ReservedIpBlock& row : kReservedIpBlocks) {
    std::array<uint8_t, 16> prefix{};
    if (inet_pton(family, row.address, prefix.data()) != 1) {
      continue;  // a block of the other family
    }
    bool inside = true;
    for (size_t bit = 0; bit < row.prefix_length && inside; ++bit) {
      const auto mask = static_cast<uint8_t>(0x80 >> (bit % 8));
      inside = (address[bit / 8] & mask) == (prefix[bit / 8] & mask);
    }
    if (inside) {
      return error(kNameRule, "iPAddress " + ip_text(address) + " is in " + row.address + "/" +
                                  std::to_string(row.prefix_length) + " (" + row.entry + ")");
    }
  }
  return std::nullopt;
}

std::vector<Finding> check_names(const X509_NAME* subject, const GENERAL_NAMES* san,
                                 bool san_critical, const NameRules& rules) {
  std::vector<Finding> out;
  const auto fail = [&out](const char* rule, std::string message) {
    out.push_back(error(rule, std::move(message)));
  };
  const bool tls = rules.tls_server;
  const int subject_entries = subject == nullptr ? 0 : X509_NAME_entry_count(subject);

  std::vector<std::string> common_names;
  for (int i = 0; i < subject_entries; ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(subject, i);
    const int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry));
    const std::optional<std::string> value = utf8(entry);
    if (nid == NID_commonName) {
      if (!value || value->empty() || has_control(*value)) {
        fail(tls ? kCnRule : kProfileRule, "commonName " + in_quotes(value.value_or("")) +
                                               " is empty, does not decode or holds control "
                                               "characters");
      }
      common_names.push_back(value.value_or(""));
    } else if (rules.domain_validated && nid != NID_countryName) {
      // BR 7.1.2.7.2: a DV subject is commonName and countryName at most.
      fail(kDvRule, "subject attribute " + attribute_name(entry) + "=" +
                        escape(value.value_or("?")) +
                        " is not allowed in a domain-validated certificate "
                        "(commonName and countryName only)");
    }
  }
  if (common_names.size() > 1) {
    fail(tls ? kCnRule : kProfileRule, "subject holds " + std::to_string(common_names.size()) +
                                           " commonName attributes (at most one)");
  }

  // RFC 5280 4.2.1.6: critical exactly when the subject is empty (MUST / SHOULD NOT otherwise).
  if (san == nullptr) {
    if (tls) {
      fail(kSanRule,
           "no subjectAltName extension (a TLS server certificate "
           "names its domains and addresses there)");
    } else if (subject_entries == 0) {
      fail(kRfcRule, "the subject is empty and there is no subjectAltName");
    }
    return out;
  }
  if (san_critical && subject_entries > 0) {
    fail(kRfcRule, "subjectAltName is critical although the subject is not empty");
  } else if (!san_critical && subject_entries == 0) {
    fail(kRfcRule, "subjectAltName must be critical when the subject is empty");
  }
  const size_t count = static_cast<size_t>(sk_GENERAL_NAME_num(san));
  if (count == 0) {
    fail(tls ? kSanRule : kRfcRule, "subjectAltName has no entries");
  }
  if (count > rules.max_names) {
    fail(kProfileRule, "subjectAltName holds " + std::to_string(count) + " entries (at most " +
                           std::to_string(rules.max_names) + ")");
  }

  // Entries past the cap are not looked at: the request is refused anyway, and a hostile one
  // must not buy thousands of findings.
  std::set<std::string> seen, reported;
  bool cn_matched = false;
  for (size_t i = 0; i < count && i < rules.max_names; ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(san, static_cast<int>(i));
    if (auto f = check_entry(gn, rules)) {
      out.push_back(std::move(*f));
    }
    // DNS names compare without case (RFC 4343); entry_text() is prefixed with the type.
    const std::string key =
        gn->type == GEN_DNS ? "DNS:" + lower(view(gn->d.dNSName)) : entry_text(gn);
    if (!seen.insert(key).second && reported.insert(key).second) {
      fail(tls ? kSanRule : kRfcRule, "subjectAltName holds " + entry_text(gn) + " more than once");
    }
    const std::string cn = common_names.empty() ? "" : common_names.front();
    cn_matched |= (gn->type == GEN_DNS && lower(cn) == lower(view(gn->d.dNSName))) ||
                  (gn->type == GEN_IPADD && cn == ip_text(as_bytes(view(gn->d.iPAddress))));
  }
  // BR 7.1.4.3: the commonName repeats one of the SAN values.
  if (tls && common_names.size() == 1 && !cn_matched && count <= rules.max_names) {
    fail(kCnRule, "commonName " + in_quotes(common_names.front()) +
                      " is not one of the subjectAltName values");
  }
  return out;
}

X509ExtensionPtr san_extension(const GENERAL_NAMES* names, bool critical) {
  if (names == nullptr) {
    throw std::runtime_error("subjectAltName: no names to encode");
  }
  // X509V3_EXT_i2d encodes from the parsed structure; it does not modify `names`.
  X509ExtensionPtr ext(
      X509V3_EXT_i2d(NID_subject_alt_name, critical ? 1 : 0, const_cast<GENERAL_NAMES*>(names)));
  if (!ext) {
    throw std::runtime_error("subjectAltName: cannot encode: " + openssl_error());
  }
  return ext;
}

std::vector<std::string> san_entries(const X509* cert) {
  std::vector<std::string> out;
  std::unique_ptr<GENERAL_NAMES, decltype(&GENERAL_NAMES_free)> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)),
      &GENERAL_NAMES_free);
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    out.push_back(entry_text(sk_GENERAL_NAME_value(names.get(), i)));
  }
  return out;
}

}  // namespace pkirepo::policy
