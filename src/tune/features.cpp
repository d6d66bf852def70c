// Features of a config for the cost model (cost_model.hpp).
//
// A row is: every knob of the space (numeric knobs as their value, choice knobs one-hot
// over the knob's value list), then derived features that say what the schedule does to
// the machine (register tile, vector use, unrolled code size, padding and tail waste,
// working set per cache level), then workload descriptors. The knob part makes distinct
// configs distinct rows; the derived part is what lets a small tree ensemble generalize
// from a few dozen trials (a tree cannot multiply tile_o by tile_x by itself); the
// workload part lets rows of other workloads of the same family inform this one
// (transfer). The layout depends only on the space's knob set, so every workload of one
// operator family yields rows of one length.
#include <algorithm>
#include <cmath>

#include "codegen/spaces.hpp"
#include "core/error.hpp"
#include "quant/bitpack.hpp"
#include "tune/cost_model.hpp"

namespace bitforge {

namespace {

// The convolution a workload runs (dense is a 1x1 convolution over a row of N pixels,
// like the schedule spaces treat it).
Conv2d as_conv(const Workload& wl) {
  if (const auto* d = std::get_if<Dense>(&wl)) return d->as_conv2d();
  return std::get<Conv2d>(wl);
}

std::int64_t knob_int(const Config& c, const std::string& name, std::int64_t fallback) {
  auto it = c.values().find(name);
  return it == c.values().end() ? fallback : std::stoll(it->second);
}

std::string knob_str(const Config& c, const std::string& name, const std::string& fallback) {
  auto it = c.values().find(name);
  return it == c.values().end() ? fallback : it->second;
}

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// Sizes span many orders of magnitude; log2 keeps the tree's split points meaningful
// across workloads of very different sizes.
float log2f_at_least_1(double v) { return static_cast<float>(std::log2(std::max(v, 1.0))); }

// Bits per element of a baseline operand as stored (int8 family: 8, int16: 16, f32: 32).
int stored_bits(const OperandType& t) {
  if (t.is_float()) return 32;
  return t.bits <= 8 ? 8 : 16;
}

}  // namespace

std::vector<float> config_features(const Workload& wl, const CodegenTarget& target, const ScheduleSpace& space,
                                   const Config& config) {
  std::vector<float> f;
  f.reserve(96);

  // --- knob values -----------------------------------------------------------------
  for (const Knob& k : space.knobs()) {
    const std::string& v = config.get(k.name);
    if (k.numeric) {
      f.push_back(static_cast<float>(std::stoll(v)));
    } else {
      auto it = std::find(k.values.begin(), k.values.end(), v);
      if (it == k.values.end())
        fail("knob '{}' value '{}' is not allowed (allowed: {})", k.name, v, fmt::join(k.values, ", "));
      for (const std::string& value : k.values) f.push_back(value == v ? 1.0f : 0.0f);
    }
  }

  // --- derived features ------------------------------------------------------------
  const Conv2d cv = as_conv(wl);
  const bool bitserial = cv.act.is_low_bit() && cv.wgt.is_low_bit();
  const std::int64_t groups = cv.groups, cg = cv.c / groups, og = cv.o / groups;
  const std::int64_t oh = cv.out_h(), ow = cv.out_w(), taps = cv.kh * cv.kw;
  const std::int64_t ka = bitserial ? cv.act.bits : 1, kw = bitserial ? cv.wgt.bits : 1;

  const std::int64_t v = knob_int(config, "vector_width", 1);
  const std::int64_t to = knob_int(config, "tile_o", 1);
  const std::int64_t tx = knob_int(config, config.values().count("tile_n") ? "tile_n" : "tile_x", 1);
  const std::int64_t ty = knob_int(config, "tile_y", 1);
  const bool on_o = knob_str(config, "vector_axis", "o") == "o";
  const std::int64_t split = knob_int(config, bitserial ? "split_words" : "split_c", 1);
  const bool unroll_planes = knob_int(config, "unroll_planes", 0) != 0;
  const bool unroll_window = knob_int(config, "unroll_window", 0) != 0;
  const std::string parallel = knob_str(config, "parallel", "none");
  const bool pack_per_row = knob_str(config, "pack_at", "root") == "row";

  // The reduction's unit: packed words (bit-serial) or channels. Words pack the channel
  // group, one segment per kernel column, or (pack_axis "cs") channels x kernel columns
  // in one segment, which wastes fewer tail bits when a group has few channels.
  const int wb = bitserial ? word_bits(parse_dtype(knob_str(config, "word", "u32"))) : stored_bits(cv.act);
  const bool along_cs = bitserial && knob_str(config, "pack_axis", "c") == "cs";
  const std::int64_t lanes_per_segment = along_cs ? cg * cv.kw : cg;
  const std::int64_t segments = along_cs ? 1 : cv.kw;  // per kernel row
  const std::int64_t words = bitserial ? ceil_div(lanes_per_segment, wb) : cg;  // per segment
  const std::int64_t words_per_tap_row = words * segments;  // what a kernel row reduces over
  const double word_bytes = bitserial ? wb / 8.0 : stored_bits(cv.act) / 8.0;
  const double wgt_word_bytes = bitserial ? wb / 8.0 : stored_bits(cv.wgt) / 8.0;

  const std::int64_t tile_elems = to * tx * ty;
  const double acc_vectors = static_cast<double>(tile_elems) / static_cast<double>(v);
  const int lanes = codegen::natural_int32_lanes(target);
  std::int64_t body = tile_elems / std::max<std::int64_t>(v, 1) * split;
  if (unroll_planes) body *= ka * kw;
  if (unroll_window) body *= taps;

  f.push_back(static_cast<float>(v));
  f.push_back(static_cast<float>(v) / static_cast<float>(lanes));  // share of a natural vector used
  f.push_back(static_cast<float>(tile_elems));
  f.push_back(static_cast<float>(acc_vectors));
  f.push_back(static_cast<float>(acc_vectors / codegen::register_budget(target)));  // register pressure
  // Loop order as an ordinal too: a tree splits on one column more cheaply than on a one-hot set.
  {
    const std::string lo = knob_str(config, "loop_order", "");
    float ordinal = 0;
    for (const Knob& k : space.knobs())
      if (k.name == "loop_order")
        ordinal = static_cast<float>(std::find(k.values.begin(), k.values.end(), lo) - k.values.begin());
    f.push_back(ordinal);
  }
  f.push_back(static_cast<float>(body));  // unrolled body, vector operations (code size)
  f.push_back(static_cast<float>(wb));
  f.push_back(static_cast<float>(words));  // packed words (or channels) per segment
  // Padding waste of the last word: popcounts of tail bits are paid for, not used.
  f.push_back(static_cast<float>(words * (bitserial ? wb : 1)) / static_cast<float>(lanes_per_segment));
  // Tail waste: a tile that overhangs the output computes (or guards) lanes nobody reads.
  const double waste_o = static_cast<double>(ceil_div(og, to) * to) / og;
  const double waste_x = static_cast<double>(ceil_div(ow, tx) * tx) / ow;
  const double waste_y = static_cast<double>(ceil_div(oh, ty) * ty) / oh;
  f.push_back(static_cast<float>(waste_o));
  f.push_back(static_cast<float>(waste_x));
  f.push_back(static_cast<float>(waste_y));
  f.push_back(static_cast<float>(waste_o * waste_x * waste_y));
  // How many vectors fill the vectorized axis (few: vector lanes idle at the edges).
  f.push_back(log2f_at_least_1(static_cast<double>(on_o ? og : ow) / v));
  // Independent tasks the parallel axis offers.
  double tasks = 1;
  if (parallel == "pixels") tasks = static_cast<double>(cv.n * ceil_div(oh, ty));
  if (parallel == "channels") tasks = static_cast<double>(groups * ceil_div(og, to));
  f.push_back(log2f_at_least_1(tasks));
  // Reduction length per accumulator: word popcounts (or MACs) per output.
  f.push_back(log2f_at_least_1(static_cast<double>(words_per_tap_row * cv.kh * ka * kw)));

  // Working set per cache level, in bytes (log2). L1: what one register tile's reduction
  // touches (accumulators, its weights, its input window); L2: what a row of tiles reuses
  // (the packed input rows under the window, all weights of a group); L3/memory: the
  // whole layer (packed or fused-per-row activations, weights, output).
  const std::int64_t win_rows = (ty - 1) * cv.stride_h + (cv.kh - 1) * cv.dilation_h + 1;
  // Packed along channels x columns, one packed item per output column already covers
  // the window's columns.
  const std::int64_t win_cols = (tx - 1) * cv.stride_w + 1 + (along_cs ? 0 : (cv.kw - 1) * cv.dilation_w);
  const std::int64_t padded_w = cv.w + cv.pad_left + cv.pad_right;
  const std::int64_t padded_h = cv.h + cv.pad_top + cv.pad_bottom;
  const double acc_bytes = 4.0 * static_cast<double>(tile_elems);
  const double wgt_tile_bytes = static_cast<double>(to * cv.kh * words_per_tap_row * kw) * wgt_word_bytes;
  const double act_window_bytes = static_cast<double>(win_rows * win_cols * words * ka) * word_bytes;
  const double act_rows_bytes = static_cast<double>(win_rows * padded_w * words * ka) * word_bytes;
  const double wgt_group_bytes = static_cast<double>(og * cv.kh * words_per_tap_row * kw) * wgt_word_bytes;
  const double act_all_bytes =
      static_cast<double>(cv.n * groups * padded_h * padded_w * words * ka) * word_bytes;
  const double wgt_all_bytes = wgt_group_bytes * static_cast<double>(groups);
  const double out_bytes = 4.0 * static_cast<double>(cv.n * cv.o * oh * ow);
  f.push_back(log2f_at_least_1(acc_bytes));
  f.push_back(log2f_at_least_1(wgt_tile_bytes));
  f.push_back(log2f_at_least_1(act_window_bytes));
  f.push_back(log2f_at_least_1(acc_bytes + wgt_tile_bytes + act_window_bytes));  // L1
  f.push_back(log2f_at_least_1(act_rows_bytes));
  f.push_back(log2f_at_least_1(act_rows_bytes + wgt_group_bytes));  // L2
  f.push_back(log2f_at_least_1((pack_per_row ? act_rows_bytes : act_all_bytes) + wgt_all_bytes + out_bytes));  // L3

  // --- workload descriptors (constant within a workload; they matter for transfer) ---
  f.push_back(log2f_at_least_1(static_cast<double>(cv.c)));
  f.push_back(log2f_at_least_1(static_cast<double>(cv.o)));
  f.push_back(log2f_at_least_1(static_cast<double>(cv.h * cv.w)));
  f.push_back(log2f_at_least_1(static_cast<double>(oh * ow)));
  f.push_back(log2f_at_least_1(static_cast<double>(taps)));
  f.push_back(static_cast<float>(cv.stride_h));
  f.push_back(static_cast<float>(cv.act.bits));
  f.push_back(static_cast<float>(cv.wgt.bits));
  f.push_back(log2f_at_least_1(static_cast<double>(groups)));
  f.push_back(log2f_at_least_1(static_cast<double>(cv.macs())));
  return f;
}

}  // namespace bitforge
