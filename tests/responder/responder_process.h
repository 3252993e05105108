// The real pkirepo-responder in the background, for integration tests: started on
// 127.0.0.1 port 0 (the kernel picks a free port; the responder prints it), stopped with
// SIGTERM in the destructor. Every wait is bounded.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace pkirepo::test {

class ResponderProcess {
 public:
  // Throws std::runtime_error when the responder does not print its port within 20 s.
  ResponderProcess(const std::filesystem::path& config,
                   const std::map<std::string, std::string>& env,
                   const std::vector<std::string>& extra_args = {});
  ~ResponderProcess();
  ResponderProcess(const ResponderProcess&) = delete;
  ResponderProcess& operator=(const ResponderProcess&) = delete;

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url(const std::string& path = "") const;
  void send(int signal) const;
  // Waits (bounded) for a stdout line containing `needle`; true when seen.
  bool wait_for_output(const std::string& needle, int timeout_ms = 10000);
  // SIGTERM, then waits up to 15 s; returns the exit code (128+signal when killed).
  int stop();
  [[nodiscard]] const std::string& output() const { return out_; }

 private:
  void read_available(int timeout_ms);
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int port_ = 0;
  std::string out_;
  int exit_code_ = -1;
};

// curl with `args`; returns stdout (headers with -D -) and the exit code.
RunResult curl(const std::vector<std::string>& args);

}  // namespace pkirepo::test
