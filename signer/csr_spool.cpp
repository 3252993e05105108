// The issuance spool: see csr_spool.h.
#include "signer/csr_spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "x509/cert_info.h"

namespace pkirepo::signer {
namespace {

// A rename made durable: the folder that gained the entry is synced.
void move_durably(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    throw std::runtime_error(from.string() + ": cannot move to " + to.string() + ": " +
                             std::strerror(errno));
  }
  const int fd = ::open(to.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

CsrSpool::CsrSpool(const std::filesystem::path& dir, std::filesystem::path done,
                   std::filesystem::path failed)
    : dir_(dir), done_(std::move(done)), failed_(std::move(failed)) {
  if (!std::filesystem::is_directory(dir_)) {
    throw std::runtime_error(dir_.string() + ": --csr-dir is not a directory");
  }
  if (done_.empty()) {
    done_ = dir_ / "done";
  }
  if (failed_.empty()) {
    failed_ = dir_ / "failed";
  }
  std::filesystem::create_directories(done_);
  std::filesystem::create_directories(failed_);
}

std::vector<std::string> CsrSpool::waiting() const {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    // Editors' and transfer tools' temporary files are not requests yet.
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && !name.starts_with(".") && !name.ends_with(".tmp")) {
      files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string CsrSpool::record_name(ByteView request) {
  return "spool/" + to_hex(sha256(request));
}

std::optional<std::string> CsrSpool::issued_serial(const store::Txn& txn, const std::string& name) {
  auto v = txn.get(store::Db::meta, as_bytes(name));
  if (!v) {
    return std::nullopt;
  }
  return std::string(v->begin(), v->end());
}

void CsrSpool::record(store::WriteTxn& txn, const std::string& name,
                      const std::string& serial_hex) {
  txn.put(store::Db::meta, as_bytes(name), as_bytes(serial_hex));
}

void CsrSpool::forget(store::WriteTxn& txn, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    (void)txn.del(store::Db::meta, as_bytes(name));
  }
}

void CsrSpool::done(const std::string& request_file, const std::string& serial_hex) const {
  const std::filesystem::path from(request_file);
  move_durably(from, done_ / (serial_hex + "-" + from.filename().string()));
}

void CsrSpool::failed(const std::string& request_file, const std::string& reason) const {
  const std::filesystem::path from(request_file);
  const std::filesystem::path to = failed_ / from.filename();
  const std::string line = reason + "\n";
  write_file_atomic(to.string() + ".reason", as_bytes(line), 0644, false);
  move_durably(from, to);
}

}  // namespace pkirepo::signer
