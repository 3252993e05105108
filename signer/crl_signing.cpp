#include "signer/crl_signing.h"

#include <algorithm>
#include <stdexcept>
#include <string_view>
#include <unordered_set>

#include "x509/cert_info.h"
#include "x509/der.h"
#include "x509/key.h"

namespace pkirepo::signer {
namespace {

[[noreturn]] void fail(const std::string& step) {
  throw std::runtime_error("CRL " + step + ": " + openssl_error());
}

void add_ext(X509_CRL* crl, X509_EXTENSION* ext, const std::string& name) {
  X509ExtensionPtr owned(ext);
  if (!owned || X509_CRL_add_ext(crl, owned.get(), -1) != 1) {
    fail(name);
  }
}

X509RevokedPtr make_entry(const CrlEntry& e) {
  X509RevokedPtr rev(X509_REVOKED_new());
  Asn1IntegerPtr serial(ASN1_INTEGER_new());
  if (!rev || !serial ||
      ASN1_STRING_set(serial.get(), e.serial.data(), static_cast<int>(e.serial.size())) != 1 ||
      X509_REVOKED_set_serialNumber(rev.get(), serial.get()) != 1) {
    fail("entry serial");
  }
  Asn1TimePtr date = make_x509_time(e.revocation_time);
  if (X509_REVOKED_set_revocationDate(rev.get(), date.get()) != 1) {
    fail("entry revocationDate");
  }
  // RFC 5280 5.3.1, BR 7.2.2: reasonCode non-critical; unspecified is expressed by omission.
  if (e.reason) {
    Asn1EnumeratedPtr reason(ASN1_ENUMERATED_new());
    if (!reason || ASN1_ENUMERATED_set(reason.get(), reason_code(e.reason)) != 1 ||
        X509_REVOKED_add1_ext_i2d(rev.get(), NID_crl_reason, reason.get(), 0, 0) != 1) {
      fail("entry reasonCode");
    }
  }
  // RFC 5280 5.3.2: invalidityDate is a GeneralizedTime.
  if (e.invalidity_date != 0) {
    Asn1GeneralizedTimePtr t = make_generalized_time(e.invalidity_date);
    if (X509_REVOKED_add1_ext_i2d(rev.get(), NID_invalidity_date, t.get(), 0, 0) != 1) {
      fail("entry invalidityDate");
    }
  }
  return rev;
}

std::string serial_key(ByteView serial) {
  return {reinterpret_cast<const char*>(serial.data()), serial.size()};
}

}  // namespace

X509CrlPtr build_crl(const CrlSpec& spec) {
  X509CrlPtr crl(X509_CRL_new());
  X509* issuer = const_cast<X509*>(spec.issuer);  // OpenSSL's X509V3 context wants non-const
  if (!crl || X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer)) != 1) {
    fail("issuer");
  }
  Asn1TimePtr this_update = make_x509_time(spec.this_update);
  Asn1TimePtr next_update = make_x509_time(spec.next_update);
  if (X509_CRL_set1_lastUpdate(crl.get(), this_update.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next_update.get()) != 1) {
    fail("thisUpdate/nextUpdate");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, nullptr, nullptr, crl.get(), 0);
  add_ext(crl.get(),
          X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"),
          "authorityKeyIdentifier");
  Asn1IntegerPtr number(ASN1_INTEGER_new());
  if (!number || ASN1_INTEGER_set_uint64(number.get(), spec.crl_number) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, 0) != 1) {
    fail("cRLNumber");
  }
  if (!spec.idp_url.empty()) {
    // RFC 5280 5.2.5 / BR 7.2.2: partitioned CRLs carry a critical IDP whose URI is
    // byte-identical to the CDP of the certificates it covers.
    std::string idp = "critical,fullname:URI:" + spec.idp_url;
    add_ext(crl.get(),
            X509V3_EXT_conf_nid(nullptr, &ctx, NID_issuing_distribution_point, idp.c_str()),
            "issuingDistributionPoint");
  }
  if (spec.next_publish != 0) {
    // Microsoft Next CRL Publish (1.3.6.1.4.1.311.21.4): a Time, non-critical.
    Asn1ObjectPtr oid(OBJ_txt2obj("1.3.6.1.4.1.311.21.4", 1));
    Asn1TimePtr t = make_x509_time(spec.next_publish);
    unsigned char* der_out = nullptr;
    const int len = i2d_ASN1_TIME(t.get(), &der_out);
    const OpenSslBytesPtr der(der_out);
    Asn1OctetStringPtr value(ASN1_OCTET_STRING_new());
    bool ok = oid && len > 0 && value && ASN1_OCTET_STRING_set(value.get(), der.get(), len) == 1;
    if (!ok) {
      fail("Next CRL Publish");
    }
    add_ext(crl.get(), X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 0, value.get()),
            "Next CRL Publish");
  }
  for (const CrlEntry& e : spec.entries) {
    X509RevokedPtr rev = make_entry(e);
    if (X509_CRL_add0_revoked(crl.get(), rev.get()) != 1) {
      fail("entry");
    }
    (void)rev.release();  // owned by the CRL now
  }
  if (X509_CRL_sort(crl.get()) != 1) {
    fail("sort");
  }
  if (X509_CRL_sign(crl.get(), spec.key, signature_digest(spec.key)) <= 0) {
    fail("signature");
  }
  return crl;
}

