#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdlib>

int main(int argc, char** argv) {
  // Key files at the production cost (600,000 PBKDF2 iterations, ~0.2 s a key) would make the
  // hundreds of signer commands of the suite minutes slower; the programs of a test build
  // honour this (x509/key_file.h), and every process the tests start inherits it. Tests of the
  // production cost unset it for their command (key_file tests, cli_keys_test).
  ::setenv("PKIREPO_TEST_KDF_ITERATIONS", "2048", 0);
  return Catch::Session().run(argc, argv);
}
