// `issue --csr-dir DIR`: a spool of approved requests that cron can run again and again. Every
// request file taken from DIR ends in exactly one place:
//   - issued: moved to DONE/<serial>-<name> (DONE defaults to DIR/done);
//   - refused: moved to FAILED/<name>, with FAILED/<name>.reason holding the one-line reason
//     (FAILED defaults to DIR/failed).
// A request is recorded in the store in the transaction that issues its certificate (meta key
// "spool/<SHA-256 of the file's bytes>" = the serial), so a crash between the commit and the
// move never issues twice: the next run finds the record and only moves the file. Once the file
// has moved, the record is forgotten: the same request submitted again later (a renewal with an
// unchanged CSR) is a new request and is issued.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "store/lmdb.h"
#include "x509/bytes.h"

namespace pkirepo::signer {

class CsrSpool {
 public:
  // Creates the done and failed folders. Throws std::runtime_error naming DIR when it is not
  // a directory.
  CsrSpool(const std::filesystem::path& dir, std::filesystem::path done,
           std::filesystem::path failed);

  // The request files waiting in DIR (regular files, sorted by name).
  [[nodiscard]] std::vector<std::string> waiting() const;

  // The store's name for a request: "spool/" + hex SHA-256 of its bytes.
  [[nodiscard]] static std::string record_name(ByteView request);
  // The serial recorded under `name` when its request was issued; nullopt when it never was.
  [[nodiscard]] static std::optional<std::string> issued_serial(const store::Txn& txn,
                                                                const std::string& name);
  // Records the request `name` as issued with `serial_hex`, in the issuing transaction.
  static void record(store::WriteTxn& txn, const std::string& name, const std::string& serial_hex);
  // Forgets the records of requests whose files have moved to done/.
  static void forget(store::WriteTxn& txn, const std::vector<std::string>& names);

  // Moves an issued request to DONE, a refused one to FAILED (with its reason). Each move is
  // a rename, then an fsync of the folder: a crash leaves the file in one place or the other.
  void done(const std::string& request_file, const std::string& serial_hex) const;
  void failed(const std::string& request_file, const std::string& reason) const;

  [[nodiscard]] const std::filesystem::path& done_dir() const { return done_; }

 private:
  std::filesystem::path dir_;
  std::filesystem::path done_;
  std::filesystem::path failed_;
};

}  // namespace pkirepo::signer
