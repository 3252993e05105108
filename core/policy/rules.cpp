#include "policy/rules.h"

#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <ctime>

#include "policy/names.h"
#include "x509/cert_info.h"

namespace pkirepo::policy {
namespace {

constexpr UnixTime k2014 = 1388534400;     // 2014-01-01T00:00:00Z
constexpr UnixTime k2030End = 1924991999;  // 2030-12-31T23:59:59Z

Finding error(std::string rule, std::string message) {
  return {Severity::error, std::move(rule), std::move(message)};
}
Finding warning(std::string rule, std::string message) {
  return {Severity::warning, std::move(rule), std::move(message)};
}

bool is_ca_type(CertType t) {
  return t == CertType::root || t == CertType::subordinate_ca || t == CertType::issuing_ca;
}

UnixTime add_months(UnixTime t, int months) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  int day = tm.tm_mday;
  tm.tm_mon += months;
  tm.tm_mday = 1;
  UnixTime first = static_cast<UnixTime>(timegm(&tm));
  // Clamp the day to the target month's length (Jan 31 + 1 month = Feb 28/29).
  std::time_t ft = static_cast<std::time_t>(first);
  std::tm target{};
  gmtime_r(&ft, &target);
  static constexpr int lengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int year = target.tm_year + 1900;
  int len = lengths[target.tm_mon];
  if (target.tm_mon == 1 && (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))) {
    len = 29;
  }
  return first + static_cast<UnixTime>(std::min(day, len) - 1) * 86400 +
         (t % 86400 + 86400) % 86400;
}

// Primes below 752 (BR 6.1.6 asks for no factors smaller than 752).
std::vector<BN_ULONG> small_primes() {
  std::vector<BN_ULONG> primes;
  for (BN_ULONG n = 2; n < 752; ++n) {
    bool prime = true;
    for (BN_ULONG d = 2; d * d <= n; ++d) {
      if (n % d == 0) {
        prime = false;
        break;
      }
    }
    if (prime) {
      primes.push_back(n);
    }
  }
  return primes;
}

void check_rsa(const EVP_PKEY* key, std::vector<Finding>& out) {
  BIGNUM* n_raw = nullptr;
  BIGNUM* e_raw = nullptr;
  EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n_raw);
  EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e_raw);
  BignumPtr n(n_raw);
  BignumPtr e(e_raw);
  if (!n || !e) {
    out.push_back(error("BR 6.1.6", "RSA key parameters cannot be read"));
    return;
  }
  if (!BN_is_odd(n.get())) {
    out.push_back(error("BR 6.1.6", "RSA modulus is even"));
  } else {
    static const std::vector<BN_ULONG> primes = small_primes();
    for (BN_ULONG p : primes) {
      if (BN_mod_word(n.get(), p) == 0) {
        out.push_back(error("BR 6.1.6", "RSA modulus has the small prime factor " +
                                            std::to_string(p) + " (must have none below 752)"));
        break;
      }
    }
  }
  // 2^16 + 1 <= e <= 2^256 - 1, e odd.
  if (!BN_is_odd(e.get()) || BN_num_bits(e.get()) > 256 || BN_cmp(e.get(), BN_value_one()) == 0 ||
      BN_num_bits(e.get()) < 17) {
    OpenSslCharsPtr dec(BN_bn2dec(e.get()));
    std::string es = dec ? dec.get() : "?";
    out.push_back(error("BR 6.1.6", "RSA public exponent " + es +
                                        " is not an odd number between 2^16+1 and 2^256-1"));
  }
}

void check_ec_point(const EVP_PKEY* key, std::vector<Finding>& out) {
  // The public half as a relying party receives it (SubjectPublicKeyInfo): a token key's
  // EVP_PKEY belongs to the pkcs11 engine, which has no public-key check of its own.
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  const unsigned char* p = der;
  EvpPkeyPtr pub(len > 0 ? d2i_PUBKEY(nullptr, &p, len) : nullptr);
  OPENSSL_free(der);
  EvpPkeyCtxPtr ctx(pub ? EVP_PKEY_CTX_new_from_pkey(nullptr, pub.get(), nullptr) : nullptr);
  // Partial validation (SP 800-56A 5.6.2.3.4: on the curve, not at infinity) is complete for the
  // prime-order P-curves; the full check's extra scalar multiplication adds nothing there.
  if (!ctx || EVP_PKEY_public_check_quick(ctx.get()) != 1) {
    (void)openssl_error();
    out.push_back(error("BR 6.1.1.3", "EC public key is not a valid point on its curve"));
  }
}

