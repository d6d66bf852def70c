// bitforge codegen (internal): the direct convolution of the baseline families (int8
// u8 x s8, int16 signed x signed, float32), the "same compiler" comparison for the
// bit-serial operator.
#pragma once

#include <Halide.h>

#include "codegen/generated_operator.hpp"

namespace bitforge::codegen {

struct BaselineConv2dFuncs {
  Halide::RDom rd;   // (c, s, r)
  Halide::Func sum;  // (oi, g, x, y, n)
};

// Storage dtype of the kernel's operands: u8/i8 for int8, i16 for int16, f32 for float.
DType baseline_input_dtype(const Conv2d& wl);
DType baseline_weight_dtype(const Conv2d& wl);

BaselineConv2dFuncs define_baseline_conv2d(const Conv2d& wl, GeneratedOperator& op);

}  // namespace bitforge::codegen
