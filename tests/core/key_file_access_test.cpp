// Who may read a key file (x509/key_file.h, KeyFileAccess): CA keys their owner alone,
// responder keys also their group unless that group is the store's. Table-driven over modes
// and groups; the groups are this process's own group and a made-up one, so no chgrp (and no
// root) is needed: which group counts as "the store's" is what changes.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "support/test_support.h"
#include "x509/key.h"
#include "x509/key_file.h"

using namespace pkirepo;

namespace {

// A responder rule under which this process's group (every file it creates) is or is not
// the store's group.
KeyFileAccess responder_rule(bool file_group_is_store_group) {
  KeyFileAccess a;
  a.group_may_read = true;
  a.store_group = file_group_is_store_group ? ::getegid() : ::getegid() + 1;
  return a;
}

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("key file access: the mode and group each kind of key file may have", "[key]") {
  test::TempDir dir;
  EvpPkeyPtr key = generate_key("ec-p256");
  const auto path = dir / "k.pem";
  write_encrypted_key(path, key.get(), "right passphrase");
  const std::string p = path.string();
  struct Case {
    const char* kind;
    KeyFileAccess access;
    mode_t mode;
    const char* problem;  // nullptr: accepted
    const char* fix;
  };
  const Case cases[] = {
      {"CA", KeyFileAccess::ca(), 0600, nullptr, nullptr},
      {"CA", KeyFileAccess::ca(), 0400, nullptr, nullptr},
      {"CA", KeyFileAccess::ca(), 0640, "readable by group or others (mode 0640)", "chmod 600 "},
      {"CA", KeyFileAccess::ca(), 0604, "readable by group or others (mode 0604)", "chmod 600 "},
      {"responder, own group", responder_rule(false), 0640, nullptr, nullptr},
      {"responder, own group", responder_rule(false), 0600, nullptr, nullptr},
      {"responder, own group", responder_rule(false), 0440, nullptr, nullptr},
      {"responder, own group", responder_rule(false), 0644, "readable by others (mode 0644)",
       "chmod 640 "},
      {"responder, own group", responder_rule(false), 0660,
       "writable or executable by its group (mode 0660)", "chmod 640 "},
      {"responder, own group", responder_rule(false), 0650,
       "writable or executable by its group (mode 0650)", "chmod 640 "},
      {"responder, store group", responder_rule(true), 0600, nullptr, nullptr},
      {"responder, store group", responder_rule(true), 0640,
       "(mode 0640), the store's group (the publisher is in it too)", "chgrp pkirepo-ocsp "},
      {"responder, store group", responder_rule(true), 0644, "readable by others (mode 0644)",
       "chmod 600 "},
      {"responder, store group unknown", KeyFileAccess{true, std::nullopt}, 0640,
       "and the store folder's group is unknown", "chmod 600 "},
  };
  for (const Case& c : cases) {
    INFO(c.kind << " key, mode " << std::oct << c.mode);
    REQUIRE(::chmod(path.c_str(), c.mode) == 0);
    const auto problem = key_file_access_problem(path, c.access);
    if (c.problem == nullptr) {
      CHECK_FALSE(problem);
      CHECK(EVP_PKEY_eq(read_encrypted_key(path, "right passphrase", c.access).get(), key.get()) ==
            1);
      continue;
    }
    REQUIRE(problem);
    CHECK_THAT(problem->problem, Catch::Contains(c.problem));
    CHECK_THAT(problem->fix, Catch::StartsWith(c.fix) && Catch::Contains(p));
    // Reading refuses it with one line: the file, the reason, the fix.
    CHECK_THROWS_WITH(
        read_encrypted_key(path, "right passphrase", c.access),
        Catch::StartsWith(p + ": ") && Catch::Contains(c.problem) && Catch::Contains(c.fix + p));
  }
}

TEST_CASE("key file access: new and rewrapped files get the mode their group allows", "[key]") {
  test::TempDir dir;
  EvpPkeyPtr key = generate_key("ec-p256");
  // A group of its own (not the store's): 0640, whatever the umask.
  const mode_t old_umask = ::umask(077);
  write_encrypted_key(dir / "responder.pem", key.get(), "right passphrase", responder_rule(false));
  write_encrypted_key(dir / "shared.pem", key.get(), "right passphrase", responder_rule(true));
  write_encrypted_key(dir / "ca.pem", key.get(), "right passphrase");
  ::umask(old_umask);
  CHECK(mode_of(dir / "responder.pem") == 0640);
  CHECK(mode_of(dir / "shared.pem") == 0600);  // the store's group must not read it
  CHECK(mode_of(dir / "ca.pem") == 0600);
  CHECK(key_file_as_written(dir / "responder.pem", responder_rule(false)));
  CHECK(key_file_as_written(dir / "ca.pem", KeyFileAccess::ca()));

  // A responder key from before the split (0600): not as written, and a rewrap opens it to
  // the responder's group.
  REQUIRE(::chmod((dir / "responder.pem").c_str(), 0600) == 0);
  CHECK_FALSE(key_file_as_written(dir / "responder.pem", responder_rule(false)));
  rewrite_encrypted_key(dir / "responder.pem", key.get(), "right passphrase",
                        responder_rule(false));
  CHECK(mode_of(dir / "responder.pem") == 0640);
  CHECK(key_file_as_written(dir / "responder.pem", responder_rule(false)));
  // A CA key that group can read is rewritten 0600.
  REQUIRE(::chmod((dir / "ca.pem").c_str(), 0640) == 0);
  CHECK_FALSE(key_file_as_written(dir / "ca.pem", KeyFileAccess::ca()));
  rewrite_encrypted_key(dir / "ca.pem", key.get(), "right passphrase");
  CHECK(mode_of(dir / "ca.pem") == 0600);

  // The store folder's group is read from the folder.
  CHECK(KeyFileAccess::responder(dir.path()).store_group == ::getegid());
  CHECK_FALSE(KeyFileAccess::responder(dir / "no-store").store_group);
}
