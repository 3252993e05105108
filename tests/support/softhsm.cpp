#include "support/softhsm.h"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace pkirepo::test {

SoftHsm::SoftHsm() : tokens_(dir_ / "tokens") {
  std::filesystem::create_directories(tokens_);
  const auto conf = dir_ / "softhsm2.conf";
  std::ofstream(conf) << "directories.tokendir = " << tokens_.string()
                      << "\nobjectstore.backend = file\nlog.level = ERROR\n";
  if (const char* prev = std::getenv("SOFTHSM2_CONF")) {
    previous_conf_ = prev;
    had_previous_ = true;
  }
  ::setenv("SOFTHSM2_CONF", conf.c_str(), 1);
}

SoftHsm::~SoftHsm() {
  if (had_previous_) {
    ::setenv("SOFTHSM2_CONF", previous_conf_.c_str(), 1);
  } else {
    ::unsetenv("SOFTHSM2_CONF");
  }
}

void SoftHsm::init_token(const std::string& label, const std::string& pin) {
  RunResult r = run({"softhsm2-util", "--init-token", "--free", "--label", label, "--pin", pin,
                     "--so-pin", "so-" + pin});
  if (r.exit_code != 0) {
    throw std::runtime_error("softhsm2-util --init-token " + label + ": " + r.err + r.out);
  }
}

}  // namespace pkirepo::test