Sha256Digest crl_entry_set_hash(std::vector<CrlEntry>& entries) {
  std::sort(entries.begin(), entries.end(),
            [](const CrlEntry& a, const CrlEntry& b) { return serial_less(a.serial, b.serial); });
  Bytes buf;
  auto put64 = [&](int64_t v) {
    for (int s = 56; s >= 0; s -= 8) {
      buf.push_back(static_cast<uint8_t>(static_cast<uint64_t>(v) >> s));
    }
  };
  for (const CrlEntry& e : entries) {
    put64(static_cast<int64_t>(e.serial.size()));
    buf.insert(buf.end(), e.serial.begin(), e.serial.end());
    put64(e.revocation_time);
    put64(reason_code(e.reason));
    put64(e.invalidity_date);
  }
  return sha256(buf);
}

std::string check_crl_safety(const store::CrlRecord* previous, const store::CrlRecord& next,
                             const X509* issuer, const std::vector<CrlEntry>& entries,
                             const NotAfterLookup& not_after_of) {
  if (next.der.size() > kMaxCrlBytes) {
    return "the CRL is " + std::to_string(next.der.size()) +
           " bytes, above the 10 MB cap of the Microsoft root program; raise crl.shards";
  }
  X509CrlPtr parsed = parse_crl_der(next.der);
  if (!parsed) {
    return "the CRL does not parse back: " + openssl_error();
  }
  if (X509_CRL_verify(parsed.get(), X509_get0_pubkey(issuer)) != 1) {
    return "the CRL signature does not verify with the CA's key: " + openssl_error();
  }
  if (previous == nullptr) {
    return {};
  }
  if (next.this_update <= previous->this_update) {
    return "thisUpdate " + rfc3339(next.this_update) + " is not later than the previous CRL's " +
           rfc3339(previous->this_update);
  }
  if (next.crl_number <= previous->crl_number) {
    return "cRLNumber " + std::to_string(next.crl_number) +
           " is not higher than the previous CRL's " + std::to_string(previous->crl_number);
  }
  X509CrlPtr old = parse_crl_der(previous->der);
  if (!old) {
    return "the previous CRL (number " + std::to_string(previous->crl_number) +
           ") in the store does not parse: " + openssl_error();
  }
  std::unordered_set<std::string> listed;
  listed.reserve(entries.size());
  for (const CrlEntry& e : entries) {
    listed.insert(serial_key(e.serial));
  }
  STACK_OF(X509_REVOKED)* old_entries = X509_CRL_get_REVOKED(old.get());
  for (int i = 0; old_entries != nullptr && i < sk_X509_REVOKED_num(old_entries); ++i) {
    Bytes serial =
        serial_bytes(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(old_entries, i)));
    if (listed.count(serial_key(serial)) != 0) {
      continue;
    }
    std::optional<UnixTime> not_after = not_after_of(serial);
    if (!not_after) {
      return "it would drop serial " + to_hex(serial) +
             ", listed on the previous CRL, which the store no longer knows";
    }
    if (*not_after > next.this_update) {
      return "it would drop serial " + to_hex(serial) +
             ", listed on the previous CRL, whose certificate has not expired (notAfter " +
             rfc3339(*not_after) + ")";
    }
  }
  return {};
}

}  // namespace pkirepo::signer
