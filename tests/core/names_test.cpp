#include "policy/names.h"

#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "x509/cert_info.h"

using namespace pkirepo;
using namespace pkirepo::policy;

namespace {

const NameRules kTls{true, false, 100};
const NameRules kDv{true, true, 100};
const NameRules kOther{false, false, 100};

Bytes ip_bytes(const std::string& text) {
  Bytes out(16);
  if (inet_pton(AF_INET, text.c_str(), out.data()) == 1) {
    out.resize(4);
  } else {
    REQUIRE(inet_pton(AF_INET6, text.c_str(), out.data()) == 1);
  }
  return out;
}

// Appends one entry written "TYPE:value" (DNS, IP, email, URI, UPN, DirName; RAW5 is a
// 5-octet iPAddress) to `names`, which owns it from then on.
void add(GENERAL_NAMES* names, const std::string& spec) {
  const size_t colon = spec.find(':');
  const std::string type = spec.substr(0, colon);
  const std::string value = spec.substr(colon + 1);
  GENERAL_NAME* gn = GENERAL_NAME_new();
  REQUIRE(sk_GENERAL_NAME_push(names, gn) > 0);
  if (type == "DirName") {
    GENERAL_NAME_set0_value(gn, GEN_DIRNAME, parse_name(value).release());
    return;
  }
  ASN1_STRING* s = ASN1_STRING_type_new(type == "IP" || type == "RAW5" ? V_ASN1_OCTET_STRING
                                        : type == "UPN"                ? V_ASN1_UTF8STRING
                                                                       : V_ASN1_IA5STRING);
  if (type == "IP") {
    const Bytes b = ip_bytes(value);
    ASN1_STRING_set(s, b.data(), static_cast<int>(b.size()));
  } else if (type == "RAW5") {
    ASN1_STRING_set(s, "\x01\x02\x03\x04\x05", 5);
  } else {
    ASN1_STRING_set(s, value.data(), static_cast<int>(value.size()));
  }
  if (type == "UPN") {
    ASN1_TYPE* any = ASN1_TYPE_new();
    ASN1_TYPE_set(any, V_ASN1_UTF8STRING, s);
    GENERAL_NAME_set0_othername(gn, OBJ_nid2obj(NID_ms_upn), any);
    return;
  }
  const int gen = type == "DNS"     ? GEN_DNS
                  : type == "email" ? GEN_EMAIL
                  : type == "URI"   ? GEN_URI
                                    : GEN_IPADD;
  GENERAL_NAME_set0_value(gn, gen, s);
}

GeneralNamesPtr sans(const std::vector<std::string>& specs) {
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  for (const std::string& spec : specs) {
    add(names.get(), spec);
  }
  return names;
}

// "CN=a,O=b" in parse_name()'s syntax (repeats allowed); "" is the empty subject.
X509NamePtr subject(const std::string& text) {
  return text.empty() ? X509NamePtr(X509_NAME_new()) : parse_name(text);
}

std::vector<std::string> messages(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const Finding& f : findings) {
    out.push_back(f.rule + ": " + f.message);
  }
  return out;
}

std::vector<std::string> names_of(const std::string& subject_text,
                                  const std::vector<std::string>& san, bool critical,
                                  const NameRules& rules = kTls) {
  const X509NamePtr name = subject(subject_text);
  const GeneralNamesPtr names = sans(san);
  return messages(check_names(name.get(), names.get(), critical, rules));
}

struct Refusal {
  std::string value;
  const char* rule;
  std::string message;
};

}  // namespace