bool has_policy(const X509* cert, const char* oid) {
  CertificatePoliciesPtr policies(static_cast<CERTIFICATEPOLICIES*>(
      X509_get_ext_d2i(cert, NID_certificate_policies, nullptr, nullptr)));
  bool found = false;
  char text[80];
  for (int i = 0; !found && i < sk_POLICYINFO_num(policies.get()); ++i) {
    OBJ_obj2txt(text, sizeof text, sk_POLICYINFO_value(policies.get(), i)->policyid, 1);
    found = std::strcmp(text, oid) == 0;
  }
  return found;
}

}  // namespace

const std::vector<KeySizeRule>& key_size_table() {
  static const std::vector<KeySizeRule> table = {
      {"Root CA", "created after 2014-01-01", 4096, {"P-384", "P-521"}, "ML-DSA-87", true, true},
      {"Root CA",
       "expiring before 2030-12-31",
       2048,
       {"P-256", "P-384", "P-521"},
       "ML-DSA-87",
       true,
       false},
      {"Root CA", "expiring after 2030-12-31", 4096, {"P-384", "P-521"}, "ML-DSA-87", true, true},
      {"Subordinate / issuing CA",
       "created after 2014-01-01",
       4096,
       {"P-384", "P-521"},
       "ML-DSA-44 or stronger",
       true,
       true},
      {"Subordinate / issuing CA",
       "expiring before 2030-12-31",
       2048,
       {"P-256", "P-384", "P-521"},
       "ML-DSA-44 or stronger",
       true,
       false},
      {"Subordinate / issuing CA",
       "expiring after 2030-12-31",
       4096,
       {"P-384", "P-521"},
       "ML-DSA-44 or stronger",
       true,
       true},
      {"Subscriber",
       "created after 2014-01-01 / expiring before 2030-12-31",
       2048,
       {"P-256", "P-384", "P-521"},
       "ML-DSA-44 or stronger",
       false,
       false},
      {"Subscriber",
       "expiring after 2030-12-31",
       4096,
       {"P-256", "P-384", "P-521"},
       "ML-DSA-44 or stronger",
       false,
       true},
  };
  return table;
}

const char* cert_type_name(CertType t) {
  switch (t) {
    case CertType::root:
      return "root CA";
    case CertType::subordinate_ca:
      return "subordinate CA";
    case CertType::issuing_ca:
      return "issuing CA";
    case CertType::subscriber:
      return "subscriber";
    case CertType::ocsp_responder:
      return "OCSP responder";
  }
  return "?";
}

std::vector<Finding> check_public_key(const EVP_PKEY* key, CertType type, UnixTime not_before,
                                      UnixTime not_after) {
  std::vector<Finding> out;
  KeyDescription d = describe_key(key);
  // The stricter row applies: CA certificates created after 2014 need the strong column
  // whatever their expiry; the relaxed row only covers legacy CAs that expire by 2030-12-31.
  bool ca = is_ca_type(type);
  bool strong;
  if (ca) {
    strong = not_before >= k2014 || not_after > k2030End;
  } else {
    strong = not_after > k2030End;
  }
  const std::string who = std::string(cert_type_name(type)) + " key ";
  // The table row that applies: the first one for this kind of certificate and strength.
  const KeySizeRule* row = nullptr;
  for (const KeySizeRule& r : key_size_table()) {
    if (r.ca == ca && r.strong == strong) {
      row = &r;
      break;
    }
  }
  switch (d.type) {
    case KeyType::rsa: {
      int min = row->min_rsa_bits;
      if (d.bits < min) {
        out.push_back(error("CPS 6.1.5", who + d.text + " is below the minimum RSA " +
                                             std::to_string(min) + " for this certificate"));
      }
      check_rsa(key, out);
      break;
    }
    case KeyType::ec: {
      bool ok = std::find(row->curves.begin(), row->curves.end(), d.curve) != row->curves.end();
      if (!ok) {
        std::string allowed;
        for (size_t i = 0; i < row->curves.size(); ++i) {
          allowed += (i == 0 ? "" : i + 1 == row->curves.size() ? " or " : ", ") + row->curves[i];
        }
        out.push_back(
            error("CPS 6.1.5", who + d.text + " is not allowed (" + allowed + " required)"));
      } else {
        check_ec_point(key, out);
      }
      break;
    }
    case KeyType::ml_dsa:
      out.push_back(error(
          "CPS 6.1.5", who + d.text + ": ML-DSA needs OpenSSL 3.5 or later, not available here"));
      break;
    case KeyType::ed25519:
    case KeyType::other:
      out.push_back(
          error("CPS 6.1.5",
                who + d.text + " is not in the CPS key table (RSA, ECDSA P-curves, ML-DSA)"));
      break;
  }
  return out;
}

