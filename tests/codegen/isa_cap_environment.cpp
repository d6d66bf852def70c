// test_codegen runs twice (tests/CMakeLists.txt): as is, and with BITFORGE_MAX_ISA=avx2 so
// that an AVX-512 machine also checks its AVX2 code. Where the cap changes nothing (the
// machine's best ISA is AVX2 or lower), the capped run would repeat the first one test
// for test, about half of the suite's time: every test of it is skipped, saying why.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "core/cpu_features.hpp"

namespace bitforge {
namespace {

class SkipWhenTheCapChangesNothing : public ::testing::Environment {
 public:
  void SetUp() override {
    if (std::getenv("BITFORGE_MAX_ISA") == nullptr) return;
    const std::string capped = host_cpu_features().isa_level();
    if (capped != detect_cpu_features().isa_level()) return;
    // gtest 1.12 counts tests skipped by an environment as passed; ctest recognizes a
    // skip by this line of gtest's (gtest_discover_tests' SKIP_REGULAR_EXPRESSION).
    std::printf("[  SKIPPED ] the cap leaves this machine at %s\n", capped.c_str());
    GTEST_SKIP() << "BITFORGE_MAX_ISA leaves this machine at " << capped
                 << ": the uncapped run of these tests covered it";
  }
};

[[maybe_unused]] ::testing::Environment* const kSkipWhenTheCapChangesNothing =
    ::testing::AddGlobalTestEnvironment(new SkipWhenTheCapChangesNothing);

}  // namespace
}  // namespace bitforge