TEST_CASE("TLS dNSName refusals name the value and the reason", "[names]") {
  const std::string label64(64, 'a');
  const std::string name254 = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                              std::string(63, 'c') + "." + std::string(58, 'd') + ".com";
  REQUIRE(name254.size() == 254);
  const std::vector<Refusal> cases = {
      {"*.com", "BR 7.1.4.2", "dNSName \"*.com\": wildcard directly on the public suffix \"com\""},
      {"*.co.uk", "BR 7.1.4.2",
       "dNSName \"*.co.uk\": wildcard directly on the public suffix \"co.uk\""},
      {"*.foo.ck", "BR 7.1.4.2",
       "dNSName \"*.foo.ck\": wildcard directly on the public suffix \"foo.ck\""},
      {"co.uk", "BR 7.1.4.2",
       "dNSName \"co.uk\": a public suffix, not a domain anyone can be validated for"},
      {"localhost", "BR 7.1.4.2",
       "dNSName \"localhost\": Internal Name (\"localhost\" is not a TLD in the public DNS root)"},
      {"intranet", "BR 7.1.4.2",
       "dNSName \"intranet\": Internal Name (\"intranet\" is not a TLD in the public DNS root)"},
      {"a.local", "BR 7.1.4.2",
       "dNSName \"a.local\": Internal Name (\"local\" is not a TLD in the public DNS root)"},
      {"x.internal", "BR 7.1.4.2",
       "dNSName \"x.internal\": Internal Name (\"internal\" is not a TLD in the public DNS root)"},
      {"shop.example.test", "BR 7.1.4.2",
       "dNSName \"shop.example.test\": Internal Name (\"test\" is not a TLD in the public DNS "
       "root)"},
      {"xn--bcher-kva.example", "BR 7.1.4.2",
       "dNSName \"xn--bcher-kva.example\": Internal Name (\"example\" is not a TLD in the public "
       "DNS root)"},
      {"abc.onion", "BR 7.1.4.2",
       "dNSName \"abc.onion\": Internal Name (\"onion\" is not a TLD in the public DNS root)"},
      {"a_b.example.com", "BR 7.1.4.2",
       "dNSName \"a_b.example.com\": label \"a_b\" holds '_' (letters, digits and hyphens only)"},
      {label64 + ".example.com", "BR 7.1.4.2",
       "dNSName \"" + label64 + ".example.com\": label \"" + label64 +
           "\" is 64 octets long (at most 63)"},
      {name254, "BR 7.1.4.2", "dNSName \"" + name254 + "\": 254 octets long (at most 253)"},
      {"*.*.example.com", "BR 7.1.4.2",
       "dNSName \"*.*.example.com\": '*' is allowed only as the whole left-most label"},
      {"f*.example.com", "BR 7.1.4.2",
       "dNSName \"f*.example.com\": '*' is allowed only as the whole left-most label"},
      {"*", "BR 7.1.4.2", "dNSName \"*\": a wildcard needs a domain after \"*.\""},
      {"example.com.", "BR 7.1.4.2",
       "dNSName \"example.com.\": trailing dot (the root label is never encoded)"},
      {"a..example.com", "BR 7.1.4.2",
       "dNSName \"a..example.com\": empty label (two dots in a row, or a leading dot)"},
      {"-a.example.com", "BR 7.1.4.2",
       "dNSName \"-a.example.com\": label \"-a\" starts or ends with a hyphen"},
      {"ex ample.com", "BR 7.1.4.2",
       "dNSName \"ex ample.com\": label \"ex ample\" holds ' ' (letters, digits and hyphens "
       "only)"},
      {"", "BR 7.1.4.2", "dNSName \"\": empty"},
      {std::string("a\0b.example.com", 15), "BR 7.1.4.2",
       "dNSName \"a\\x00b.example.com\": label \"a\\x00b\" holds '\\x00' (letters, digits and "
       "hyphens only)"},
      {"b\xc3\xbc"
       "cher.example.com",
       "BR 7.1.4.2",
       "dNSName \"b\\xc3\\xbccher.example.com\": label \"b\\xc3\\xbccher\" holds '\\xc3' "
       "(letters, digits and hyphens only; an IDN is written as its A-label)"},
      {"ab--c.example.com", "BR 7.1.4.2",
       "dNSName \"ab--c.example.com\": label \"ab--c\" has hyphens in positions 3 and 4 but is not "
       "a "
       "valid A-label"},
      {"xn--zz.example.com", "BR 7.1.4.2",
       "dNSName \"xn--zz.example.com\": label \"xn--zz\" has hyphens in positions 3 and 4 but is "
       "not "
       "a valid A-label"},
      {"xn--abc-.example.com", "BR 7.1.4.2",
       "dNSName \"xn--abc-.example.com\": label \"xn--abc-\" starts or ends with a hyphen"},
  };
  for (const Refusal& c : cases) {
    CAPTURE(c.value);
    const std::optional<Finding> f = check_dns_name(c.value, kTls);
    REQUIRE(f);
    CHECK(f->severity == Severity::error);
    CHECK(f->rule == c.rule);
    CHECK(f->message == c.message);
  }
}

