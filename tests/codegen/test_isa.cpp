// Instruction selection of generated bit-serial code, read from the assembly text
// (kernel_assembly), so every target is checked on any host: AVX-512 code must use the
// vector popcount (VPOPCNTDQ's vpopcntq / vpopcntd), AVX2 code must not (it has none and
// must not be compiled for a CPU that lacks it), and ARM code must use NEON's byte
// popcount `cnt`. Correctness of the same kernels is the sweeps' and AOT tests' job.
#include <gtest/gtest.h>

#include <regex>

#include "codegen/codegen.hpp"
#include "core/cpu_features.hpp"

namespace bitforge {
namespace {

// Bit-serial workloads whose inner loop is a popcount: a convolution with packed output
// and a dense layer, so both generator paths (conv and lowered dense) are looked at.
const char* const kKeys[] = {
    "conv2d_u2b1_mb1ic128ih8iw8oc64kh3kw3ph1pw1_nchw_oihw_i32",
    "dense_b1b1_mb4ic512oc64_thr-b1-pack-u64-bit1",
};

std::string assembly_of(const char* key, const CodegenTarget& target) {
  const Workload wl = parse_workload_key(key);
  return kernel_assembly(wl, schedule_space(wl, target).default_config(), target);
}

bool has_vector_popcount_x86(const std::string& s) {
  return std::regex_search(s, std::regex(R"(\bvpopcnt[qd]\b)"));
}

TEST(Isa, Avx512BitserialUsesVpopcnt) {
  // Compiled only (no run), so this holds on a machine without AVX-512 as well.
  const CodegenTarget target = resolve_target("x86-64-avx512");
  for (const char* key : kKeys)
    EXPECT_TRUE(has_vector_popcount_x86(assembly_of(key, target))) << key;
}

TEST(Isa, Avx2BitserialHasNoVpopcnt) {
  const CodegenTarget target = resolve_target("x86-64-avx2");
  for (const char* key : kKeys) {
    const std::string s = assembly_of(key, target);
    EXPECT_FALSE(has_vector_popcount_x86(s)) << key;
    // Positive control: the text is x86 vector code at all, so "no vpopcnt" means something.
    EXPECT_TRUE(std::regex_search(s, std::regex(R"(\bv\w+\s+%ymm)"))) << key;
  }
}

TEST(Isa, ArmBitserialUsesNeonCnt) {
  const CodegenTarget target = resolve_target("arm-64-linux");
  for (const char* key : kKeys)
    EXPECT_TRUE(
        std::regex_search(assembly_of(key, target), std::regex(R"(\bcnt\s+v\d+\.(8|16)b\b)")))
        << key;
}

}  // namespace
}  // namespace bitforge
