// A server program in the background for end-to-end tests (our responder, nginx, ...): spawned
// without a shell, stdout and stderr captured together, stopped with a signal in the
// destructor. Every wait is bounded; nothing here waits forever on a child.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace pkirepo::test {

// A TCP port on 127.0.0.1 that was free a moment ago, taken below the kernel's ephemeral range
// when possible (so no bind(0) elsewhere can take it first). For tests that must know the
// port before the server starts (URLs written into certificates).
[[nodiscard]] int reserve_free_port();

// True once something accepts TCP connections on 127.0.0.1:`port`, polling up to `timeout_ms`.
[[nodiscard]] bool wait_for_port(int port, int timeout_ms);

class ServerProcess {
 public:
  // Starts `argv` (argv[0] a path or a name on PATH) with the inherited environment, minus
  // the names in `unset`, plus `env`. Throws std::runtime_error when it cannot be spawned.
  ServerProcess(const std::vector<std::string>& argv,
                const std::map<std::string, std::string>& env = {},
                const std::vector<std::string>& unset = {});
  ~ServerProcess();  // stop()
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Waits up to `timeout_ms` for `needle` in the output so far; false on timeout or when the
  // process has exited without printing it.
  bool wait_for_output(const std::string& needle, int timeout_ms);
  [[nodiscard]] bool running();
  // Sends `signal` without waiting (SIGHUP reloads, SIGTERM drains; stop() collects the exit).
  void send(int signal);
  // Sends `signal`, waits up to `timeout_ms`, then SIGKILL. Returns the exit code (128+signal
  // when killed by one). Idempotent.
  int stop(int signal, int timeout_ms = 15000);
  int stop() { return stop(default_stop_signal_); }
  void set_stop_signal(int signal) { default_stop_signal_ = signal; }
  // Everything the process wrote to stdout and stderr so far.
  [[nodiscard]] const std::string& output();

 private:
  void drain(int timeout_ms);
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int exit_code_ = -1;
  int default_stop_signal_;
  std::string out_;
};

}  // namespace pkirepo::test
