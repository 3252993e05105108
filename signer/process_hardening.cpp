#include "signer/process_hardening.h"

#include <sys/prctl.h>
#include <sys/resource.h>

namespace pkirepo::signer {

void harden_process() {
  (void)::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  const rlimit none{0, 0};
  (void)::setrlimit(RLIMIT_CORE, &none);
}

bool process_dumpable() {
  return ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0;
}

}  // namespace pkirepo::signer
