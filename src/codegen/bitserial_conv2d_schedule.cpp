// The bit-serial conv2d's schedule: every decision comes from a knob of its space
// (bitserial_conv2d_space.cpp), applied to the stages of its algorithm.
#include <algorithm>

#include "codegen/bitserial_conv2d.hpp"
#include "codegen/conv2d_geometry.hpp"
#include "codegen/conv2d_tiling.hpp"
#include "codegen/spaces.hpp"
#include "quant/bitpack.hpp"

namespace bitforge::codegen {

using namespace Halide;

namespace {
// Reads a knob the dense space does not have, with the value dense layers always use.
std::string knob_or(const Config& c, const std::string& knob, const std::string& fixed) {
  return c.values().count(knob) ? c.get(knob) : fixed;
}

void schedule_bitserial_conv2d(const Conv2d& wl, const Config& cfg, const CodegenTarget& target, bool dense,
                               BitserialConv2dFuncs& f, GeneratedOperator& op) {
  const ConvGeometry geo = conv_geometry(wl);
  const TileShape t = tile_shape(cfg, geo.groups, geo.og, dense);
  TiledLoops loops = tile_output(op.output, t);

  // Reduction loop nest, innermost first.
  RVar wd = f.rd[0], i = f.rd[1], j = f.rd[2], s = f.rd[3], r = f.rd[4];
  std::vector<VarOrRVar> words = {wd};
  const int split = static_cast<int>(cfg.get_int("split_words"));
  Stage core = f.sum.update();
  if (split > 1) {
    RVar wo("wd_outer"), wi("wd_inner");
    core.split(wd, wo, wi, split, TailStrategy::GuardWithIf).unroll(wi);
    words = {wi, wo};
  }
  std::vector<VarOrRVar> order;
  auto append = [&](std::vector<VarOrRVar> v) { order.insert(order.end(), v.begin(), v.end()); };
  const std::string lo = cfg.get("loop_order");
  if (lo == "taps_planes_words") { append(words); append({j, i, s, r}); }
  if (lo == "planes_taps_words") { append(words); append({s, r, j, i}); }
  if (lo == "taps_words_planes") { append({j, i}); append(words); append({s, r}); }
  schedule_accumulator(f.sum, order, loops, t);
  if (cfg.get_bool("unroll_planes")) core.unroll(i).unroll(j);
  if (knob_or(cfg, "unroll_window", "0") == "1") core.unroll(s).unroll(r);

  // Activation packing: all at once, or per row of output tiles.
  const bool at_row = knob_or(cfg, "pack_at", "root") == "row";
  Func& pa = f.packed_act;
  if (at_row) pa.compute_at(loops.tiled, loops.yo); else pa.compute_root();
  Var pwd = pa.args()[0], pi = pa.args()[1], px = pa.args()[2], py = pa.args()[3];
  if (cfg.get("plane_axis") == "image") pa.reorder_storage(pwd, px, py, pi);
  // Packing vectorizes across pixels, one word per lane; past 16 lanes (narrow words)
  // the code only grows, and most rows are not that wide.
  const int pack_lanes = std::clamp(target.vector_bits / word_bits(op.prepared_dtype), 1, 16);
  pa.update().reorder(px, f.pack_lane, pwd, pi, py);
  if (pack_lanes > 1) {
    pa.vectorize(px, pack_lanes, TailStrategy::RoundUp);
    pa.update().vectorize(px, pack_lanes, TailStrategy::RoundUp);
  }
  if (f.act_sum.defined()) {
    if (at_row) f.act_sum.compute_at(loops.tiled, loops.yo); else f.act_sum.compute_root();
    f.window_act_sum.compute_at(loops.tiled, loops.xo);
  }
  if (f.weight_sum.defined()) {
    f.weight_sum.compute_root();
    f.channel_constant.compute_root();
    f.border_correction.compute_root();
  }
}
}  // namespace

std::unique_ptr<GeneratedOperator> generate_bitserial_conv2d(const Conv2d& wl, const Config& config,
                                                             const CodegenTarget& target) {
  auto op = std::make_unique<GeneratedOperator>();
  const bool dense = config.values().count("tile_n") != 0;
  const PackAxis axis = knob_or(config, "pack_axis", "c") == "cs" ? PackAxis::ChannelsAndColumns : PackAxis::Channels;
  BitserialConv2dFuncs f = define_bitserial_conv2d(wl, parse_dtype(config.get("word")), axis, *op);
  schedule_bitserial_conv2d(wl, config, target, dense, f, *op);
  return op;
}

std::vector<Argument> GeneratedOperator::run_arguments(const Epilogue& e) const {
  std::vector<Argument> args = {input, prepared_in};
  for (Argument a : epilogue.arguments(e)) args.push_back(a);
  return args;
}

}  // namespace bitforge::codegen
