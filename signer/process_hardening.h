// The signer holds CA keys in memory for the length of a command: no core file may carry them,
// and no other process of the same user may ptrace it or read /proc/<pid>/mem.
#pragma once

namespace pkirepo::signer {

// PR_SET_DUMPABLE 0 and a core-size limit of 0. Called first thing by main().
void harden_process();
// Whether this process is still dumpable (doctor reports it).
[[nodiscard]] bool process_dumpable();

}  // namespace pkirepo::signer