std::optional<Finding> check_validity(CertType type, UnixTime not_before, UnixTime not_after) {
  if (not_after <= not_before) {
    return error("RFC 5280 4.1.2.5", "notAfter is not after notBefore");
  }
  UnixTime limit = 0;
  std::string text;
  switch (type) {
    case CertType::root:
      limit = add_years(not_before, 25);
      text = "25 years";
      break;
    case CertType::subordinate_ca:
      limit = add_years(not_before, 20);
      text = "20 years";
      break;
    case CertType::issuing_ca:
      limit = add_years(not_before, 6);
      text = "6 years";
      break;
    case CertType::subscriber:
      limit = add_months(not_before, 15);
      text = "15 months";
      break;
    case CertType::ocsp_responder:
      limit = not_before + 398 * 86400;
      text = "398 days";
      break;
  }
  if (not_after > limit) {
    return error(type == CertType::ocsp_responder ? "BR 7.1.2.8" : "CPS 6.3.2",
                 "validity of " + std::to_string((not_after - not_before) / 86400) +
                     " days exceeds the " + cert_type_name(type) + " maximum of " + text);
  }
  return std::nullopt;
}

std::optional<Finding> check_serial(const ASN1_INTEGER* serial, CertType type) {
  BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn || BN_is_negative(bn.get()) || BN_is_zero(bn.get())) {
    return error("RFC 5280 4.1.2.2", "serial number is not a positive integer");
  }
  if (BN_num_bits(bn.get()) > 159) {
    return error("BR 7.1", "serial number is not below 2^159");
  }
  if (type != CertType::root && BN_num_bytes(bn.get()) < 8) {
    return error("BR 7.1", "serial number is shorter than 64 bits of CSPRNG output");
  }
  return std::nullopt;
}

CertType classify(const X509* cert) {
  X509* c = const_cast<X509*>(cert);
  uint32_t ex = X509_get_extension_flags(c);
  if (ex & EXFLAG_CA) {
    if (ex & EXFLAG_SS) {
      return CertType::root;
    }
    long pathlen = X509_get_pathlen(c);
    return pathlen == 0 ? CertType::issuing_ca : CertType::subordinate_ca;
  }
  if ((ex & EXFLAG_XKUSAGE) && (X509_get_extended_key_usage(c) & XKU_OCSP_SIGN)) {
    return CertType::ocsp_responder;
  }
  return CertType::subscriber;
}

