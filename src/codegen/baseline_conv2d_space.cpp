// The schedule space of the baseline convolution (and dense), its default, and the
// schedule that applies a config.
#include <algorithm>

#include "codegen/baseline_conv2d.hpp"
#include "codegen/conv2d_geometry.hpp"
#include "codegen/conv2d_tiling.hpp"
#include "codegen/spaces.hpp"

namespace bitforge::codegen {

using namespace Halide;

ScheduleSpace baseline_conv2d_space(const Conv2d& wl, const CodegenTarget& target, bool dense) {
  const ConvGeometry geo = conv_geometry(wl);
  const std::int64_t og = geo.og, ow = wl.out_w(), oh = wl.out_h(), taps = wl.kh * wl.kw;
  const int lanes = natural_int32_lanes(target);
  const std::string tile_px = dense ? "tile_n" : "tile_x";
  std::vector<Knob> knobs = {
      choice_knob("vector_axis", {"o", "x"}, "output axis across SIMD lanes. Default: output channels"),
      int_knob("vector_width", {1, 4, 8, 16}, "SIMD lanes of 32-bit accumulators. Default: natural width"),
      int_knob("tile_o", {1, 2, 4, 8, 16, 32}, "output channels per register tile"),
      int_knob(tile_px, {1, 2, 4, 8}, "output pixels per register tile"),
      choice_knob("loop_order", {"taps_channels", "channels_taps"},
                  "reduction nest, outermost first. Default: taps outermost, channels innermost"),
      int_knob("split_c", {1, 2, 4}, "unroll factor of the channel loop. Default: 1"),
      choice_knob("parallel", {"none", "pixels", "channels"}, "axis of tiles run on threads. Default: pixels"),
  };
  if (!dense) {
    knobs.push_back(int_knob("tile_y", {1, 2, 4}, "output rows per register tile. Default: 1"));
    knobs.push_back(int_knob("unroll_window", {0, 1}, "unroll the kernel window. Default: off"));
  }
  auto rule = [=](const Config& c) -> std::string {
    const std::int64_t v = c.get_int("vector_width"), to = c.get_int("tile_o"), tx = c.get_int(tile_px);
    const std::int64_t ty = dense ? 1 : c.get_int("tile_y");
    const bool on_o = c.get("vector_axis") == "o";
    if (v > 2 * lanes) return fmt::format("vector_width {} exceeds twice the target's {} lanes", v, lanes);
    if (to > og) return fmt::format("tile_o {} exceeds the {} output channels per group", to, og);
    if (tx > ow) return fmt::format("{} {} exceeds the {} output columns", tile_px, tx, ow);
    if (ty > oh) return fmt::format("tile_y {} exceeds the {} output rows", ty, oh);
    if ((on_o ? to : tx) % v != 0) return fmt::format("vector_width {} does not divide the vectorized tile", v);
    if (to * tx * ty / v > register_budget(target))
      return fmt::format("a {}x{}x{} tile needs {} accumulator vectors (budget {})", to, tx, ty, to * tx * ty / v,
                         register_budget(target));
    if (c.get_int("split_c") > geo.cg) return "split_c exceeds the channels per group";
    if (!dense && c.get_bool("unroll_window") && (taps > 9 || taps == 1))
      return "unroll_window needs a window of 2 to 9 taps";
    std::int64_t body = to * tx * ty / v * c.get_int("split_c");
    if (!dense && c.get_bool("unroll_window")) body *= taps;
    if (body > kMaxUnrolledBody)
      return fmt::format("the unrolled loop body has {} vector operations (at most {})", body, kMaxUnrolledBody);
    return "";
  };
  Config d;
  std::int64_t v = target.isa == "scalar" ? 1 : lanes;
  const bool on_o = og >= v || ow < v;
  if (!on_o) v = std::min<std::int64_t>(v, 8);  // the pixel tile is at most 8 wide
  while (v > 1 && (on_o ? og : ow) < v) v /= 2;
  if (v == 2) v = 1;
  std::int64_t to = 1, tx = 1;
  while (to * 2 <= std::min<std::int64_t>(og, on_o ? 2 * v : 4)) to *= 2;
  while (tx * 2 <= std::min<std::int64_t>(ow, on_o ? 4 : 2 * v)) tx *= 2;
  if (on_o) to = std::max(to, v); else tx = std::max(tx, v);
  d.set("vector_axis", on_o ? "o" : "x");
  d.set("vector_width", std::to_string(v));
  d.set("tile_o", std::to_string(to));
  d.set(tile_px, std::to_string(tx));
  d.set("loop_order", "taps_channels");
  d.set("split_c", "1");
  d.set("parallel", "pixels");
  if (!dense) {
    d.set("tile_y", "1");
    d.set("unroll_window", "0");
  }
  return ScheduleSpace(dense ? "baseline dense" : "baseline conv2d", std::move(knobs), rule, d);
}

std::unique_ptr<GeneratedOperator> generate_baseline_conv2d(const Conv2d& wl, const Config& cfg,
                                                            const CodegenTarget& target) {
  (void)target;
  auto op = std::make_unique<GeneratedOperator>();
  BaselineConv2dFuncs f = define_baseline_conv2d(wl, *op);
  const bool dense = cfg.values().count("tile_n") != 0;
  const ConvGeometry geo = conv_geometry(wl);
  TileShape t;
  t.tile_o = static_cast<int>(cfg.get_int("tile_o"));
  t.tile_x = static_cast<int>(cfg.get_int(dense ? "tile_n" : "tile_x"));
  t.tile_y = dense ? 1 : static_cast<int>(cfg.get_int("tile_y"));
  t.vector = static_cast<int>(cfg.get_int("vector_width"));
  t.vector_on_o = cfg.get("vector_axis") == "o";
  t.parallel = cfg.get("parallel");
  t.dense = dense;
  t.groups = static_cast<int>(geo.groups);
  t.og = static_cast<int>(geo.og);
  TiledLoops loops = tile_output(op->output, t);

  RVar c = f.rd.x, s = f.rd.y, r = f.rd.z;
  Stage core = f.sum.update();
  std::vector<VarOrRVar> channels = {c};
  if (const int split = static_cast<int>(cfg.get_int("split_c")); split > 1) {
    RVar co("c_outer"), ci("c_inner");
    core.split(c, co, ci, split, TailStrategy::GuardWithIf).unroll(ci);
    channels = {ci, co};
  }
  std::vector<VarOrRVar> order;
  if (cfg.get("loop_order") == "taps_channels") {
    order = channels;
    order.insert(order.end(), {s, r});
  } else {
    order = {s, r};
    order.insert(order.end(), channels.begin(), channels.end());
  }
  schedule_accumulator(f.sum, order, loops, t);
  if (!dense && cfg.get_bool("unroll_window")) core.unroll(s).unroll(r);
  return op;
}

}  // namespace bitforge::codegen
