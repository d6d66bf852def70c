// bitforge codegen: the epilogue (SEMANTICS §4) and the output layouts, as Halide code
// shared by every generated operator. An algorithm provides its accumulator as a Func of
// (o, x, y, n); this file turns it into the output Func in the workload's layout,
// including the bit-packed threshold output.
#pragma once

#include <Halide.h>

#include <functional>
#include <string>
#include <vector>

#include "ops/workload.hpp"

namespace bitforge::codegen {

// The Halide inputs an epilogue reads (only those its kind needs become arguments).
struct EpilogueInputs {
  Halide::ImageParam scale{Halide::Float(32), 1, "scale"};
  Halide::ImageParam bias{Halide::Float(32), 1, "bias"};
  Halide::ImageParam thresholds{Halide::Int(32), 2, "thresholds"};  // (t, o)
  Halide::ImageParam descending{Halide::UInt(8), 1, "descending"};
  Halide::Param<float> clip_lo{"clip_lo"}, clip_hi{"clip_hi"};

  std::vector<Halide::Argument> arguments(const Epilogue& e) const;
};

// The output of a convolution-shaped operator.
struct OutputStage {
  Halide::Func value;  // (o, x, y, n): the epilogue's per-element value (before packing)
  Halide::Func out;    // the pipeline output, args in the layout's storage order
  bool packed = false; // out packs `value` along o; else out is `value` re-indexed
  Halide::Var o{"o"}, x{"x"}, y{"y"}, n{"n"};  // value's args
};

OutputStage define_output(const Conv2d& wl, const Halide::Func& acc, EpilogueInputs& in);

// The activations with zero padding, in padded coordinates: f(c, px, py, n) =
// value(level at (c, px - left, py - top, n)) inside the input, 0 outside. Reads are
// clamped into the input, so any region Halide asks for is safe.
Halide::Func padded_input(const Conv2d& wl, const Halide::ImageParam& input,
                          const std::function<Halide::Expr(Halide::Expr)>& value, Halide::Type type,
                          const std::string& name);

// Group indices for reads inside an accumulator (oi, g, ...): with several groups the
// output channel o splits into (o / og, o % og), whose bounds Halide may over-approximate
// for a tile; clamping keeps every read in bounds. One group: exact, nothing to clamp.
struct GroupIndex {
  Halide::Expr g, oi;
};
GroupIndex clamped_group(const Halide::Var& g, const Halide::Var& oi, std::int64_t groups, std::int64_t og);

// acc(o, x, y, n) over an accumulator total(oi, g, x, y, n). With one group the index is o
// itself, which keeps bounds inference exact for a tile of output channels.
Halide::Func grouped_accumulator(const Halide::Func& total, std::int64_t groups, std::int64_t og);

// Halide type of a DType.
Halide::Type halide_type(DType t);

}  // namespace bitforge::codegen
