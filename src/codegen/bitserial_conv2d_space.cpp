// The schedule space of the bit-serial conv2d (and of dense, which runs as a 1x1
// convolution over a row of pixels; see codegen.hpp), and its default config.
#include <algorithm>

#include "codegen/codegen.hpp"
#include "codegen/conv2d_geometry.hpp"
#include "codegen/spaces.hpp"
#include "quant/bitpack.hpp"

namespace bitforge::codegen {

namespace {
std::int64_t floor_pow2(std::int64_t v) {
  std::int64_t p = 1;
  while (p * 2 <= v) p *= 2;
  return p;
}
}  // namespace

int natural_int32_lanes(const CodegenTarget& t) { return t.vector_bits / 32; }

// The register budget: accumulators of a tile must stay in vector registers (32 on
// AVX-512, 16 on AVX2 and NEON's 32 are shared with the operands).
int register_budget(const CodegenTarget& t) { return t.vector_bits >= 512 ? 24 : 12; }

ScheduleSpace bitserial_conv2d_space(const Conv2d& wl, const CodegenTarget& target, bool dense) {
  const ConvGeometry geo = conv_geometry(wl);
  const std::int64_t og = geo.og, ow = wl.out_w(), oh = wl.out_h();
  const int ka = wl.act.bits, kw = wl.wgt.bits;
  const std::int64_t taps = wl.kh * wl.kw;
  const int lanes = natural_int32_lanes(target);

  std::vector<Knob> knobs = {
      choice_knob("word", {"u8", "u16", "u32", "u64"},
                  "packing word of both operands. Default: u32 where the target has a vector "
                  "popcount (one 32-bit popcount lane per int32 accumulator lane, no narrowing), "
                  "u64 otherwise (scalar popcnt counts 64 bits at once)"),
      choice_knob("vector_axis", {"o", "x"},
                  "output axis spread across SIMD lanes. Default: output channels, whose weights "
                  "are contiguous; output columns when a group has too few channels (depthwise)"),
      int_knob("vector_width", {1, 4, 8, 16}, "SIMD lanes of int32 accumulators. Default: the target's natural width"),
      int_knob("tile_o", {1, 2, 4, 8, 16, 32}, "output channels per register tile"),
      int_knob(dense ? "tile_n" : "tile_x", {1, 2, 4, 8}, "output pixels per register tile"),
      choice_knob("loop_order", {"taps_planes_words", "planes_taps_words", "taps_words_planes"},
                  "reduction loop nest, outermost first. Default: taps outermost, words innermost, "
                  "so consecutive loads walk one pixel's packed channels"),
      int_knob("unroll_planes", {0, 1}, "unroll the bit-plane pair loops. Default: on for at most 4 pairs"),
      int_knob("split_words", {1, 2, 4}, "unroll factor of the packed-words loop. Default: 1"),
      choice_knob("parallel", {"none", "pixels", "channels"},
                  "axis of output tiles run on threads. Default: pixels (rows), the longest"),
      choice_knob("plane_axis", {"pixel", "image"},
                  "where the bit planes sit in packed activations: beside each pixel's words, "
                  "or one bit image per plane. Default: pixel"),
  };
  if (!dense) {
    knobs.push_back(int_knob("tile_y", {1, 2, 4}, "output rows per register tile. Default: 1"));
    knobs.push_back(int_knob("unroll_window", {0, 1}, "unroll the kernel-window loops. Default: off"));
    knobs.push_back(choice_knob("pack_axis", {"c", "cs"},
                                "which axis the words pack: channels, or channels x kernel columns "
                                "(im2col along a window row; fills words when a group has few "
                                "channels). Default: channels, unless they fill less than half a "
                                "word and the kernel is wider than one column"));
    knobs.push_back(choice_knob("pack_at", {"root", "row"},
                                "activation packing: all of it before the convolution, or fused per "
                                "row of output tiles. Default: root"));
  }
  const std::string tile_px = dense ? "tile_n" : "tile_x";

  auto rule = [=](const Config& c) -> std::string {
    const std::int64_t v = c.get_int("vector_width"), to = c.get_int("tile_o"), tx = c.get_int(tile_px);
    const std::int64_t ty = dense ? 1 : c.get_int("tile_y");
    const bool on_o = c.get("vector_axis") == "o";
    if (v > 2 * lanes) return fmt::format("vector_width {} exceeds twice the target's {} int32 lanes", v, lanes);
    if (to > og) return fmt::format("tile_o {} exceeds the {} output channels per group", to, og);
    if (tx > ow) return fmt::format("{} {} exceeds the {} output columns", tile_px, tx, ow);
    if (ty > oh) return fmt::format("tile_y {} exceeds the {} output rows", ty, oh);
    if ((on_o ? to : tx) % v != 0)
      return fmt::format("vector_width {} does not divide the vectorized tile {}", v, on_o ? to : tx);
    if (to * tx * ty / v > register_budget(target))
      return fmt::format("a {}x{}x{} tile needs {} accumulator vectors (budget {})", to, tx, ty, to * tx * ty / v,
                         register_budget(target));
    const int wb = word_bits(parse_dtype(c.get("word")));
    const bool along_cs = !dense && c.get("pack_axis") == "cs";
    if (along_cs && wl.kw == 1) return "pack_axis cs needs a kernel wider than one column";
    const std::int64_t words = ((along_cs ? geo.cg * wl.kw : geo.cg) + wb - 1) / wb;
    if (c.get_int("split_words") > words)
      return fmt::format("split_words {} exceeds the {} packed words", c.get_int("split_words"), words);
    if (c.get_bool("unroll_planes") && ka * kw > 16) return "unroll_planes needs at most 16 plane pairs";
    // Code size: the fully unrolled loop body, in vector operations. Past this, compile
    // time grows to tens of seconds for no speed (the body no longer fits the uop cache).
    std::int64_t body = to * tx * ty / v * c.get_int("split_words");
    if (c.get_bool("unroll_planes")) body *= ka * kw;
    if (!dense && c.get_bool("unroll_window")) body *= taps;
    if (body > kMaxUnrolledBody)
      return fmt::format("the unrolled loop body has {} vector operations (at most {})", body, kMaxUnrolledBody);
    if (!dense && c.get_bool("unroll_window") && (taps > 9 || taps == 1))
      return "unroll_window needs a window of 2 to 9 taps";
    return "";
  };

  // The default: a register tile of about 8 accumulator vectors, vectorized on output
  // channels when a group has enough of them.
  Config d;
  d.set("word", target.vector_popcount || target.vector_bits > 128 ? "u32" : "u64");
  if (target.isa == "scalar") d.set("word", "u64");
  std::int64_t v = std::min<std::int64_t>(lanes, 16);
  if (target.isa == "scalar") v = 1;
  const bool on_o = og >= v || ow < v;
  if (!on_o) v = std::min<std::int64_t>(v, 8);  // the pixel tile is at most 8 wide
  while (v > 1 && (on_o ? og : ow) < v) v /= 2;
  if (v == 2) v = 1;  // no 2-lane knob value
  d.set("vector_axis", on_o ? "o" : "x");
  d.set("vector_width", std::to_string(v));
  std::int64_t to = on_o ? std::min<std::int64_t>(floor_pow2(og), 2 * v) : std::min<std::int64_t>(floor_pow2(og), 4);
  std::int64_t tx = on_o ? std::min<std::int64_t>(floor_pow2(ow), 4) : std::min<std::int64_t>(floor_pow2(ow), 2 * v);
  to = std::min<std::int64_t>(to, 32);
  tx = std::min<std::int64_t>(tx, 8);
  if (on_o && to < v) to = v;
  if (!on_o && tx < v) tx = v;
  // Over budget: shrink the tile axis that is not vectorized (it only adds registers).
  while (to * tx / v > register_budget(target)) {
    std::int64_t& other = on_o ? tx : to;
    if (other == 1) break;
    other /= 2;
  }
  d.set("tile_o", std::to_string(to));
  d.set(tile_px, std::to_string(tx));
  d.set("loop_order", "taps_planes_words");
  d.set("unroll_planes", ka * kw <= 4 ? "1" : "0");
  d.set("split_words", "1");
  d.set("parallel", "pixels");
  d.set("plane_axis", "pixel");
  if (!dense) {
    d.set("tile_y", "1");
    d.set("unroll_window", "0");
    d.set("pack_at", "root");
    const int wb = word_bits(parse_dtype(d.get("word")));
    d.set("pack_axis", wl.kw > 1 && 2 * geo.cg < wb ? "cs" : "c");
  }
  return ScheduleSpace(dense ? "bit-serial dense" : "bit-serial conv2d", std::move(knobs), rule, d);
}

}  // namespace bitforge::codegen
