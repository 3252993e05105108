#include "responder_process.h"

#include <regex>
#include <stdexcept>

namespace pkirepo::test {

ResponderProcess::ResponderProcess(const std::filesystem::path& config,
                                   const std::map<std::string, std::string>& env,
                                   const std::vector<std::string>& extra_args,
                                   const std::vector<std::string>& run_as) {
  std::vector<std::string> args = run_as;
  args.insert(args.end(), {binary("pkirepo-responder").string(), "-c", config.string(), "--listen",
                           "127.0.0.1:0", "--threads", "2"});
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  server_ = std::make_unique<ServerProcess>(args, env);
  if (!server_->wait_for_output("listening on", 20000)) {
    server_->stop();
    throw std::runtime_error("pkirepo-responder did not start: " + server_->output());
  }
  std::smatch m;
  static const std::regex port_re("listening on 127\\.0\\.0\\.1:([0-9]+)");
  const std::string& out = server_->output();
  if (!std::regex_search(out, m, port_re)) {
    server_->stop();
    throw std::runtime_error("no port in: " + out);
  }
  port_ = std::stoi(m[1]);
}

ResponderProcess::~ResponderProcess() = default;

std::string ResponderProcess::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

RunResult curl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"curl", "-sS", "--max-time", "10"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

}  // namespace pkirepo::test
