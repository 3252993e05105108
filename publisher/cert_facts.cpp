// cert_facts(): what the CA pages, ca.json and the test certificates page show of a
// certificate, read through OpenSSL's decoders (never by hand).
#include <openssl/bio.h>
#include <openssl/objects.h>

#include "publisher/front_matter.h"
#include "publisher/store_snapshot.h"
#include "publisher/x509_ext_ptr.h"
#include "x509/cert_info.h"
#include "x509/der.h"

namespace pkirepo::publisher {
namespace {

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

std::string object_oid(const ASN1_OBJECT* obj) {
  char text[128] = {0};
  int n = OBJ_obj2txt(text, sizeof text, obj, 1);
  return n > 0 && static_cast<size_t>(n) < sizeof text ? std::string(text) : std::string("?");
}

// "serverAuth" for OIDs OpenSSL names, the dotted OID otherwise.
std::string object_name(const ASN1_OBJECT* obj) {
  int nid = OBJ_obj2nid(obj);
  if (nid != NID_undef) {
    if (const char* sn = OBJ_nid2sn(nid)) {
      return sn;
    }
  }
  return object_oid(obj);
}

std::string uri_of(const GENERAL_NAME* gn) {
  if (gn == nullptr || gn->type != GEN_URI) {
    return {};
  }
  const ASN1_IA5STRING* uri = gn->d.uniformResourceIdentifier;
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                     static_cast<size_t>(ASN1_STRING_length(uri)));
}

// OpenSSL's text for a name constraint subtree ("DNS:example.com", "IP Address:10.0.0.0/...").
std::vector<std::string> subtree_texts(const STACK_OF(GENERAL_SUBTREE) * trees) {
  std::vector<std::string> out;
  for (int i = 0; i < sk_GENERAL_SUBTREE_num(trees); ++i) {
    const GENERAL_SUBTREE* t = sk_GENERAL_SUBTREE_value(trees, i);
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || GENERAL_NAME_print(bio.get(), t->base) <= 0) {
      out.push_back("(unprintable)");
      continue;
    }
    out.push_back(bio_text(bio.get()));
  }
  return out;
}

