// The real pkirepo-responder in the background, for integration tests: started on
// 127.0.0.1 port 0 (the kernel picks a free port; the responder prints it), stopped with
// SIGTERM in the destructor. Every wait is bounded.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/server_process.h"
#include "support/test_support.h"

namespace pkirepo::test {

class ResponderProcess {
 public:
  // Throws std::runtime_error when the responder does not print its port within 20 s.
  // `run_as`: an argv prefix the responder runs under, e.g. {"setpriv", "--reuid=…", "--"}
  // to start it as another user.
  ResponderProcess(const std::filesystem::path& config,
                   const std::map<std::string, std::string>& env,
                   const std::vector<std::string>& extra_args = {},
                   const std::vector<std::string>& run_as = {});
  ~ResponderProcess();
  ResponderProcess(const ResponderProcess&) = delete;
  ResponderProcess& operator=(const ResponderProcess&) = delete;

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url(const std::string& path = "") const;
  void send(int signal) { server_->send(signal); }
  bool wait_for_output(const std::string& needle, int timeout_ms = 10000) {
    return server_->wait_for_output(needle, timeout_ms);
  }
  // SIGTERM, then the exit code (0 after a clean drain).
  int stop() { return server_->stop(); }
  [[nodiscard]] const std::string& output() { return server_->output(); }

 private:
  std::unique_ptr<ServerProcess> server_;
  int port_ = 0;
};

RunResult curl(const std::vector<std::string>& args);

}  // namespace pkirepo::test
