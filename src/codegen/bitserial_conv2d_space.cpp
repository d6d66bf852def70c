// The schedule space of the bit-serial conv2d (and of dense, which runs as a 1x1
// convolution over a row of pixels; see codegen.hpp), and its default config.
#include <algorithm>

#include "codegen/bitserial_microkernel.hpp"
#include "codegen/codegen.hpp"
#include "codegen/conv2d_geometry.hpp"
#include "codegen/register_tile.hpp"
#include "codegen/spaces.hpp"
#include "quant/bitpack.hpp"

namespace bitforge::codegen {

int natural_int32_lanes(const CodegenTarget& t) { return t.vector_bits / 32; }

// The register budget: accumulators of a tile must stay in vector registers (32 on
// AVX-512, 16 on AVX2 and NEON's 32 are shared with the operands).
int register_budget(const CodegenTarget& t) { return t.vector_bits >= 512 ? 24 : 12; }

namespace {
// Why microkernel `mk` cannot run `c`, or "": what all microkernels share.
std::string check_microkernel_common(const Config& c, const std::string& mk) {
  // The AVX2 ones count u64 words by nibble lookup; the AVX-512 one counts u32 words into
  // their own int32 lanes (VPOPCNTD).
  const char* word = mk == kPointwiseVpopcntAvx512 ? "u32" : "u64";
  if (c.get("word") != word || c.get("pack_axis") != "c")
    return fmt::format("needs {} words packed along channels (pack_axis c)", word);
  // One value each for the knobs the microkernel ignores, so the space has no duplicates.
  for (const auto& [knob, value] : {std::pair{"loop_order", "taps_planes_words"}, {"unroll_planes", "0"},
                                    {"split_words", "1"}, {"plane_sums", "shifted"}, {"plane_axis", "pixel"},
                                    {"unroll_window", "0"}})
    if (c.get(knob) != value) return fmt::format("leaves {} at {}", knob, value);
  if (c.get("parallel") == "channels") return "runs all channels of a row per call: parallel none or pixels";
  if (microkernel_at(c) == "image" && c.get("pack_at") == "row")
    return "at image needs pack_at root (every packed row before its one call)";
  return "";
}

// Why the channel-tile microkernel cannot run `c`, or "".
std::string check_nibble_lut(const Config& c) {
  const std::int64_t to = c.get_int("tile_o"), tx = c.get_int("tile_x");
  if (to != 4 && to != 8) return "needs tile_o 4 or 8 (one or two vectors of four 64-bit lanes)";
  // Accumulators (tx * to / 4), two weight vectors per channel vector, the lookup table,
  // two broadcasts and two products within AVX2's 16 registers (past them, accumulators
  // spill: 4 x 8 ran 5% slower than 2 x 8 in a standalone C2 test).
  if (tx * to / 4 + to / 2 > 11)
    return fmt::format("needs tile_x x tile_o / 4 + tile_o / 2 <= 11 registers, not {} x {}", tx, to);
  return "";
}

// Why pointwise (pixel-tile) microkernel `mk` cannot run `c` on `wl`, or "".
std::string check_pointwise(const Conv2d& wl, const Config& c, const std::string& mk) {
  if (wl.kh != 1 || wl.kw != 1 || wl.pad_top + wl.pad_left + wl.pad_bottom + wl.pad_right != 0)
    return "needs a 1x1 window without padding";
  const std::int64_t to = c.get_int("tile_o"), tx = c.get_int("tile_x");
  if (mk == kPointwiseNibbleLutAvx2) {
    // 16 x 2: 8 byte sums, the table and 4 broadcast halves fit AVX2's 16 registers (the
    // activations are memory operands).
    if (tx != 8 && tx != 16) return "needs tile_x 8 or 16 (pixels, in blocks of eight)";
    if (to != 1 && to != 2) return "needs tile_o 1 or 2 (channels)";
  } else {
    // 16 x 8: 8 sums (16 with several plane pairs), 8 broadcast words and the activations
    // within AVX-512's 32 registers.
    if (tx != 16) return "needs tile_x 16 (pixels, a vector of u32 words)";
    if (to != 1 && to != 2 && to != 4 && to != 8) return "needs tile_o 1, 2, 4 or 8 (channels)";
  }
  // Its sums are stored pixels innermost: an epilogue along channels would gather them.
  if (c.get("vector_axis") != "x") return "needs vector_axis x (it stores rows of pixels)";
  // Writing the output itself, it is the whole pipeline but the packing: one call, no
  // generated epilogue, so one value each for the knobs that would schedule them.
  if (pointwise_writes_output(wl))
    for (const auto& [knob, value] : {std::pair{"microkernel_at", "image"}, {"pack_at", "root"}, {"tile_y", "1"},
                                      {"vector_width", "1"}, {"parallel", "none"}})
      if (c.values().count(knob) && c.get(knob) != value)
        return fmt::format("writes this int32 output itself in one call: leaves {} at {}", knob, value);
  return "";
}
}  // namespace

ScheduleSpace bitserial_conv2d_space(const Conv2d& wl, const CodegenTarget& target, bool dense) {
  const ConvGeometry geo = conv_geometry(wl);
  const TileLimits limits = tile_limits(wl, target, dense);
  const int ka = wl.act.bits, kw = wl.wgt.bits;
  const std::int64_t taps = wl.kh * wl.kw;

  std::vector<Knob> knobs = tile_knobs(dense);
  for (Knob k : std::initializer_list<Knob>{
           choice_knob("word", {"u8", "u16", "u32", "u64"},
                       "packing word of both operands; popcounts are summed in 64-bit lanes for u64 "
                       "words, else in 32-bit lanes. Default: u32 where the target has a vector "
                       "popcount (VPOPCNTD, NEON cnt: sixteen 32-bit lanes per register), u64 "
                       "otherwise (scalar popcnt and AVX2's lookup popcount count 64 bits at once, "
                       "and a 64-bit lane needs no horizontal step to reach its sum)"),
           choice_knob("loop_order", {"taps_planes_words", "planes_taps_words", "taps_words_planes"},
                       "reduction loop nest, outermost first. Default: taps outermost, words innermost, "
                       "so consecutive loads walk one pixel's packed channels"),
           int_knob("unroll_planes", {0, 1}, "unroll the bit-plane pair loops. Default: on for at most 4 pairs"),
           int_knob("split_words", {1, 2, 4}, "unroll factor of the packed-words loop. Default: 1"),
           choice_knob("plane_sums", {"shifted", "separate"},
                       "how plane pairs reach the sum: every popcount shifted by 2^(i+j) in the inner "
                       "loop, or a register sum per pair shifted once per tile (twice the accumulator "
                       "registers, one instruction less per popcount; the planes are then outermost, whatever "
                       "loop_order says). Default: separate for several "
                       "plane pairs when the tile fits twice in the register budget"),
           choice_knob("plane_axis", {"pixel", "image"},
                       "where the bit planes sit in packed activations: beside each pixel's words, "
                       "or one bit image per plane. Default: pixel")})
    knobs.push_back(std::move(k));
  if (!dense) {
    knobs.push_back(int_knob("unroll_window", {0, 1}, "unroll the kernel-window loops. Default: off"));
    knobs.push_back(choice_knob("pack_axis", {"c", "cs"},
                                "which axis the words pack: channels, or channels x kernel columns "
                                "(im2col along a window row; fills words when a group has few "
                                "channels). Default: channels, unless they fill less than half a "
                                "word and the kernel is wider than one column"));
    // Only the microkernels this target can run are offered, whatever the workload (the
    // rule rejects the pointwise ones elsewhere than 1x1 windows): a knob's values, and so
    // the cost model's feature rows, are then the same for every layer of a family.
    std::vector<std::string> microkernels = {"none"};
    if (target.isa == "avx2") microkernels.insert(microkernels.end(), {kNibbleLutAvx2, kPointwiseNibbleLutAvx2});
    if (target.isa == "avx512" && target.vector_popcount) microkernels.push_back(kPointwiseVpopcntAvx512);
    knobs.push_back(choice_knob(
        "microkernel", microkernels,
        "the core as generated code, or as a hand-written microkernel. avx2_nibble_lut (AVX2 "
        "without a vector popcount): operands split into nibbles when packed, per-byte counts kept "
        "in byte lanes for up to 31 steps, 6 instructions per 256 bits instead of the generated 9 "
        "(Halide cannot keep a 64-bit word's count in byte lanes). Its register tile is tile_o "
        "(4 or 8) channels x tile_x pixels of a row; it needs u64 words packed along channels, and "
        "the knobs of the generated core (loop_order, unroll_*, split_words, plane_sums, "
        "plane_axis) at their first values. avx2_nibble_lut_pointwise (1x1 windows without "
        "padding): pixels as lanes, tile_x (8 or 16) pixels numbered across rows x tile_o (1 or 2) "
        "channels, the int32 sums scaled and corrected per pixel in the microkernel; the same "
        "knobs at their first values, vector_axis x. avx512_vpopcnt_pointwise (AVX-512 with "
        "VPOPCNTDQ, 1x1 windows without padding): the same with u32 words counted whole into their "
        "int32 lanes, tile_x 16 pixels x tile_o (1, 2, 4 or 8) channels, one call per image. "
        "Default: none"));
    if (target.isa == "avx2")
      knobs.push_back(choice_knob(
          "microkernel_at", {"row", "image"},
          "where a microkernel computes its sums: per row of output tiles (they stay in L1 "
          "for the epilogue, and pack_at row fuses the packing per row too), or the whole "
          "image in one call (its tiles then run across rows: rows of 7 or 14 pixels waste "
          "nothing but the last tile's overlap). Without a microkernel: row. Default: row"));
    knobs.push_back(choice_knob("pack_at", {"root", "row"},
                                "activation packing: all of it before the convolution, or fused per "
                                "row of output tiles. Default: root"));
  }

  auto rule = [=](const Config& c) -> std::string {
    // (The rule runs for every config of an enumerated space: no copy of c unless needed.)
    if (std::string why = epilogue_has_own_tile(c) ? check_tile(epilogue_tile_config(c), limits) : check_tile(c, limits);
        !why.empty())
      return why;
    const int wb = word_bits(parse_dtype(c.get("word")));
    // 64-bit sums take twice the registers of the int32 ones check_tile counted (a
    // microkernel keeps its own).
    if (wb == 64 && !limits.scalar && microkernel_of(c) == "none" &&
        c.get_int("vector_width") * 64 > target.vector_bits &&
        2 * tile_vectors(c, dense) > limits.budget)
      return fmt::format("a tile of {} vectors of 64-bit sums needs {} registers (budget {})",
                         tile_vectors(c, dense), 2 * tile_vectors(c, dense), limits.budget);
    const bool along_cs = !dense && c.get("pack_axis") == "cs";
    if (along_cs && wl.kw == 1) return "pack_axis cs needs a kernel wider than one column";
    const std::int64_t words = ((along_cs ? geo.cg * wl.kw : geo.cg) + wb - 1) / wb;
    if (c.get_int("split_words") > words)
      return fmt::format("split_words {} exceeds the {} packed words", c.get_int("split_words"), words);
    if (c.get_bool("unroll_planes") && ka * kw > 16) return "unroll_planes needs at most 16 plane pairs";
    if (c.get("plane_sums") == "separate") {
      if (ka * kw == 1) return "plane_sums separate needs several plane pairs";
      if (2 * tile_vectors(c, dense) > limits.budget)
        return fmt::format("plane_sums separate needs twice the tile's {} accumulator vectors (budget {})",
                           tile_vectors(c, dense), limits.budget);
    }
    if (!dense && c.values().count("microkernel_at") && c.get("microkernel_at") != "row" &&
        c.get("microkernel") == "none")
      return "microkernel_at image needs a microkernel (without one it leaves microkernel_at at row)";
    if (!dense && c.get("microkernel") != "none") {
      const std::string mk = c.get("microkernel");
      std::string why = check_microkernel_common(c, mk);
      if (why.empty()) why = is_pointwise_microkernel(mk) ? check_pointwise(wl, c, mk) : check_nibble_lut(c);
      if (!why.empty()) return "microkernel " + mk + " " + why;
      return "";  // the generated core's unrolling rules do not apply
    }
    return check_unrolling(c, dense, taps, c.get_int("split_words") * (c.get_bool("unroll_planes") ? ka * kw : 1));
  };

  Config d;
  const bool u64_words = target.isa == "scalar" || !target.vector_popcount;
  // A register of 64-bit sums has half the lanes: the default tile counts in those.
  TileLimits default_limits = limits;
  if (u64_words && !limits.scalar) default_limits.lanes = std::max(1, target.vector_bits / 64);
  set_default_tile(d, default_limits);
  d.set("word", u64_words ? "u64" : "u32");
  d.set("loop_order", "taps_planes_words");
  d.set("unroll_planes", ka * kw <= 4 ? "1" : "0");
  d.set("split_words", "1");
  d.set("plane_sums", ka * kw > 1 && 2 * tile_vectors(d, dense) <= limits.budget ? "separate" : "shifted");
  d.set("plane_axis", "pixel");
  if (!dense) {
    d.set("unroll_window", "0");
    d.set("pack_at", "root");
    d.set("microkernel", "none");
    if (target.isa == "avx2") d.set("microkernel_at", "row");
    const int wb = word_bits(parse_dtype(d.get("word")));
    d.set("pack_axis", wl.kw > 1 && 2 * geo.cg < wb ? "cs" : "c");
  }
  return ScheduleSpace(dense ? "bit-serial dense" : "bit-serial conv2d", std::move(knobs), rule, d);
}

}  // namespace bitforge::codegen