void read_extensions(X509* cert, CertFacts& f) {
  static const std::pair<uint32_t, const char*> kKeyUsage[] = {
      {KU_DIGITAL_SIGNATURE, "digitalSignature"},
      {KU_NON_REPUDIATION, "nonRepudiation"},
      {KU_KEY_ENCIPHERMENT, "keyEncipherment"},
      {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
      {KU_KEY_AGREEMENT, "keyAgreement"},
      {KU_KEY_CERT_SIGN, "keyCertSign"},
      {KU_CRL_SIGN, "cRLSign"},
      {KU_ENCIPHER_ONLY, "encipherOnly"},
      {KU_DECIPHER_ONLY, "decipherOnly"}};
  const uint32_t ku = X509_get_key_usage(cert);
  if (ku != UINT32_MAX) {
    for (const auto& [bit, name] : kKeyUsage) {
      if ((ku & bit) != 0) {
        f.key_usage.emplace_back(name);
      }
    }
  }
  int crit = 0;
  ExtendedKeyUsagePtr eku(
      static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(cert, NID_ext_key_usage, &crit, nullptr)));
  for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
    f.eku.push_back(object_name(sk_ASN1_OBJECT_value(eku.get(), i)));
  }
  CertificatePoliciesPtr policies(static_cast<CERTIFICATEPOLICIES*>(
      X509_get_ext_d2i(cert, NID_certificate_policies, &crit, nullptr)));
  for (int i = 0; policies && i < sk_POLICYINFO_num(policies.get()); ++i) {
    f.policy_oids.push_back(object_oid(sk_POLICYINFO_value(policies.get(), i)->policyid));
  }
  NameConstraintsPtr nc(
      static_cast<NAME_CONSTRAINTS*>(X509_get_ext_d2i(cert, NID_name_constraints, &crit, nullptr)));
  if (nc) {
    f.name_constraints = true;
    f.permitted_subtrees = subtree_texts(nc->permittedSubtrees);
    f.excluded_subtrees = subtree_texts(nc->excludedSubtrees);
  }
  BasicConstraintsPtr bc(static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(cert, NID_basic_constraints, &crit, nullptr)));
  if (bc && bc->pathlen != nullptr) {
    f.path_len = static_cast<int>(ASN1_INTEGER_get(bc->pathlen));
  }
  AuthorityInfoAccessPtr aia(
      static_cast<AUTHORITY_INFO_ACCESS*>(X509_get_ext_d2i(cert, NID_info_access, &crit, nullptr)));
  for (int i = 0; aia && i < sk_ACCESS_DESCRIPTION_num(aia.get()); ++i) {
    const ACCESS_DESCRIPTION* ad = sk_ACCESS_DESCRIPTION_value(aia.get(), i);
    std::string uri = uri_of(ad->location);
    if (uri.empty()) {
      continue;
    }
    int method = OBJ_obj2nid(ad->method);
    if (method == NID_ad_OCSP) {
      f.ocsp_urls.push_back(uri);
    } else if (method == NID_ad_ca_issuers) {
      f.ca_issuers_urls.push_back(uri);
    }
  }
  CrlDistPointsPtr cdp(static_cast<CRL_DIST_POINTS*>(
      X509_get_ext_d2i(cert, NID_crl_distribution_points, &crit, nullptr)));
  for (int i = 0; cdp && i < sk_DIST_POINT_num(cdp.get()); ++i) {
    const DIST_POINT* dp = sk_DIST_POINT_value(cdp.get(), i);
    if (dp->distpoint == nullptr || dp->distpoint->type != 0) {
      continue;
    }
    GENERAL_NAMES* names = dp->distpoint->name.fullname;
    for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
      std::string uri = uri_of(sk_GENERAL_NAME_value(names, j));
      if (!uri.empty()) {
        f.crl_urls.push_back(uri);
      }
    }
  }
}

}  // namespace

CertFacts cert_facts(ByteView der, const std::string& where) {
  X509Ptr cert = parse_cert_der(der);
  if (!cert) {
    throw SiteError(where + ": not a DER certificate");
  }
  CertFacts f;
  f.subject = subject_string(cert.get());
  f.issuer = issuer_string(cert.get());
  f.serial_hex = serial_hex(cert.get());
  f.not_before = not_before(cert.get());
  f.not_after = not_after(cert.get());
  if (const EVP_PKEY* key = X509_get0_pubkey(cert.get())) {
    KeyDescription d = describe_key(key);
    f.key = d.text;
    f.key_bits = d.bits;
    f.key_curve = d.curve;
    f.key_algorithm = d.type == KeyType::rsa       ? "RSA"
                      : d.type == KeyType::ec      ? "EC"
                      : d.type == KeyType::ed25519 ? "Ed25519"
                      : d.type == KeyType::ml_dsa  ? "ML-DSA"
                                                   : OBJ_nid2sn(EVP_PKEY_get_base_id(key));
  } else {
    f.key = "unknown";
    f.key_algorithm = "unknown";
  }
  Sha256Digest fp = fingerprint_sha256(cert.get());
  f.sha256_colon = to_hex(fp, true, ':');
  f.sha256_ccadb = to_hex(fp, true);
  f.sha1_colon = to_hex(fingerprint_sha1(cert.get()), true, ':');
  f.spki_sha256 = to_hex(spki_sha256(cert.get()));
  f.pem = to_pem(cert.get());
  read_extensions(cert.get(), f);
  // The same flags as `openssl x509 -text -noout` (XN_FLAG_ONELINE names, as its -nameopt
  // default prints them; the certificate's bytes are not repeated in the dump).
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_print_ex(bio.get(), cert.get(), XN_FLAG_ONELINE, 0) != 1) {
    throw SiteError(where + ": OpenSSL could not print the certificate");
  }
  f.text = bio_text(bio.get());
  return f;
}

}  // namespace pkirepo::publisher