std::vector<Finding> lint_certificate(const X509* cert, const X509* issuer, bool key_checked) {
  std::vector<Finding> out;
  X509* c = const_cast<X509*>(cert);
  CertType type = classify(cert);
  if (X509_get_version(cert) != X509_VERSION_3) {
    out.push_back(error("CPS 7.1.1", "certificate is not X.509 v3"));
  }
  if (auto f = check_serial(X509_get0_serialNumber(cert), type)) {
    out.push_back(*f);
  }
  UnixTime nb = not_before(cert);
  UnixTime na = not_after(cert);
  // RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  for (const ASN1_TIME* t : {X509_get0_notBefore(cert), X509_get0_notAfter(cert)}) {
    auto u = to_unix(t);
    bool want_utc = u && *u < 2524608000;  // 2050-01-01
    if (u && (ASN1_STRING_type(t) == V_ASN1_UTCTIME) != want_utc) {
      out.push_back(error("RFC 5280 4.1.2.5", "validity time uses the wrong ASN.1 time type"));
    }
  }
  if (auto f = check_validity(type, nb, na)) {
    out.push_back(*f);
  }
  {
    X509_ALGOR* key_algorithm = nullptr;
    if (X509_PUBKEY_get0_param(nullptr, nullptr, nullptr, &key_algorithm,
                               X509_get_X509_PUBKEY(cert)) == 1) {
      if (auto f = check_key_encoding(key_algorithm, X509_get0_pubkey_bitstr(cert))) {
        out.push_back(*f);
      }
    }
  }
  const bool tls_server = (X509_get_extension_flags(c) & EXFLAG_XKUSAGE) &&
                          (X509_get_extended_key_usage(c) & XKU_SSL_SERVER);
  if (type == CertType::subscriber) {
    if (tls_server) {
      if (auto f = check_tls_validity(nb, na)) {
        out.push_back(*f);
      }
      // BR 7.1.2.7.7: only a short-lived certificate may leave out the CRL distribution point.
      const int64_t short_lived_days = tls_validity_at(nb).short_lived_days;
      if (!has_crl_distribution_point(cert) &&
          inclusive_validity(nb, na) > short_lived_days * 86400) {
        out.push_back(error("BR 7.1.2.7.7",
                            "a TLS server certificate without a CRL distribution point must be "
                            "short-lived (at most " +
                                std::to_string(short_lived_days) + " days, BR 1.6.1)"));
      }
    }
    NameRules rules;
    rules.tls_server = tls_server;
    rules.domain_validated = has_policy(cert, kDomainValidatedPolicy);
    int san_critical = 0;
    GeneralNamesPtr san(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(cert, NID_subject_alt_name, &san_critical, nullptr)));
    if (!san && X509_get_ext_by_NID(cert, NID_subject_alt_name, -1) >= 0) {
      out.push_back(error("RFC 5280 4.2.1.6", "subjectAltName does not decode"));
    } else {
      auto name_findings =
          check_names(X509_get_subject_name(cert), san.get(), san_critical == 1, rules);
      out.insert(out.end(), name_findings.begin(), name_findings.end());
    }
  }
  if (!key_checked) {
    EVP_PKEY* key = X509_get0_pubkey(cert);
    if (key == nullptr) {
      out.push_back(error("RFC 5280 4.1.2.7", "public key cannot be decoded"));
    } else {
      auto key_findings = check_public_key(key, type, nb, na);
      out.insert(out.end(), key_findings.begin(), key_findings.end());
    }
  }
  int sig_nid = X509_get_signature_nid(cert);
  int md_nid = NID_undef;
  int pk_nid = NID_undef;
  OBJ_find_sigid_algs(sig_nid, &md_nid, &pk_nid);
  if (md_nid == NID_sha1 || md_nid == NID_md5) {
    out.push_back(error("CPS 7.1.3", std::string("signature uses ") + OBJ_nid2sn(md_nid) +
                                         " (SHA-1 closed 2025-10-01)"));
  }
  uint32_t ex = X509_get_extension_flags(c);
  int crit = 0;
  if (is_ca_type(type)) {
    BasicConstraintsPtr bc(static_cast<BASIC_CONSTRAINTS*>(
        X509_get_ext_d2i(cert, NID_basic_constraints, &crit, nullptr)));
    if (bc == nullptr || !crit) {
      out.push_back(error("RFC 5280 4.2.1.9", "CA basicConstraints must be present and critical"));
    }
    if (!(ex & EXFLAG_KUSAGE) || !(X509_get_key_usage(c) & KU_KEY_CERT_SIGN)) {
      out.push_back(error("RFC 5280 4.2.1.3", "CA keyUsage must assert keyCertSign"));
    }
  } else {
    X509_NAME* subject = X509_get_subject_name(c);
    if (type == CertType::subscriber &&
        X509_NAME_get_index_by_NID(subject, NID_commonName, -1) < 0) {
      out.push_back(error("CPS 3.1.1", "subscriber certificate subject has no CN"));
    }
  }
  if (X509_get_ext_by_NID(cert, NID_key_usage, -1) >= 0) {
    // Decoded only for its criticality.
    Asn1BitStringPtr ku(
        static_cast<ASN1_BIT_STRING*>(X509_get_ext_d2i(cert, NID_key_usage, &crit, nullptr)));
    if (!crit) {
      out.push_back(error("CPS 7.1.2", "keyUsage must be critical"));
    }
  }
  // Chrome Root Program 1.4 §4: a TLS hierarchy asserts only serverAuth (+ clientAuth).
  if (ex & EXFLAG_XKUSAGE) {
    uint32_t xku = X509_get_extended_key_usage(c);
    if ((xku & XKU_SSL_SERVER) && (xku & ~static_cast<uint32_t>(XKU_SSL_SERVER | XKU_SSL_CLIENT))) {
      out.push_back(error("Chrome policy 1.4 §4",
                          "TLS certificate asserts EKUs other than serverAuth and clientAuth"));
    }
    ExtendedKeyUsagePtr eku(static_cast<EXTENDED_KEY_USAGE*>(
        X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr)));
    for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
      if (OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), i)) == NID_anyExtendedKeyUsage) {
        out.push_back(error("BR 7.1.2", "anyExtendedKeyUsage is not allowed"));
      }
    }
  } else if (type == CertType::subscriber || type == CertType::issuing_ca) {
    out.push_back(warning("BR 7.1.2", "no extendedKeyUsage extension"));
  }
  if (type == CertType::ocsp_responder) {
    // BR 7.1.2.8 / RFC 9919 3.2.2.
    if (X509_get_extended_key_usage(c) != XKU_OCSP_SIGN) {
      out.push_back(
          error("BR 7.1.2.8", "responder certificate EKU must be id-kp-OCSPSigning only"));
    }
    if (!(ex & EXFLAG_KUSAGE) || X509_get_key_usage(c) != KU_DIGITAL_SIGNATURE) {
      out.push_back(
          error("BR 7.1.2.8", "responder certificate keyUsage must be digitalSignature only"));
    }
    int idx = X509_get_ext_by_NID(cert, NID_id_pkix_OCSP_noCheck, -1);
    if (idx < 0) {
      out.push_back(error("BR 7.1.2.8", "responder certificate lacks id-pkix-ocsp-nocheck"));
    } else {
      ASN1_OCTET_STRING* v = X509_EXTENSION_get_data(X509_get_ext(cert, idx));
      if (ASN1_STRING_length(v) != 2 || ASN1_STRING_get0_data(v)[0] != 0x05 ||
          ASN1_STRING_get0_data(v)[1] != 0x00) {
        out.push_back(error("BR 7.1.2.8", "id-pkix-ocsp-nocheck value must be NULL (05 00)"));
      }
    }
    for (int nid : {NID_crl_distribution_points, NID_info_access, NID_certificate_policies,
                    NID_subject_alt_name}) {
      if (X509_get_ext_by_NID(cert, nid, -1) >= 0) {
        out.push_back(error(
            "BR 7.1.2.8", std::string("responder certificate must not carry ") + OBJ_nid2ln(nid)));
      }
    }
  }
  if (issuer != nullptr) {
    const X509_NAME* a = X509_get_issuer_name(cert);
    const X509_NAME* b = X509_get_subject_name(issuer);
    const unsigned char* da = nullptr;
    const unsigned char* db = nullptr;
    size_t la = 0;
    size_t lb = 0;
    X509_NAME_get0_der(const_cast<X509_NAME*>(a), &da, &la);
    X509_NAME_get0_der(const_cast<X509_NAME*>(b), &db, &lb);
    if (la != lb || std::memcmp(da, db, la) != 0) {
      out.push_back(error("CPS 7.1.4", "issuer DN is not byte-identical to the issuer's subject"));
    }
    if (na > not_after(issuer)) {
      out.push_back(error("CPS 6.3.2", "notAfter is beyond the issuing CA's notAfter"));
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Finding& x, const Finding& y) { return x.severity < y.severity; });
  return out;
}

