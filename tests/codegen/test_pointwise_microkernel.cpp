// The hand-written pointwise microkernels (avx2_nibble_lut_pointwise and
// avx512_vpopcnt_pointwise, codegen/bitserial_microkernel.hpp) are bit-exact against the
// reference for every tile they have, on 1x1 edge shapes: images smaller than a tile and
// rows that leave blocks straddling them, strides, one to five words (a byte-sum flush past
// a chunk on AVX2), several plane pairs, both weight encodings and bipolar activations (a
// per-channel constant after it), groups, NHWC and fused epilogues (a generated epilogue
// reads its sums), and the int32 NCHW outputs they write themselves; with their sums
// computed per row of tiles and per image (AVX2), the packing fused per row or not.
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

// A pointwise microkernel and what it is tested with: its target, word, every register
// tile (tile_o, tile_x) it has, and the placements of its sums and packing it can take
// (microkernel_at, pack_at, tile_y; the AVX-512 space has no microkernel_at: per image).
struct Placement {
  const char *at, *pack_at, *tile_y;
};
struct Microkernel {
  const char *name, *target, *isa, *word;
  std::vector<std::pair<const char*, const char*>> tiles;
  std::vector<Placement> placements;
};
const Microkernel kNibbleLutAvx2{
    "avx2_nibble_lut_pointwise",
    "x86-64-avx2",
    "avx2",
    "u64",
    {{"1", "8"}, {"2", "16"}, {"1", "16"}, {"2", "8"}},
    {{"image", "root", "1"}, {"row", "root", "1"}, {"row", "row", "2"}, {"image", "root", "4"}}};
const Microkernel kVpopcntAvx512{"avx512_vpopcnt_pointwise",
                                 "x86-64-avx512",
                                 "avx512",
                                 "u32",
                                 {{"1", "16"}, {"8", "16"}, {"2", "16"}, {"4", "16"}},
                                 {{"image", "root", "1"}, {"image", "root", "2"}}};

// The microkernel's config: the generated core's knobs at their single values, its tile,
// and (when a generated epilogue follows) where it runs and how wide the epilogue's
// vectors are.
Config pointwise_config(const Microkernel& mk, const ScheduleSpace& space, const Workload& wl,
                        std::pair<const char*, const char*> tile, const Placement& p) {
  Config c = space.default_config();
  for (const auto& [knob, value] : std::initializer_list<std::pair<const char*, const char*>>{
           {"microkernel", mk.name},
           {"word", mk.word},
           {"pack_axis", "c"},
           {"plane_sums", "shifted"},
           {"unroll_planes", "0"},
           {"unroll_window", "0"},
           {"loop_order", "taps_planes_words"},
           {"split_words", "1"},
           {"plane_axis", "pixel"},
           {"tile_o", tile.first},
           {"tile_x", tile.second},
           {"vector_axis", "x"},
           {"parallel", "none"},
           {"pack_at", p.pack_at},
           {"tile_y", p.tile_y}})
    c.set(knob, value);
  if (std::string(mk.isa) == "avx2") c.set("microkernel_at", p.at);
  c.set("vector_width", std::get<Conv2d>(wl).out_w() >= 4 ? "4" : "1");
  return c;
}

