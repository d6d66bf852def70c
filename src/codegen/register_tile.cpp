#include "codegen/register_tile.hpp"

#include <algorithm>

#include "codegen/conv2d_geometry.hpp"
#include "codegen/spaces.hpp"

namespace bitforge::codegen {

namespace {
std::string pixel_knob(bool dense) { return dense ? "tile_n" : "tile_x"; }

std::int64_t floor_pow2(std::int64_t v) {
  std::int64_t p = 1;
  while (p * 2 <= v) p *= 2;
  return p;
}
}  // namespace

TileLimits tile_limits(const Conv2d& wl, const CodegenTarget& target, bool dense) {
  TileLimits l;
  l.og = conv_geometry(wl).og;
  l.ow = wl.out_w();
  l.oh = wl.out_h();
  l.lanes = natural_int32_lanes(target);
  l.budget = register_budget(target);
  l.scalar = target.isa == "scalar";
  l.dense = dense;
  return l;
}

std::vector<Knob> tile_knobs(bool dense) {
  std::vector<Knob> k = {
      choice_knob("vector_axis", {"o", "x"},
                  "output axis spread across SIMD lanes. Default: output channels, whose weights are "
                  "contiguous; output columns when a group has too few channels (depthwise)"),
      int_knob("vector_width", {1, 4, 8, 16}, "SIMD lanes of 32-bit accumulators. Default: the target's natural width"),
      int_knob("tile_o", {1, 2, 4, 8, 16, 32}, "output channels per register tile"),
      int_knob(pixel_knob(dense), {1, 2, 4, 8, 16}, "output pixels per register tile"),
      choice_knob("parallel", {"none", "pixels", "channels"},
                  "axis of output tiles run on threads. Default: pixels (rows), the longest"),
  };
  if (!dense) k.push_back(int_knob("tile_y", {1, 2, 4}, "output rows per register tile. Default: 1"));
  return k;
}

std::int64_t tile_vectors(const Config& c, bool dense) {
  const std::int64_t ty = dense ? 1 : c.get_int("tile_y");
  return c.get_int("tile_o") * c.get_int(pixel_knob(dense)) * ty / c.get_int("vector_width");
}

std::string check_tile(const Config& c, const TileLimits& l) {
  const std::string px = pixel_knob(l.dense);
  const std::int64_t v = c.get_int("vector_width"), to = c.get_int("tile_o"), tx = c.get_int(px);
  const std::int64_t ty = l.dense ? 1 : c.get_int("tile_y");
  const bool on_o = c.get("vector_axis") == "o";
  if (v > 2 * l.lanes) return fmt::format("vector_width {} exceeds twice the target's {} int32 lanes", v, l.lanes);
  // Tiles no larger than what they tile: every tile is then full (ShiftInwards), so the
  // accumulator's loops have constant extents and unroll.
  if (to > l.og) return fmt::format("tile_o {} exceeds the {} output channels per group", to, l.og);
  if (tx > l.ow) return fmt::format("{} {} exceeds the {} output columns", px, tx, l.ow);
  if (ty > l.oh) return fmt::format("tile_y {} exceeds the {} output rows", ty, l.oh);
  if ((on_o ? to : tx) % v != 0)
    return fmt::format("vector_width {} does not divide the vectorized tile {}", v, on_o ? to : tx);
  if (tile_vectors(c, l.dense) > l.budget)
    return fmt::format("a {}x{}x{} tile needs {} accumulator vectors (budget {})", to, tx, ty,
                       tile_vectors(c, l.dense), l.budget);
  return "";
}

std::string check_unrolling(const Config& c, bool dense, std::int64_t taps, std::int64_t inner_unroll) {
  const bool unroll_window = !dense && c.get_bool("unroll_window");
  if (unroll_window && (taps > 9 || taps == 1)) return "unroll_window needs a window of 2 to 9 taps";
  const std::int64_t body = tile_vectors(c, dense) * inner_unroll * (unroll_window ? taps : 1);
  if (body > kMaxUnrolledBody)
    return fmt::format("the unrolled loop body has {} vector operations (at most {})", body, kMaxUnrolledBody);
  return "";
}

void set_default_tile(Config& d, const TileLimits& l) {
  std::int64_t v = l.scalar ? 1 : std::min(l.lanes, 16);
  const bool on_o = l.og >= v || l.ow < v;
  if (!on_o) v = std::min<std::int64_t>(v, 8);  // the pixel tile is at most 8 wide
  while (v > 1 && (on_o ? l.og : l.ow) < v) v /= 2;
  if (v == 2) v = 1;  // no 2-lane knob value
  std::int64_t to = std::min<std::int64_t>(floor_pow2(l.og), on_o ? 2 * v : 4);
  std::int64_t tx = std::min<std::int64_t>(floor_pow2(l.ow), on_o ? 4 : 2 * v);
  to = std::max<std::int64_t>(std::min<std::int64_t>(to, 32), on_o ? v : 1);
  tx = std::max<std::int64_t>(std::min<std::int64_t>(tx, 8), on_o ? 1 : v);
  // Over budget: shrink the tile axis that is not vectorized (it only adds registers).
  while (to * tx / v > l.budget) {
    std::int64_t& other = on_o ? tx : to;
    if (other == 1) break;
    other /= 2;
  }
  d.set("vector_axis", on_o ? "o" : "x");
  d.set("vector_width", std::to_string(v));
  d.set("tile_o", std::to_string(to));
  d.set(pixel_knob(l.dense), std::to_string(tx));
  d.set("parallel", "pixels");
  if (!l.dense) d.set("tile_y", "1");
}

}  // namespace bitforge::codegen