TEST_CASE("dNSNames accepted for TLS, and internal names outside TLS", "[names]") {
  for (const char* name :
       {"www.example.com", "*.example.com", "xn--bcher-kva.example.com", "a.b.c.example.co.uk",
        "WWW.Example.COM", "*.github.io", "example.de", "x-1.example.xn--p1ai"}) {
    CAPTURE(name);
    CHECK_FALSE(check_dns_name(name, kTls));
  }
  for (const char* name :
       {"intranet", "x.local", "xn--bcher-kva.example", "*.intranet", "www.example.com"}) {
    CAPTURE(name);
    CHECK_FALSE(check_dns_name(name, kOther));
  }
  // Syntax and wildcard shape still apply outside TLS, under RFC 5280.
  const auto f = check_dns_name("a_b.intranet", kOther);
  REQUIRE(f);
  CHECK(f->rule == "RFC 5280 4.2.1.6");
  CHECK(check_dns_name("f*.intranet", kOther));
  CHECK(check_dns_name("example.com.", kOther));
}

TEST_CASE("iPAddress: the IANA special-purpose registries are refused for TLS", "[names]") {
  const std::vector<Refusal> cases = {
      {"10.0.0.1", "BR 7.1.4.2", "iPAddress 10.0.0.1 is in 10.0.0.0/8 (private-use, RFC 1918)"},
      {"127.0.0.1", "BR 7.1.4.2", "iPAddress 127.0.0.1 is in 127.0.0.0/8 (loopback, RFC 1122)"},
      {"192.168.1.1", "BR 7.1.4.2",
       "iPAddress 192.168.1.1 is in 192.168.0.0/16 (private-use, RFC 1918)"},
      {"169.254.1.1", "BR 7.1.4.2",
       "iPAddress 169.254.1.1 is in 169.254.0.0/16 (link-local, RFC 3927)"},
      {"172.31.255.255", "BR 7.1.4.2",
       "iPAddress 172.31.255.255 is in 172.16.0.0/12 (private-use, RFC 1918)"},
      {"100.127.0.1", "BR 7.1.4.2",
       "iPAddress 100.127.0.1 is in 100.64.0.0/10 (shared address space, RFC 6598)"},
      {"198.19.255.1", "BR 7.1.4.2",
       "iPAddress 198.19.255.1 is in 198.18.0.0/15 (benchmarking, RFC 2544)"},
      {"239.1.2.3", "BR 7.1.4.2", "iPAddress 239.1.2.3 is in 224.0.0.0/4 (multicast, RFC 5771)"},
      {"255.255.255.255", "BR 7.1.4.2",
       "iPAddress 255.255.255.255 is in 255.255.255.255/32 (limited broadcast, RFC 919)"},
      {"2001:db8::1", "BR 7.1.4.2",
       "iPAddress 2001:db8::1 is in 2001:db8::/32 (documentation, RFC 3849)"},
      {"fe80::1", "BR 7.1.4.2", "iPAddress fe80::1 is in fe80::/10 (link-local unicast, RFC 4291)"},
      {"::1", "BR 7.1.4.2", "iPAddress ::1 is in ::1/128 (loopback address, RFC 4291)"},
      {"::", "BR 7.1.4.2", "iPAddress :: is in ::/128 (unspecified address, RFC 4291)"},
      {"::ffff:8.8.8.8", "BR 7.1.4.2",
       "iPAddress ::ffff:8.8.8.8 is in ::ffff:0:0/96 (IPv4-mapped address, RFC 4291)"},
      {"2001:1ff::1", "BR 7.1.4.2",
       "iPAddress 2001:1ff::1 is in 2001::/23 (IETF protocol assignments, RFC 2928)"},
      {"fd12::1", "BR 7.1.4.2", "iPAddress fd12::1 is in fc00::/7 (unique-local, RFC 4193)"},
      {"ff02::1", "BR 7.1.4.2", "iPAddress ff02::1 is in ff00::/8 (multicast, RFC 4291)"},
  };
  for (const Refusal& c : cases) {
    CAPTURE(c.value);
    const std::optional<Finding> f = check_ip_address(ip_bytes(c.value), kTls);
    REQUIRE(f);
    CHECK(f->rule == c.rule);
    CHECK(f->message == c.message);
    CHECK_FALSE(check_ip_address(ip_bytes(c.value), kOther));
  }
  for (const char* ok : {"8.8.8.8", "1.1.1.1", "172.32.0.1", "2606:4700::1111", "2001:200::1"}) {
    CAPTURE(ok);
    CHECK_FALSE(check_ip_address(ip_bytes(ok), kTls));
  }
  const Bytes five = {1, 2, 3, 4, 5};
  for (const NameRules& rules : {kTls, kOther}) {
    const auto f = check_ip_address(five, rules);
    REQUIRE(f);
    CHECK(f->rule == "RFC 5280 4.2.1.6");
    CHECK(f->message == "iPAddress 01:02:03:04:05 has 5 octets (4 or 16 expected)");
  }
}

