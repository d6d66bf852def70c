#include <gtest/gtest.h>

#include "codegen/codegen.hpp"
#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "ops/reference/reference.hpp"
#include "test_util.hpp"

namespace bitforge {
namespace {

TEST(KernelCache, SameWorkloadConfigAndTargetCompileOnce) {
  const Workload wl = parse_workload_key("dense_u1b1_mb2ic70oc9_i32");
  const CodegenTarget t = resolve_target("host");
  const Config c = schedule_space(wl, t).default_config();
  const std::size_t before = kernels_compiled();
  const auto a = compile_kernel(wl, c, t);
  const auto b = compile_kernel(wl, c, t);
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(kernels_compiled(), before + 1);
  Config other = c;
  other.set("tile_o", "1");
  other.set("vector_width", "1");
  const auto d = compile_kernel(wl, other, t);
  EXPECT_NE(d.get(), a.get());
  EXPECT_EQ(kernels_compiled(), before + 2);
}

TEST(Kernel, NameSaysOpTypesTileAndIsa) {
  const Workload wl = parse_workload_key("conv2d_u2b1_mb1ic64ih8iw8oc64kh3kw3ph1pw1_nchw_oihw_i32");
  const CodegenTarget t = resolve_target("host");
  Config c = schedule_space(wl, t).default_config();
  const auto k = compile_kernel(wl, c, t);
  EXPECT_EQ(k->name().rfind(fmt::format("bf_conv2d_u2b1_o{}x{}_{}_", c.get("tile_o"), c.get("tile_x"), t.isa), 0), 0u)
      << k->name();
}

TEST(Kernel, ChecksOperandsLikeTheReference) {
  const Workload wl = parse_workload_key("conv2d_u2b1_mb1ic8ih4iw4oc4kh3kw3ph1pw1_nchw_oihw_i32");
  const CodegenTarget t = resolve_target("host");
  const auto k = compile_kernel(wl, schedule_space(wl, t).default_config(), t);
  Tensor w(DType::i8, {4, 8, 3, 3});  // zeros: not b1 levels
  EXPECT_THROW(k->prepare(w), Error);
  EXPECT_THROW(k->prepare(Tensor(DType::i8, {4, 8, 3, 2})), Error);
  testing::Rng rng(1);
  const Tensor good_w = testing::random_levels(rng, Encoding::bipolar(1), {4, 8, 3, 3}, DType::i8);
  const Tensor p = k->prepare(good_w);
  Tensor x(DType::u8, {1, 8, 4, 4});
  x.data<std::uint8_t>()[5] = 4;  // not a u2 level
  EXPECT_THROW(k->run(x, p), Error);
  EXPECT_THROW(k->run(Tensor(DType::u8, {1, 8, 4, 5}), p), Error);
  EXPECT_THROW(k->run(Tensor(DType::u8, {1, 8, 4, 4}), Tensor(DType::u8, {3})), Error);
}

TEST(Kernel, RunUncheckedWritesTheSameResultIntoAGivenOutput) {
  const Workload wl = parse_workload_key("conv2d_b1b1_mb1ic64ih7iw7oc32kh3kw3ph1pw1_nchw_oihw_i32");
  const CodegenTarget t = resolve_target("host");
  const auto k = compile_kernel(wl, schedule_space(wl, t).default_config(), t);
  testing::Rng rng(2);
  const Conv2d& c = std::get<Conv2d>(wl);
  const Tensor x = testing::random_levels(rng, Encoding::bipolar(1), c.input_shape(), k->input_dtype());
  const Tensor w = testing::random_levels(rng, Encoding::bipolar(1), c.weight_shape(), DType::i8);
  Tensor out(DType::i32, c.output_shape());
  k->run_unchecked(x, k->prepare(w), {}, out);
  EXPECT_TRUE(testing::tensors_equal(out, reference::conv2d(c, x, w)));
}

TEST(Kernel, RefusesTargetsThisMachineCannotRun) {
  const Workload wl = parse_workload_key("dense_u1b1_mb1ic8oc8");
  const CodegenTarget arm = resolve_target("arm-64-linux");
  if (arm.runs_here) GTEST_SKIP() << "this machine runs ARM code";
  EXPECT_THROW(compile_kernel(wl, schedule_space(wl, arm).default_config(), arm), Error);
}

}  // namespace
}  // namespace bitforge
