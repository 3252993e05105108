// The names a certificate or certificate request carries (subject commonName and the
// subjectAltName entries), checked against the BR name rules for TLS server certificates and
// RFC 5280 4.2.1.6 for everything else. One implementation shared by issuance (refuse) and
// `lint` (report), like policy/rules.h.
//
// Every function here is pure: it borrows its arguments for the call only, keeps nothing, and
// reports problems as Findings (severity error) instead of throwing — except san_extension(),
// which builds something and throws when it cannot. Values copied into a Finding's message are
// escaped: every octet outside printable ASCII appears as \xHH, so a message never carries
// control characters to a terminal or a log.
//
// Thread-safety: all functions may be called from several threads at once. The Public Suffix
// List is loaded once per process on first use (libpsl's psl_latest(): the newer of the list
// built into libpsl and /usr/share/publicsuffix) and only read afterwards. If no list can be
// loaded, TLS dNSName checks fail closed with a Finding saying so.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/rules.h"
#include "x509/bytes.h"
#include "x509/openssl_ptr.h"

namespace pkirepo::policy {

// Which rules apply to a certificate's names.
struct NameRules {
  // EKU holds serverAuth: BR 7.1.2.7.12 / 7.1.4.2 / 7.1.4.3 apply.
  bool tls_server = false;
  // Policy 2.23.140.1.2.1: the subject holds only CN and C (BR 7.1.2.7.2).
  bool domain_validated = false;
  // Cap on subjectAltName entries; entries past it are reported as one Finding, not checked.
  size_t max_names = 100;
};

// One dNSName (the IA5String's octets, not NUL-terminated). Both modes: preferred name syntax
// (RFC 1034 / RFC 5280 4.2.1.6): labels of 1-63 letters, digits and hyphens, no leading or
// trailing hyphen, at most 253 octets, no trailing dot; a label with hyphens in positions 3-4
// must be a valid A-label ("xn--" + Punycode of a non-ASCII label); '*' only as the whole
// left-most label, followed by at least one more label. TLS adds: the last label is a TLD of
// the public DNS root (the ICANN section of the Public Suffix List; .onion is refused), the
// name is not itself a public suffix, and a wildcard never sits directly on one ("*.co.uk").
// nullopt when the name is acceptable.
[[nodiscard]] std::optional<Finding> check_dns_name(std::string_view name, const NameRules& rules);

// One block of the IANA IPv4 / IPv6 Special-Purpose Address Registries (RFC 6890 and its
// updates; the BRs' "Reserved IP Address"), plus IPv4 and IPv6 multicast.
struct ReservedIpBlock {
  const char* address;   // "10.0.0.0", "fe80::"
  size_t prefix_length;  // 8, 10
  const char* entry;     // registry name and RFC: "private-use, RFC 1918"
};
// The whole table, as data so the CPS can show the same list. IPv4 first; a block nested in
// another comes before it (the first match names the address). Static storage.
inline constexpr ReservedIpBlock kReservedIpBlocks[] = {
    {"0.0.0.0", 8, "this network, RFC 791"},
    {"10.0.0.0", 8, "private-use, RFC 1918"},
    {"100.64.0.0", 10, "shared address space, RFC 6598"},
    {"127.0.0.0", 8, "loopback, RFC 1122"},
    {"169.254.0.0", 16, "link-local, RFC 3927"},
    {"172.16.0.0", 12, "private-use, RFC 1918"},
    {"192.0.0.0", 24, "IETF protocol assignments, RFC 6890"},
    {"192.0.2.0", 24, "documentation (TEST-NET-1), RFC 5737"},
    {"192.31.196.0", 24, "AS112-v4, RFC 7535"},
    {"192.52.193.0", 24, "AMT, RFC 7450"},
    {"192.88.99.0", 24, "deprecated 6to4 relay anycast, RFC 7526"},
    {"192.168.0.0", 16, "private-use, RFC 1918"},
    {"192.175.48.0", 24, "direct delegation AS112 service, RFC 7534"},
    {"198.18.0.0", 15, "benchmarking, RFC 2544"},
    {"198.51.100.0", 24, "documentation (TEST-NET-2), RFC 5737"},
    {"203.0.113.0", 24, "documentation (TEST-NET-3), RFC 5737"},
    {"224.0.0.0", 4, "multicast, RFC 5771"},
    {"255.255.255.255", 32, "limited broadcast, RFC 919"},
    {"240.0.0.0", 4, "reserved, RFC 1112"},
    {"::", 128, "unspecified address, RFC 4291"},
    {"::1", 128, "loopback address, RFC 4291"},
    {"::ffff:0:0", 96, "IPv4-mapped address, RFC 4291"},
    {"64:ff9b::", 96, "IPv4-IPv6 translation, RFC 6052"},
    {"64:ff9b:1::", 48, "IPv4-IPv6 translation, RFC 8215"},
    {"100::", 64, "discard-only address block, RFC 6666"},
    {"2001::", 23, "IETF protocol assignments, RFC 2928"},
    {"2001:db8::", 32, "documentation, RFC 3849"},
    {"2002::", 16, "6to4, RFC 3056"},
    {"2620:4f:8000::", 48, "direct delegation AS112 service, RFC 7534"},
    {"3fff::", 20, "documentation, RFC 9637"},
    {"5f00::", 16, "segment routing (SRv6) SIDs, RFC 9602"},
    {"fc00::", 7, "unique-local, RFC 4193"},
    {"fe80::", 10, "link-local unicast, RFC 4291"},
    {"ff00::", 8, "multicast, RFC 4291"},
};

// One iPAddress value (the OCTET STRING's content). 4 or 16 octets, anything else refused.
// TLS: an address in any block of the IANA IPv4 / IPv6 special-purpose address registries
// (kReservedIpBlocks) is refused, the message naming the block and its registry
// entry ("10.0.0.1 is in 10.0.0.0/8 (private-use, RFC 1918)"). nullopt when acceptable.
[[nodiscard]] std::optional<Finding> check_ip_address(ByteView address, const NameRules& rules);

// All names of a certificate or request. `subject` may be null (treated as empty); `san` is
// the decoded subjectAltName, nullptr when the extension is absent; `san_critical` its
// criticality. Both modes: no empty or control-character values, at most `max_names` entries,
// no duplicates, commonName at most once, a critical SAN exactly when the subject is empty
// (and some SAN when it is).
// TLS: SAN present with dNSName / iPAddress entries only, each per the checks above; the
// commonName, if any, equal to one SAN value (DNS case-insensitively, an IP in its textual
// form); `domain_validated`: no subject attribute other than CN and C. Non-TLS: dNSName,
// rfc822Name (local@domain), URI (absolute; https, http, urn or ldap), iPAddress and otherName
// UPN only. Findings in subject-then-SAN order; empty when everything is acceptable. Rules
// cited: "BR 7.1.2.7.12" (TLS SAN presence, entry types, duplicates), "BR 7.1.4.2" (TLS
// dNSName / iPAddress values), "BR 7.1.4.3" (TLS commonName), "BR 7.1.2.7.2" (DV subject),
// "RFC 5280 4.2.1.6" (criticality; every non-TLS entry), "CPS 7.1.2" (our SAN cap; non-TLS CN).
[[nodiscard]] std::vector<Finding> check_names(const X509_NAME* subject, const GENERAL_NAMES* san,
                                               bool san_critical, const NameRules& rules);

// A subjectAltName extension DER-encoded afresh from the parsed `names` (so a certificate
// never copies a request's extension bytes). The caller owns the result. Throws
// std::runtime_error when `names` is null or OpenSSL cannot encode it.
// Every subjectAltName entry of `cert` as text ("DNS:www.example.com", "IP:192.0.2.1"), escaped
// as in Findings; empty without the extension.
[[nodiscard]] std::vector<std::string> san_entries(const X509* cert);

[[nodiscard]] X509ExtensionPtr san_extension(const GENERAL_NAMES* names, bool critical);

}  // namespace pkirepo::policy