TEST_CASE("check_names: TLS certificate names", "[names]") {
  std::vector<std::string> many;
  for (int i = 0; i < 101; ++i) {
    many.push_back("DNS:h" + std::to_string(i) + ".example.com");
  }
  using V = std::vector<std::string>;
  // Accepted: CN in another case, CN as an IP's text, empty subject with a critical SAN.
  CHECK(names_of("CN=WWW.Example.com,C=US",
                 {"DNS:www.example.com", "DNS:*.example.com", "IP:8.8.8.8", "IP:2606:4700::1111"},
                 false, kDv)
            .empty());
  CHECK(names_of("CN=8.8.8.8", {"IP:8.8.8.8"}, false).empty());
  CHECK(names_of("", {"DNS:www.example.com"}, true).empty());
  CHECK(names_of("CN=www.example.com", {"DNS:www.example.com", "URI:javascript:alert(1)"}, false) ==
        V{"BR 7.1.2.7.12: subjectAltName entry URI:javascript:alert(1) is not allowed in a TLS "
          "server certificate (dNSName and iPAddress only)"});
  CHECK(names_of("", {"email:a@example.com"}, true) ==
        V{"BR 7.1.2.7.12: subjectAltName entry email:a@example.com is not allowed in a TLS "
          "server certificate (dNSName and iPAddress only)"});
  CHECK(names_of("CN=www.example.com", {"DNS:www.example.com"}, true) ==
        V{"RFC 5280 4.2.1.6: subjectAltName is critical although the subject is not empty"});
  CHECK(names_of("", {"DNS:www.example.com"}, false) ==
        V{"RFC 5280 4.2.1.6: subjectAltName must be critical when the subject is empty"});
  CHECK(names_of("CN=other.example.com", {"DNS:www.example.com"}, false) ==
        V{"BR 7.1.4.3: commonName \"other.example.com\" is not one of the subjectAltName "
          "values"});
  CHECK(names_of("CN=www.example.com,CN=www.example.com", {"DNS:www.example.com"}, false) ==
        V{"BR 7.1.4.3: subject holds 2 commonName attributes (at most one)"});
  CHECK(names_of("CN=www.example.com,O=Google LLC,C=US", {"DNS:www.example.com"}, false, kDv) ==
        V{"BR 7.1.2.7.2: subject attribute O=Google LLC is not allowed in a domain-validated "
          "certificate (commonName and countryName only)"});
  CHECK(names_of("", many, true) == V{"CPS 7.1.2: subjectAltName holds 101 entries (at most 100)"});
  CHECK(names_of("", {"DNS:www.example.com", "IP:8.8.8.8", "DNS:WWW.example.com"}, true) ==
        V{"BR 7.1.2.7.12: subjectAltName holds DNS:WWW.example.com more than once"});
  CHECK(names_of("", {}, true) == V{"BR 7.1.2.7.12: subjectAltName has no entries"});
  CHECK(names_of("", {"DNS:localhost", "IP:10.0.0.1", "RAW5:"}, true) ==
        V{"BR 7.1.4.2: dNSName \"localhost\": Internal Name (\"localhost\" is not a TLD in the "
          "public DNS root)",
          "BR 7.1.4.2: iPAddress 10.0.0.1 is in 10.0.0.0/8 (private-use, RFC 1918)",
          "RFC 5280 4.2.1.6: iPAddress 01:02:03:04:05 has 5 octets (4 or 16 expected)"});
  const X509NamePtr cn = subject("CN=www.example.com");
  CHECK(messages(check_names(cn.get(), nullptr, false, kTls)) ==
        V{"BR 7.1.2.7.12: no subjectAltName extension (a TLS server certificate names its "
          "domains and addresses there)"});
  const GeneralNamesPtr one = sans({"DNS:www.example.com"});
  CHECK(check_names(nullptr, one.get(), true, kTls).empty());  // a null subject is empty
}

