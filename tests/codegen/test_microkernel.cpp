// The hand-written AVX2 nibble-lookup microkernel (codegen/bitserial_microkernel.hpp) is
// bit-exact against the reference for every register tile it has, on edge shapes: a
// byte-sum flush mid-reduction (more than 31 steps), channel counts that leave partial
// blocks of four or eight, rows narrower than the tile, strides, dilation, padding,
// groups, several planes and both encodings (bipolar activations read the split weights
// back for their correction); its sums stored channels innermost (an epilogue vectorized
// along channels) and pixels innermost (along pixels), computed per row of tiles and per
// image (tiles running across rows). The sweeps cover it too, with random configs.
#include <gtest/gtest.h>

#include "codegen/codegen.hpp"
#include "core/cpu_features.hpp"
#include "generated_cases.hpp"
#include "ops/reference/reference.hpp"

namespace bitforge {
namespace {

const char* const kKeys[] = {
    "conv2d_u1b1_mb1ic64ih9iw11oc16kh3kw3ph1pw1_nchw_oihw_i32",
    "conv2d_u1b1_mb1ic256ih6iw7oc20kh3kw3ph1pw1_nchw_oihw_i32",       // 36 steps: a mid flush
    "conv2d_u2b2_mb2ic65ih7iw5oc12kh3kw2sh2sw1ph1pw0_nhwc_hwio_i32",  // planes, partial words
    "conv2d_b2b1_mb1ic33ih8iw9oc8kh3kw3dh2dw2ph2pw2_nchw_oihw_i32",   // bipolar activations
    "conv2d_u1b1_mb1ic130ih8iw8oc40kh1kw1sh2sw2_nchw_oihw_i32",       // sampled rows
    "conv2d_u3b2_mb1ic24ih5iw3oc8kh3kw3ph1pw1g2_nchw_oihw_i32",      // groups, narrow rows
};

// vector_axis "o": the sums are stored channels innermost; "x": pixels innermost (the
// epilogue's tile then 4 or 8 pixels wide, wider than a 1- or 2-pixel register tile).
Config nibble_lut_config(const ScheduleSpace& space, const char* tile_o, const char* tile_x,
                         const char* vector_axis = "o", const char* at = "row") {
  Config c = space.default_config();
  // Along pixels the epilogue's tile spans at least vector_width pixels, whatever tile_x.
  const std::string x_width = std::string(tile_x) == "8" ? "8" : "4";
  const std::string width = std::string(vector_axis) == "o" ? "4" : x_width;
  for (const auto& [knob, value] : std::initializer_list<std::pair<const char*, std::string>>{
           {"microkernel", "avx2_nibble_lut"}, {"word", "u64"}, {"pack_axis", "c"}, {"tile_o", tile_o},
           {"tile_x", tile_x}, {"tile_y", "1"}, {"vector_axis", vector_axis}, {"vector_width", width},
           {"microkernel_at", at}, {"pack_at", "root"},
           {"plane_sums", "shifted"}, {"unroll_planes", "0"}, {"unroll_window", "0"},
           {"loop_order", "taps_planes_words"}, {"split_words", "1"}, {"plane_axis", "pixel"}})
    c.set(knob, value);
  return c;
}

TEST(NibbleLutAvx2, BitExactForEveryTile) {
  if (!detect_cpu_features().avx2) GTEST_SKIP() << "no AVX2 on this machine";
  const CodegenTarget target = resolve_target("x86-64-avx2");
  testing::Rng rng(0x4e1b);
  int along_pixels = 0;  // configs run with the sums stored pixels innermost
  for (const char* key : kKeys) {
    const Workload wl = parse_workload_key(key);
    const ScheduleSpace space = schedule_space(wl, target);
    const testing::Operands ops = testing::case_operands(rng, wl);
    const Tensor want = reference::run(wl, ops.input, ops.weight, ops.params);
    int tiles = 0;
    for (const char* tile_o : {"4", "8"})
      for (const char* tile_x : {"1", "2", "4", "8"})
        for (const char* vector_axis : {"o", "x"})
          for (const char* at : {"row", "image"}) {
            const Config c = nibble_lut_config(space, tile_o, tile_x, vector_axis, at);
            if (!space.check(c).empty()) continue;  // a tile larger than this workload's output
            ++tiles;
            along_pixels += std::string(vector_axis) == "x";
            SCOPED_TRACE(std::string(key) + " " + c.str());
            const auto kernel = compile_kernel(wl, c, target);
            EXPECT_NE(kernel->name().find("avx2_nibble_lut"), std::string::npos) << kernel->name();
            ASSERT_TRUE(testing::tensors_equal(kernel->run(ops.input, kernel->prepare(ops.weight), ops.params), want));
          }
    EXPECT_GE(tiles, 4) << key;
  }
  EXPECT_GE(along_pixels, 16);
}

TEST(NibbleLutAvx2, AheadOfTimeRefusesIt) {
  const Workload wl = parse_workload_key(kKeys[0]);
  const CodegenTarget target = resolve_target("x86-64-avx2");
  if (target.isa != "avx2") GTEST_SKIP() << "x86-64-avx2 resolves to " << target.isa << " here";
  const Config c = nibble_lut_config(schedule_space(wl, target), "8", "2");
  try {
    compile_kernel_aot(wl, c, target, ::testing::TempDir());
    FAIL() << "an AOT kernel with a microkernel was written";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("microkernel avx2_nibble_lut"), std::string::npos) << e.what();
  }
}

TEST(NibbleLutAvx2, OfferedOnlyWhereItRuns) {
  const Workload wl = parse_workload_key(kKeys[0]);
  for (const char* name : {"x86-64-avx2", "x86-64-avx512"}) {
    const CodegenTarget target = resolve_target(name);
    const ScheduleSpace space = schedule_space(wl, target);
    const std::vector<std::string>& values = space.knob("microkernel").values;
    const bool offered = std::find(values.begin(), values.end(), "avx2_nibble_lut") != values.end();
    EXPECT_EQ(offered, target.isa == "avx2") << name << " resolves to " << target.isa;
  }
}

}  // namespace
}  // namespace bitforge
