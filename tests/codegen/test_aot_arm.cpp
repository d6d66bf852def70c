// Ahead-of-time kernels for arm-64-linux work outside bitforge: each (workload, config) is
// compiled with compile_kernel_aot, linked by aarch64-linux-gnu-g++ into a static
// application that uses only the generated header's raw-pointer API
// (tests/codegen/arm/aot_driver.cpp), run under qemu-aarch64 on random operands, and its
// output compared with the reference computed on the host: bit-exact, float32 within a
// relative tolerance. Skipped when the cross toolchain or qemu is not installed.
#include <gtest/gtest.h>

#include "aot_support.hpp"

namespace bitforge {
namespace {

using testing::GeneratedCase;
using testing::GeneratedOp;

// The space's default config for `variant` 0, else a valid config sampled with the
// variant as seed (so non-default knob values are exercised, deterministically).
Config config_of(const Workload& wl, const CodegenTarget& target, std::uint64_t variant) {
  const ScheduleSpace space = schedule_space(wl, target);
  if (variant == 0) return space.default_config();
  testing::Rng rng(variant);
  return space.sample([&] { return rng.next(); });
}

std::vector<GeneratedCase> hand_picked(
    const std::vector<std::pair<const char*, std::uint64_t>>& keys, const CodegenTarget& target) {
  std::vector<GeneratedCase> cases;
  for (const auto& [key, variant] : keys) {
    const Workload wl = parse_workload_key(key);
    cases.push_back({wl, config_of(wl, target, variant)});
  }
  return cases;
}

// The first `count` cases of shard 0 of a sweep plan (made for this target, so their
// configs cover its space's knobs).
void add_planned(std::vector<GeneratedCase>& cases, GeneratedOp op, std::size_t count,
                 const CodegenTarget& target) {
  std::vector<GeneratedCase> plan = testing::plan_shard(op, 0, target);
  plan.resize(std::min(plan.size(), count));
  cases.insert(cases.end(), plan.begin(), plan.end());
}

std::vector<GeneratedCase> cases_of(const std::string& group, const CodegenTarget& target) {
  std::vector<GeneratedCase> cases;
  if (group == "BitserialConv2d") {
    cases = hand_picked(
        {
            // Bipolar padding (must count as 0, not -1), NCHW/OIHW, int32 output.
            {"conv2d_b1b1_mb1ic64ih8iw8oc32kh3kw3ph1pw1_nchw_oihw_i32", 0},
            // NHWC, stride 2, asymmetric padding, sign-threshold packed along channels.
            {"conv2d_b1b1_mb1ic32ih9iw7oc64kh3kw3sh2sw2pt1pl0pb1pr2_nhwc_hwio_thr-b1-pack-u64-bit3",
             11},
            // Groups, NHWC, affine + relu (folded batch-norm).
            {"conv2d_u2b1_mb2ic48ih6iw6oc32kh3kw3ph1pw1g2_nhwc_oihw_affine-relu", 12},
            // Depthwise, multi-bit bipolar activations, affine + clip.
            {"conv2d_b2u3_mb1ic16ih7iw7oc16kh3kw3ph1pw1g16_nchw_hwio_affine-clip", 13},
            // Dilation, unsigned x unsigned, threshold to 2-bit levels (unpacked).
            {"conv2d_u1u1_mb1ic40ih10iw10oc20kh3kw3dh2dw2_nchw_hwio_thr-u2", 14},
            // Odd channel count (a partial word), packed to u8 words with the bit axis first.
            {"conv2d_u3b2_mb1ic33ih5iw5oc24kh2kw2ph1pw1_nhwc_oihw_thr-b1-pack-u8-bit0", 15},
            // Pointwise (1x1), multi-bit both sides, affine without activation.
            {"conv2d_u2b2_mb1ic64ih6iw6oc64kh1kw1_nchw_oihw_affine", 16},
        },
        target);
    add_planned(cases, GeneratedOp::BitserialConv2d, 5, target);
  } else if (group == "BitserialDense") {
    cases = hand_picked(
        {
            {"dense_b1b1_mb3ic100oc33_thr-b1-pack-u32-bit1", 21},
            {"dense_u2b1_mb5ic256oc40_affine", 0},
            {"dense_u1u2_mb1ic65oc16_i32", 22},
        },
        target);
    add_planned(cases, GeneratedOp::BitserialDense, 3, target);
  } else {
    cases = hand_picked(
        {
            {"conv2d_u8s8_mb1ic16ih8iw8oc24kh3kw3ph1pw1_nhwc_hwio_i32", 31},
            {"conv2d_s8s8_mb1ic12ih6iw6oc8kh3kw3sh2sw2ph1pw1_nchw_oihw_affine-relu", 32},
            {"conv2d_f32f32_mb1ic8ih7iw7oc16kh3kw3ph1pw1_nchw_oihw_affine-clip", 33},
            {"dense_f32f32_mb4ic70oc9_f32", 34},
        },
        target);
    add_planned(cases, GeneratedOp::BaselineConv2d, 1, target);
    add_planned(cases, GeneratedOp::BaselineDense, 1, target);
  }
  return cases;
}

class ArmAot : public ::testing::TestWithParam<std::string> {};

TEST_P(ArmAot, QemuRunMatchesReference) {
  const auto cxx = testing::find_program("aarch64-linux-gnu-g++");
  const auto qemu = testing::find_program("qemu-aarch64");
  if (!cxx)
    GTEST_SKIP() << "aarch64-linux-gnu-g++ is not installed (package g++-aarch64-linux-gnu)";
  if (!qemu) GTEST_SKIP() << "qemu-aarch64 is not installed (package qemu-user)";
  const CodegenTarget target = resolve_target("arm-64-linux");
  // Static linking: qemu-user then needs no aarch64 sysroot to find the C library.
  const testing::Toolchain tc{*cxx, {"-static", "-lpthread", "-ldl"}, {*qemu}};
  const std::vector<GeneratedCase> cases = cases_of(GetParam(), target);
  const testing::ScratchDir root("bitforge_aot_arm_");
  // Two threads: Halide compilation and the cross builds are CPU-bound, and CI has 2 cores.
  for (const std::string& f : testing::run_aot_cases(cases, target, tc, root.path(), 2))
    ADD_FAILURE() << f;
  RecordProperty("cases", static_cast<int>(cases.size()));
}

INSTANTIATE_TEST_SUITE_P(Groups, ArmAot,
                         ::testing::Values("BitserialConv2d", "BitserialDense", "Baselines"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace bitforge
