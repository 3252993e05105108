// A SoftHSM2 token store of its own for one test: its config in a temporary folder, named by
// SOFTHSM2_CONF in this process's environment (and so in every program the test starts).
#pragma once

#include <filesystem>
#include <string>

#include "support/test_support.h"

namespace pkirepo::test {

inline constexpr const char* kSoftHsmModule = "/usr/lib/softhsm/libsofthsm2.so";

class SoftHsm {
 public:
  SoftHsm();
  ~SoftHsm();
  SoftHsm(const SoftHsm&) = delete;
  SoftHsm& operator=(const SoftHsm&) = delete;

  // A fresh token labelled `label` with user PIN `pin` (softhsm2-util --init-token).
  void init_token(const std::string& label, const std::string& pin);
  [[nodiscard]] const std::filesystem::path& token_dir() const { return tokens_; }

 private:
  TempDir dir_;
  std::filesystem::path tokens_;
  std::string previous_conf_;
  bool had_previous_ = false;
};

}  // namespace pkirepo::test