void expect_bit_exact_for_every_tile(const Microkernel& mk) {
  const CodegenTarget target = resolve_target(mk.target);
  if (!target.runs_here) GTEST_SKIP() << "this machine cannot run " << mk.name << " (" << mk.target << ")";
  testing::Rng rng(0x9017);
  const size_t tiles = mk.tiles.size(), placements = mk.placements.size();
  for (size_t case_index = 0; case_index < std::size(kCases); ++case_index) {
    const Case& k = kCases[case_index];
    const Workload wl = parse_workload_key(k.key);
    const ScheduleSpace space = schedule_space(wl, target);
    const testing::Operands ops = testing::case_operands(rng, wl);
    const Tensor want = reference::run(wl, ops.input, ops.weight, ops.params);
    // Every tile where the kernel writes the output itself; otherwise each placement once,
    // the tiles taking turns across cases and placements (every compile costs ~0.25 s).
    // (A tile wider than a group's channels is not in the space: none tested.)
    const Conv2d& conv = std::get<Conv2d>(wl);
    size_t configs = 0, too_wide = 0;
    for (size_t t = 0; t < tiles; ++t)
      for (size_t p = 0; p < placements; ++p) {
        const Placement& place = mk.placements[p];
        if (!k.writes_output && t != (case_index + p) % tiles) continue;
        Config c = pointwise_config(mk, space, wl, mk.tiles[t], place);
        if (k.writes_output) {
          // The space then leaves the generated epilogue's knobs at single values.
          if (std::string(place.at) != "image" || std::string(place.tile_y) != "1") {
            EXPECT_NE(space.check(c), "") << c.str();
            continue;
          }
          c.set("vector_width", "1");
        }
        SCOPED_TRACE(std::string(k.key) + " " + c.str());
        if (std::stoll(mk.tiles[t].first) > conv.o / conv.groups) {
          EXPECT_NE(space.check(c).find("exceeds"), std::string::npos) << space.check(c);
          ++too_wide;
          continue;
        }
        ASSERT_EQ(space.check(c), "");
        ++configs;
        const auto kernel = compile_kernel(wl, c, target);
        EXPECT_NE(kernel->name().find(mk.name), std::string::npos) << kernel->name();
        ASSERT_TRUE(testing::tensors_equal(
            kernel->run(ops.input, kernel->prepare(ops.weight), ops.params), want));
      }
    EXPECT_EQ(configs + too_wide, k.writes_output ? tiles : placements) << k.key;
  }
}

TEST(PointwiseNibbleLutAvx2, BitExactForEveryTile) {
  expect_bit_exact_for_every_tile(kNibbleLutAvx2);
}

TEST(PointwiseVpopcntAvx512, BitExactForEveryTile) {
  expect_bit_exact_for_every_tile(kVpopcntAvx512);
}

// Each is a value of its own ISA's microkernel knob (the AVX-512 one where the CPU has
// VPOPCNTDQ) for every workload, so that a family's feature rows have one length, and
// valid only for unpadded 1x1 windows.
TEST(PointwiseMicrokernels, OfferedOnTheirIsaValidOnlyForUnpaddedOneByOneWindows) {
  auto offered = [](const char* key, const char* target, const char* mk) {
    const std::vector<std::string> values =  // a copy: the space is a temporary
        schedule_space(parse_workload_key(key), resolve_target(target)).knob("microkernel").values;
    return std::find(values.begin(), values.end(), mk) != values.end();
  };
  const char* one_by_one = "conv2d_u1b1_mb1ic64ih8iw8oc8kh1kw1_nchw_oihw_i32";
  const char* padded = "conv2d_u1b1_mb1ic64ih8iw8oc8kh1kw1ph1pw1_nchw_oihw_i32";
  const char* three_by_three = "conv2d_u1b1_mb1ic64ih8iw8oc8kh3kw3ph1pw1_nchw_oihw_i32";
  for (const Microkernel* mk : {&kNibbleLutAvx2, &kVpopcntAvx512}) {
    SCOPED_TRACE(mk->name);
    const CodegenTarget target = resolve_target(mk->target);
    const bool has_isa = target.isa == mk->isa;
    for (const char* key : {one_by_one, padded, three_by_three})
      EXPECT_EQ(offered(key, mk->target, mk->name), has_isa) << key;
    for (const char* other : {"x86-64-avx2", "x86-64-avx512"}) {
      if (std::string(other) != mk->target) {
        EXPECT_FALSE(offered(one_by_one, other, mk->name)) << other;
      }
    }
    if (!has_isa) continue;
    for (const char* key : {one_by_one, padded, three_by_three}) {
      const Workload wl = parse_workload_key(key);
      const ScheduleSpace space = schedule_space(wl, target);
      Config c = pointwise_config(*mk, space, wl, mk->tiles.front(), mk->placements.front());
      c.set("vector_width", "1");
      const std::string why = space.check(c);
      if (key == one_by_one) {
        EXPECT_EQ(why, "") << c.str();
      } else {
        EXPECT_NE(why.find("needs a 1x1 window without padding"), std::string::npos)
            << key << ": " << why;
      }
    }
  }
}

}  // namespace
}  // namespace bitforge
