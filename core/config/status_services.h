// Which status services a config promises, checked once the whole file is read (BR 4.9.7,
// 4.9.9, 7.1.2.7.7; BR 1.6.1 after ballot SC-063): short-lived profiles, CRL-only CAs and how
// long CRL entries stay. Internal to config.cpp.
#pragma once

#include "config/config.h"

namespace pkirepo {

// Throws ConfigError naming the file, the line and the key:
//   - a short-lived profile longer than 10 days (the most any date allowed; the dated limit,
//     7 days from 2026-03-15, is checked against the clock by policy::profile_date_findings);
//   - a crl_retention over 10 years (a typo, not a policy);
//   - a CRL-only CA (ocsp = false) issuing certificates that are not short-lived while CRLs are
//     re-signed later than 4 days after their thisUpdate (BR 4.9.7).
void check_status_services(const Config& cfg);

}  // namespace pkirepo
