// `export --out FILE`: a compacted, consistent copy of the store for shipping to responder
// replicas (LMDB's mdb_env_copyfd2 with MDB_CP_COMPACT, which copies one read transaction's
// snapshot, so a signer run in progress is either wholly in the copy or not at all). FILE is an
// LMDB data file: a replica installs it as <store>/data.mdb. Written to a temporary file next
// to FILE, synced, then renamed: a replica never sees half a copy.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>

#include "signer/commands.h"
#include "store/store.h"
#include "x509/bytes.h"

namespace pkirepo::signer {
namespace {

struct ExportOptions {
  std::string out;
};

int run_export(CommandRunner& runner, const ExportOptions& opt) {
  Config cfg = load_config(runner.globals.config_path);
  const std::filesystem::path out = opt.out;
  const std::filesystem::path dir =
      out.has_parent_path() ? out.parent_path() : std::filesystem::path(".");
  if (!std::filesystem::is_directory(dir)) {
    throw std::runtime_error("--out " + opt.out + ": directory " + dir.string() +
                             " does not exist");
  }
  if (std::filesystem::is_directory(out)) {
    throw std::runtime_error("--out " + opt.out + ": is a directory; give a file name");
  }
  store::ReadStore st(cfg.repository.store);
  std::filesystem::path tmp;
  int fd = -1;
  try {
    fd = create_temporary_beside(out, 0640, tmp);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("--out " + std::string(e.what()));
  }
  std::string copy_error;
  try {
    st.env().copy_compacted(fd);
    if (::fsync(fd) != 0) {
      copy_error = std::strerror(errno);
    }
  } catch (const store::StoreError& e) {
    copy_error = e.what();
  }
  ::close(fd);
  if (!copy_error.empty()) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw std::runtime_error("--out " + opt.out + ": copy failed: " + copy_error);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, out, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw std::runtime_error("--out " + opt.out +
                             ": cannot rename the copy into place: " + ec.message());
  }
  std::cout << "exported " << cfg.repository.store.string() << " to " << out.string() << ": "
            << std::filesystem::file_size(out) << " bytes, compacted; install it as "
            << "<store>/data.mdb on a replica\n";
  return 0;
}

}  // namespace

void add_export_command(CLI::App& app, CommandRunner& runner) {
  auto opt = std::make_shared<ExportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "export", "Write a compacted, consistent copy of the store (for responder replicas)");
  cmd->add_option("--out", opt->out, "The copy (an LMDB data.mdb file)")->required();
  cmd->callback([&runner, opt] { runner.exit_code = run_export(runner, *opt); });
}

}  // namespace pkirepo::signer
