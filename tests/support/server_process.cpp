#include "support/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <random>
#include <stdexcept>
#include <thread>

#include "support/test_support.h"

namespace pkirepo::test {

namespace {

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// Closes the descriptor on every path.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point deadline) {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::max<long long>(left, 0));
}

}  // namespace

namespace {
bool can_bind(int port) {
  Fd s{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  sockaddr_in addr = loopback(port);
  return s.fd >= 0 && ::bind(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}
}  // namespace

int reserve_free_port() {
  // Prefer a port below the kernel's ephemeral range: bind(0) and connect() elsewhere on the
  // machine never hand those out, so the port stays free until our server binds it.
  int ephemeral_low = 32768;
  if (std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range"); range) {
    range >> ephemeral_low;
  }
  if (ephemeral_low > 20000) {
    std::random_device seed;
    std::mt19937 rng(seed());
    std::uniform_int_distribution<int> pick(15000, ephemeral_low - 1);
    for (int attempt = 0; attempt < 100; ++attempt) {
      int port = pick(rng);
      if (can_bind(port)) {
        return port;
      }
    }
  }
  Fd s{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) {
    throw std::runtime_error("socket failed");
  }
  sockaddr_in addr = loopback(0);
  if (::bind(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("bind 127.0.0.1:0 failed");
  }
  socklen_t len = sizeof addr;
  if (::getsockname(s.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("getsockname failed");
  }
  return ntohs(addr.sin_port);
}

bool wait_for_port(int port, int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  do {
    Fd s{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    sockaddr_in addr = loopback(port);
    if (s.fd >= 0 && ::connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (Clock::now() < deadline);
  return false;
}

ServerProcess::ServerProcess(const std::vector<std::string>& argv,
                             const std::map<std::string, std::string>& env,
                             const std::vector<std::string>& unset)
    : default_stop_signal_(SIGTERM) {
  if (argv.empty()) {
    throw std::runtime_error("ServerProcess: empty argv");
  }
  const CStrings envp(environment_with(env, unset));
  const CStrings args(argv);

  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  int rc = ::posix_spawnp(&pid_, args.data()[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  out_fd_ = out_pipe[0];
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start " + argv[0]);
  }
}

ServerProcess::~ServerProcess() {
  stop();
  if (out_fd_ >= 0) {
    ::close(out_fd_);
  }
}

void ServerProcess::drain(int timeout_ms) {
  pollfd p{out_fd_, POLLIN, 0};
  if (out_fd_ < 0 || ::poll(&p, 1, timeout_ms) <= 0) {
    return;
  }
  char buf[4096];
  ssize_t n = ::read(out_fd_, buf, sizeof buf);
  if (n > 0) {
    out_.append(buf, static_cast<size_t>(n));
  } else {
    // EOF: every writer is gone; avoid a busy loop until the caller's deadline.
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(timeout_ms, 20)));
  }
}

bool ServerProcess::wait_for_output(const std::string& needle, int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (out_.find(needle) == std::string::npos) {
    if (!running()) {
      drain(0);
      return out_.find(needle) != std::string::npos;
    }
    int left = ms_left(deadline);
    if (left == 0) {
      return false;
    }
    drain(std::min(left, 100));
  }
  return true;
}

bool ServerProcess::running() {
  if (pid_ <= 0) {
    return false;
  }
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
    return false;
  }
  return true;
}

void ServerProcess::send(int signal) {
  if (running()) {
    ::kill(pid_, signal);
  }
}

int ServerProcess::stop(int signal, int timeout_ms) {
  if (!running()) {
    return exit_code_;
  }
  ::kill(pid_, signal);
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (running()) {
    if (ms_left(deadline) == 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
      exit_code_ = 128 + SIGKILL;
      break;
    }
    drain(10);
  }
  drain(0);
  return exit_code_;
}

const std::string& ServerProcess::output() {
  drain(0);
  return out_;
}

}  // namespace pkirepo::test