bool has_errors(const std::vector<Finding>& findings) {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& f) { return f.severity == Severity::error; });
}

namespace {
struct ReasonEntry {
  const char* name;
  StatedReason reason;
};
// The names revoke accepts, in RFC 5280's spelling. certificateHold and removeFromCRL are left
// out: no suspension (CPS 4.9.13).
constexpr std::array<ReasonEntry, 8> kReasons{
    {{"unspecified", std::nullopt},
     {"keyCompromise", CrlReason::key_compromise},
     {"cACompromise", CrlReason::ca_compromise},
     {"affiliationChanged", CrlReason::affiliation_changed},
     {"superseded", CrlReason::superseded},
     {"cessationOfOperation", CrlReason::cessation_of_operation},
     {"privilegeWithdrawn", CrlReason::privilege_withdrawn},
     {"aACompromise", CrlReason::aa_compromise}}};
}  // namespace

bool parse_reason(std::string_view name, StatedReason& out) {
  for (const auto& r : kReasons) {
    if (name == r.name) {
      out = r.reason;
      return true;
    }
  }
  return false;
}

const char* reason_name(StatedReason reason) {
  for (const auto& r : kReasons) {
    if (r.reason == reason) {
      return r.name;
    }
  }
  switch (*reason) {
    case CrlReason::certificate_hold:
      return "certificateHold";
    case CrlReason::remove_from_crl:
      return "removeFromCRL";
    default:
      return "unknown";
  }
}

bool reason_allowed(StatedReason reason, bool for_ca_certificate) {
  if (!reason) {
    return true;
  }
  switch (*reason) {
    case CrlReason::key_compromise:
    case CrlReason::affiliation_changed:
    case CrlReason::superseded:
    case CrlReason::cessation_of_operation:
    case CrlReason::privilege_withdrawn:
      return true;
    case CrlReason::ca_compromise:
      return for_ca_certificate;
    default:
      return false;
  }
}

}  // namespace pkirepo::policy
