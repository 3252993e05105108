// One OCSP response to sign: filled by the scanner (cert_scanner.h) or `revoke --publish`,
// signed and encoded by one worker (ca_run.cpp), then stored and tallied (ocsp_tally.h) by the
// committing thread. Plain data. A run reuses the elements of a batch, buffers and all, from one
// batch to the next (CertScanner::next_chunk); only one thread touches an element at a time.
#pragma once

#include <string>

#include "signer/ocsp_signing.h"
#include "x509/bytes.h"
#include "x509/cert_info.h"
#include "x509/time.h"

namespace pkirepo::signer {

struct OcspWork {
  Bytes key;  // ocsp db key
  Bytes serial;
  CertIdHash hash = CertIdHash::sha1;
  OcspStatus status;
  UnixTime this_update = 0;
  UnixTime next_update = 0;
  bool ok = false;
  Bytes value;  // encoded OcspRecord
  std::string error;
};

}  // namespace pkirepo::signer