TEST_CASE("check_names: names outside TLS", "[names]") {
  struct Case {
    std::string entry;
    std::string expected;  // "" = accepted
  };
  const std::vector<Case> cases = {
      {"email:user@example.com", ""},
      {"email:first.last+tag@mail.intranet", ""},
      {"DNS:intranet", ""},
      {"IP:10.0.0.1", ""},
      {"URI:https://www.example.com/path", ""},
      {"URI:ldap://ldap.example.com/cn=x", ""},
      {"URI:urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6", ""},
      {"UPN:user@corp.example", ""},
      {"email:not an email", "rfc822Name \"not an email\": not a mailbox (local@domain)"},
      {"email:@example.com", "rfc822Name \"@example.com\": not a mailbox (local@domain)"},
      {"email:a b@example.com",
       "rfc822Name \"a b@example.com\": the local part must be 1-64 octets of printable ASCII "
       "without spaces"},
      {"email:a@ex_ample.com",
       "rfc822Name \"a@ex_ample.com\": the domain is not a host name (dNSName \"ex_ample.com\": "
       "label \"ex_ample\" holds '_' (letters, digits and hyphens only))"},
      {std::string("email:a\x01@example.com", 20),
       "rfc822Name \"a\\x01@example.com\": empty, or holds control characters"},
      {"email:", "rfc822Name \"\": empty, or holds control characters"},
      {"URI:javascript:alert(1)",
       "URI \"javascript:alert(1)\": scheme \"javascript\" is not allowed (https, http, urn, "
       "ldap)"},
      {"URI:/relative/path", "URI \"/relative/path\": not an absolute URI (no scheme)"},
      {"URI:https://exa mple.com",
       "URI \"https://exa mple.com\": holds spaces, control or non-ASCII characters (RFC 3986)"},
      {"URI:https:///path", "URI \"https:///path\": has no host"},
      {"UPN:", "otherName UPN \"\": empty, or holds control characters"},
      {"DirName:CN=x",
       "subjectAltName entry DirName:CN=x is not allowed (dNSName, rfc822Name, URI, iPAddress "
       "and otherName UPN only)"},
      {"DNS:a_b.intranet",
       "dNSName \"a_b.intranet\": label \"a_b\" holds '_' (letters, digits and hyphens only)"},
  };
  const X509NamePtr name = subject("CN=Some User");
  for (const Case& c : cases) {
    CAPTURE(c.entry);
    const GeneralNamesPtr names = sans({c.entry});
    const auto findings = check_names(name.get(), names.get(), false, kOther);
    if (c.expected.empty()) {
      CHECK(findings.empty());
    } else {
      REQUIRE(findings.size() == 1);
      CHECK(findings[0].rule == "RFC 5280 4.2.1.6");
      CHECK(findings[0].message == c.expected);
    }
  }
  // Caps and CN count hold outside TLS too; the CN need not be a SAN value.
  const X509NamePtr two = subject("CN=a,CN=b");
  const GeneralNamesPtr one = sans({"email:a@example.com"});
  CHECK(messages(check_names(two.get(), one.get(), false, kOther)) ==
        std::vector<std::string>{"CPS 7.1.2: subject holds 2 commonName attributes (at most one)"});
  CHECK(messages(check_names(nullptr, nullptr, false, kOther)) ==
        std::vector<std::string>{
            "RFC 5280 4.2.1.6: the subject is empty and there is no subjectAltName"});
  CHECK(check_names(name.get(), nullptr, false, kOther).empty());
}

TEST_CASE("san_extension re-encodes the parsed names", "[names]") {
  const GeneralNamesPtr names =
      sans({"DNS:www.example.com", "IP:8.8.8.8", "IP:2606:4700::1111", "email:a@example.com",
            "URI:https://example.com/", "UPN:user@corp.example", "DirName:CN=x,O=y"});
  for (const bool critical : {false, true}) {
    const X509ExtensionPtr ext = san_extension(names.get(), critical);
    REQUIRE(ext);
    CHECK(OBJ_obj2nid(X509_EXTENSION_get_object(ext.get())) == NID_subject_alt_name);
    CHECK((X509_EXTENSION_get_critical(ext.get()) == 1) == critical);
    const GeneralNamesPtr back(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(ext.get())));
    REQUIRE(back);
    REQUIRE(sk_GENERAL_NAME_num(back.get()) == sk_GENERAL_NAME_num(names.get()));
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
      CAPTURE(i);
      CHECK(GENERAL_NAME_cmp(sk_GENERAL_NAME_value(back.get(), i),
                             sk_GENERAL_NAME_value(names.get(), i)) == 0);
    }
  }
  CHECK_THROWS_AS(san_extension(nullptr, false), std::runtime_error);
}
