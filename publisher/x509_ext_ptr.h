// Owners for the decoded certificate extensions the CA pages read. They belong beside the
// others in core/x509/openssl_ptr.h; they live here for now because changing that header
// rebuilds every object of every program (a one-line move for whoever next rebuilds all).
#pragma once

#include <openssl/x509v3.h>

#include <memory>

#include "x509/openssl_ptr.h"

namespace pkirepo::publisher {

using AuthorityInfoAccessPtr =
    std::unique_ptr<AUTHORITY_INFO_ACCESS, OpenSslDeleter<AUTHORITY_INFO_ACCESS_free>>;
using CrlDistPointsPtr = std::unique_ptr<CRL_DIST_POINTS, OpenSslDeleter<CRL_DIST_POINTS_free>>;
using NameConstraintsPtr = std::unique_ptr<NAME_CONSTRAINTS, OpenSslDeleter<NAME_CONSTRAINTS_free>>;

}  // namespace pkirepo::publisher
