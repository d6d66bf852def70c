// bitforge codegen: the epilogue (SEMANTICS §4) and the output layouts, as Halide code
// shared by every generated operator. An algorithm provides its accumulator as a Func of
// (o, x, y, n); this file turns it into the output Func in the workload's layout,
// including the bit-packed threshold output.
#pragma once

#include <Halide.h>

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

// Halide type of a DType.
Halide::Type halide_type(DType t);

}  // namespace bitforge::codegen
