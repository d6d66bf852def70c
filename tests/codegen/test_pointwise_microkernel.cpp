// The hand-written AVX2 pointwise microkernel (avx2_nibble_lut_pointwise,
// codegen/bitserial_microkernel.hpp) is bit-exact against the reference for every tile it
// has, on 1x1 edge shapes: images smaller than a tile and rows that leave blocks of eight
// straddling them, strides, one to five words (a byte-sum flush past a chunk), several
// plane pairs, both weight encodings and bipolar activations (a per-channel constant
// after it), groups, NHWC and fused epilogues (a generated epilogue reads its sums), and
// the int32 NCHW outputs it writes itself; with its sums computed per row of tiles and
// per image, the packing fused per row or not.
#include <gtest/gtest.h>

#include "codegen/codegen.hpp"
#include "core/cpu_features.hpp"
#include "generated_cases.hpp"
#include "ops/reference/reference.hpp"

namespace bitforge {
namespace {

struct Case {
  const char* key;
  bool writes_output;  // an int32 NCHW output of one group with unsigned activations
};
const Case kCases[] = {
    {"conv2d_u1b1_mb1ic64ih13iw11oc12kh1kw1_nchw_oihw_i32", true},      // rows straddle blocks
    {"conv2d_u1b1_mb2ic130ih9iw9oc9kh1kw1sh2sw2_nchw_oihw_i32", true},  // stride, 3 words, 2 images
    {"conv2d_u2b2_mb1ic70ih5iw6oc5kh1kw1_nchw_oihw_i32", true},         // plane pairs, tiny image
    {"conv2d_u1u1_mb1ic1000ih3iw7oc3kh1kw1_nchw_oihw_i32", true},       // 16 words: a flush
    {"conv2d_u1b1_mb1ic40ih2iw2oc4kh1kw1_nchw_oihw_i32", true},      // 4 pixels: less than a block
    {"conv2d_b2b1_mb1ic33ih7iw7oc16kh1kw1_nchw_oihw_i32", false},    // bipolar activations
    {"conv2d_u1b1_mb1ic64ih6iw10oc8g2kh1kw1_nchw_oihw_i32", false},  // groups
    {"conv2d_u3b1_mb1ic20ih9iw8oc24kh1kw1sh2sw1_nhwc_hwio_i32", false},    // NHWC
    {"conv2d_u1b1_mb1ic96ih7iw9oc20kh1kw1_nchw_oihw_affine-relu", false},  // affine epilogue
    {"conv2d_u1b1_mb1ic64ih8iw12oc40kh1kw1_nchw_oihw_thr-u1-pack-u8-bit1",
     false},  // packed threshold
};

// The pointwise microkernel's config: the generated core's knobs at their single values,
// its tile, and (when a generated epilogue follows) where it runs and how wide the
// epilogue's vectors are.
Config pointwise_config(const ScheduleSpace& space, const Workload& wl, const char* tile_o,
                        const char* tile_x, const char* at, const char* pack_at,
                        const char* tile_y) {
  Config c = space.default_config();
  for (const auto& [knob, value] : std::initializer_list<std::pair<const char*, const char*>>{
           {"microkernel", "avx2_nibble_lut_pointwise"},
           {"word", "u64"},
           {"pack_axis", "c"},
           {"plane_sums", "shifted"},
           {"unroll_planes", "0"},
           {"unroll_window", "0"},
           {"loop_order", "taps_planes_words"},
           {"split_words", "1"},
           {"plane_axis", "pixel"},
           {"tile_o", tile_o},
           {"tile_x", tile_x},
           {"vector_axis", "x"},
           {"parallel", "none"},
           {"microkernel_at", at},
           {"pack_at", pack_at},
           {"tile_y", tile_y}})
    c.set(knob, value);
  c.set("vector_width", std::get<Conv2d>(wl).out_w() >= 4 ? "4" : "1");
  return c;
}

TEST(PointwiseNibbleLutAvx2, BitExactForEveryTile) {
  if (!detect_cpu_features().avx2) GTEST_SKIP() << "no AVX2 on this machine";
  const CodegenTarget target = resolve_target("x86-64-avx2");
  if (target.isa != "avx2") GTEST_SKIP() << "x86-64-avx2 resolves to " << target.isa << " here";
  testing::Rng rng(0x9017);
  for (size_t case_index = 0; case_index < std::size(kCases); ++case_index) {
    const Case& k = kCases[case_index];
    const Workload wl = parse_workload_key(k.key);
    const ScheduleSpace space = schedule_space(wl, target);
    const testing::Operands ops = testing::case_operands(rng, wl);
    const Tensor want = reference::run(wl, ops.input, ops.weight, ops.params);
    // Every tile where the kernel writes the output itself; otherwise each placement once,
    // the tiles taking turns across cases and placements (every compile costs ~0.25 s).
    const std::pair<const char*, const char*> tiles[] = {
        {"1", "8"}, {"2", "16"}, {"1", "16"}, {"2", "8"}};
    const std::tuple<const char*, const char*, const char*> placements[] = {
        {"image", "root", "1"}, {"row", "root", "1"}, {"row", "row", "2"}, {"image", "root", "4"}};
    int configs = 0;
    for (size_t t = 0; t < std::size(tiles); ++t)
      for (size_t p = 0; p < std::size(placements); ++p) {
        const auto& [at, pack_at, tile_y] = placements[p];
        if (!k.writes_output && (t != (case_index + p) % std::size(tiles))) continue;
        Config c =
            pointwise_config(space, wl, tiles[t].first, tiles[t].second, at, pack_at, tile_y);
        if (k.writes_output) {
          // The space then leaves the generated epilogue's knobs at single values.
          if (std::string(at) != "image" || std::string(tile_y) != "1") {
            EXPECT_NE(space.check(c), "") << c.str();
            continue;
          }
          c.set("vector_width", "1");
        }
        SCOPED_TRACE(std::string(k.key) + " " + c.str());
        ASSERT_EQ(space.check(c), "");
        ++configs;
        const auto kernel = compile_kernel(wl, c, target);
        EXPECT_NE(kernel->name().find("avx2_nibble_lut_pointwise"), std::string::npos)
            << kernel->name();
        ASSERT_TRUE(testing::tensors_equal(
            kernel->run(ops.input, kernel->prepare(ops.weight), ops.params), want));
      }
    EXPECT_EQ(configs, 4) << k.key;
  }
}

TEST(PointwiseNibbleLutAvx2, OfferedOnlyForUnpaddedOneByOneWindowsOnAvx2) {
  auto offered = [](const char* key, const char* target) {
    const std::vector<std::string> values =  // a copy: the space is a temporary
        schedule_space(parse_workload_key(key), resolve_target(target)).knob("microkernel").values;
    return std::find(values.begin(), values.end(), "avx2_nibble_lut_pointwise") != values.end();
  };
  const bool avx2 = resolve_target("x86-64-avx2").isa == "avx2";
  EXPECT_EQ(offered("conv2d_u1b1_mb1ic64ih8iw8oc8kh1kw1_nchw_oihw_i32", "x86-64-avx2"), avx2);
  EXPECT_FALSE(offered("conv2d_u1b1_mb1ic64ih8iw8oc8kh1kw1ph1pw1_nchw_oihw_i32", "x86-64-avx2"));
  EXPECT_FALSE(offered("conv2d_u1b1_mb1ic64ih8iw8oc8kh3kw3ph1pw1_nchw_oihw_i32", "x86-64-avx2"));
  if (resolve_target("x86-64-avx512").isa == "avx512")
    EXPECT_FALSE(offered("conv2d_u1b1_mb1ic64ih8iw8oc8kh1kw1_nchw_oihw_i32", "x86-64-avx512"));
}

}  // namespace
}  // namespace bitforge
