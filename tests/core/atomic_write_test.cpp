// write_file_atomic and create_temporary_beside (x509/bytes.h): the temporary file beside the
// target has a name nobody can predict and is created with O_EXCL|O_NOFOLLOW, so a symlink
// planted where the old code put it (".tmp.<pid>") or at the target itself is never followed.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <set>
#include <string>

#include "support/test_support.h"
#include "x509/bytes.h"

using namespace pkirepo;
using namespace pkirepo::test;
namespace fs = std::filesystem;

namespace {

size_t entries_in(const fs::path& dir) {
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), {}));
}

}  // namespace

TEST_CASE("write_file_atomic: symlinks planted at temporary names are not followed",
          "[bytes][atomic-write]") {
  TempDir dir;
  const fs::path victim = dir / "victim";
  write_text(victim, "untouched\n");
  fs::create_directory(dir / "site");
  const fs::path target = dir / "site/report.md";
  // Every name the old code could have used (".tmp.<pid>" after the target, for every pid up
  // to the kernel's default pid_max and this process's), and the new prefix with a few guesses.
  std::set<pid_t> pids{::getpid()};
  for (pid_t p = 1; p <= 32768; p += 1) {
    pids.insert(p);
  }
  for (pid_t p : pids) {
    fs::create_symlink(victim, target.string() + ".tmp." + std::to_string(p));
  }
  for (const char* guess : {"000000000000000000000000", "ffffffffffffffffffffffff"}) {
    fs::create_symlink(victim, dir / "site" / (".report.md.tmp-" + std::string(guess)));
  }
  const size_t planted = entries_in(dir / "site");

  write_file_atomic(target, as_bytes("the report\n"));
  CHECK(read_text_file(victim) == "untouched\n");
  CHECK(fs::is_regular_file(fs::symlink_status(target)));
  CHECK(read_text_file(target) == "the report\n");
  CHECK(entries_in(dir / "site") == planted + 1);  // the target; no temporary left behind
  for (pid_t p : {::getpid(), pid_t{1}, pid_t{32768}}) {
    CHECK(fs::is_symlink(target.string() + ".tmp." + std::to_string(p)));
  }

  // A symlink at the target itself is replaced, not written through.
  const fs::path linked = dir / "site/linked.md";
  fs::create_symlink(victim, linked);
  write_file_atomic(linked, as_bytes("new\n"), 0644, false);
  CHECK(read_text_file(victim) == "untouched\n");
  CHECK_FALSE(fs::is_symlink(linked));
  CHECK(read_text_file(linked) == "new\n");
}

TEST_CASE("create_temporary_beside: random names, O_EXCL|O_NOFOLLOW, the caller's mode",
          "[bytes][atomic-write]") {
  TempDir dir;
  const fs::path target = dir / "state";
  const std::regex shape(R"(\.state\.tmp-[0-9a-f]{24})");
  std::set<std::string> names;
  const mode_t old_umask = ::umask(022);
  for (int i = 0; i < 200; ++i) {
    fs::path tmp;
    const int fd = create_temporary_beside(target, 0640, tmp);
    REQUIRE(fd >= 0);
    CHECK(tmp.parent_path() == dir.path());
    CHECK(std::regex_match(tmp.filename().string(), shape));
    names.insert(tmp.filename().string());
    struct stat st {};
    REQUIRE(::fstat(fd, &st) == 0);
    CHECK((st.st_mode & 07777) == 0640);
    CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    ::close(fd);
  }
  ::umask(old_umask);
  CHECK(names.size() == 200);  // 96 random bits a name: no repeats, nothing to predict

  // A folder that does not exist: one line naming the target.
  fs::path tmp;
  CHECK_THROWS_WITH(create_temporary_beside(dir / "missing/x", 0644, tmp),
                    (dir / "missing/x").string() +
                        ": cannot create a temporary file beside it: No such file or directory");
  CHECK_THROWS_WITH(write_file_atomic(dir / "missing/x", as_bytes("x")),
                    Catch::StartsWith((dir / "missing/x").string() + ": cannot create"));
}
