#include "responder_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace pkirepo::test {

ResponderProcess::ResponderProcess(const std::filesystem::path& config,
                                   const std::map<std::string, std::string>& env,
                                   const std::vector<std::string>& extra_args) {
  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  std::vector<std::string> args = {binary("pkirepo-responder").string(),
                                   "-c",
                                   config.string(),
                                   "--listen",
                                   "127.0.0.1:0",
                                   "--threads",
                                   "2"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) {
      merged[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  for (const auto& [k, v] : env) {
    merged[k] = v;
  }
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : merged) {
    env_strings.push_back(k + "=" + v);
  }
  std::vector<char*> envp;
  for (auto& s : env_strings) {
    envp.push_back(s.data());
  }
  envp.push_back(nullptr);
  std::vector<char*> argp;
  for (auto& a : args) {
    argp.push_back(a.data());
  }
  argp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  int rc = ::posix_spawn(&pid_, argp[0], &actions, nullptr, argp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  out_fd_ = out_pipe[0];
  if (rc != 0) {
    ::close(out_fd_);
    throw std::runtime_error("cannot start pkirepo-responder");
  }
  if (!wait_for_output("listening on", 20000)) {
    stop();
    throw std::runtime_error("pkirepo-responder did not start: " + out_);
  }
  std::smatch m;
  static const std::regex port_re("listening on 127\\.0\\.0\\.1:([0-9]+)");
  if (!std::regex_search(out_, m, port_re)) {
    stop();
    throw std::runtime_error("no port in: " + out_);
  }
  port_ = std::stoi(m[1]);
}

ResponderProcess::~ResponderProcess() {
  if (pid_ > 0) {
    stop();
  }
  if (out_fd_ >= 0) {
    ::close(out_fd_);
  }
}

std::string ResponderProcess::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void ResponderProcess::send(int signal) const {
  if (pid_ > 0) {
    ::kill(pid_, signal);
  }
}

void ResponderProcess::read_available(int timeout_ms) {
  pollfd p{out_fd_, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) > 0) {
    char buf[4096];
    ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n > 0) {
      out_.append(buf, static_cast<size_t>(n));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(timeout_ms, 50)));
    }
  }
}

bool ResponderProcess::wait_for_output(const std::string& needle, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (out_.find(needle) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      return false;
    }
    read_available(static_cast<int>(std::min<long>(left, 200)));
  }
  return true;
}

int ResponderProcess::stop() {
  if (pid_ <= 0) {
    return exit_code_;
  }
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 1500; ++i) {  // 15 s
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      pid_ = -1;
      read_available(0);
      return exit_code_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  exit_code_ = 128 + SIGKILL;
  return exit_code_;
}

RunResult curl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"curl", "-sS", "--max-time", "10"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

}  // namespace pkirepo::test
