// The schedule space of the baseline convolution (and dense), its default, and the
// schedule that applies a config.
#include <algorithm>

#include "codegen/baseline_conv2d.hpp"
#include "codegen/conv2d_geometry.hpp"
#include "codegen/conv2d_tiling.hpp"
#include "codegen/register_tile.hpp"
#include "codegen/spaces.hpp"

namespace bitforge::codegen {

using namespace Halide;

ScheduleSpace baseline_conv2d_space(const Conv2d& wl, const CodegenTarget& target, bool dense) {
  const ConvGeometry geo = conv_geometry(wl);
  const TileLimits limits = tile_limits(wl, target, dense);
  const std::int64_t taps = wl.kh * wl.kw;
  std::vector<Knob> knobs = tile_knobs(dense);
  knobs.push_back(choice_knob("loop_order", {"taps_channels", "channels_taps"},
                              "reduction nest, outermost first. Default: taps outermost, channels innermost"));
  knobs.push_back(int_knob("split_c", {1, 2, 4}, "unroll factor of the channel loop. Default: 1"));
  if (!dense) knobs.push_back(int_knob("unroll_window", {0, 1}, "unroll the kernel window. Default: off"));
  auto rule = [=](const Config& c) -> std::string {
    if (std::string why = check_tile(c, limits); !why.empty()) return why;
    if (c.get_int("split_c") > geo.cg) return "split_c exceeds the channels per group";
    return check_unrolling(c, dense, taps, c.get_int("split_c"));
  };
  Config d;
  set_default_tile(d, limits);
  d.set("loop_order", "taps_channels");
  d.set("split_c", "1");
  if (!dense) d.set("unroll_window", "0");
  return ScheduleSpace(dense ? "baseline dense" : "baseline conv2d", std::move(knobs), rule, d);
}

std::unique_ptr<GeneratedOperator> generate_baseline_conv2d(const Conv2d& wl, const Config& cfg,
                                                            const CodegenTarget& target) {
  (void)target;
  auto op = std::make_unique<GeneratedOperator>();
  BaselineConv2dFuncs f = define_baseline_conv2d(wl, *op);
  const bool dense = cfg.values().count("tile_n") != 0;
  const ConvGeometry geo = conv_geometry(wl);
  const TileShape t = tile_shape(cfg, geo.groups, geo.og, dense);
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
