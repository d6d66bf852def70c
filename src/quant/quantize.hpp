// bitforge quant: float32 -> levels quantizers (the training-side conventions of
// DoReFa / Larq, so users can feed float tensors through the same encodings).
//
// Rounding: to the nearest level, ties toward +infinity (so the bipolar 1-bit grid
// agrees with sign(0) = +1). NaN is refused. These are conveniences for producing
// levels; operators take levels and never quantize internally.
#pragma once

#include "core/tensor.hpp"
#include "quant/encoding.hpp"

namespace bitforge {

// Unsigned k-bit: clip x to [lo, hi] (lo < hi), then map linearly onto 0 .. 2^k - 1.
Tensor quantize_unsigned(const Tensor& x, int bits, float lo, float hi);
// Bipolar 1-bit: +1 where x >= 0, -1 elsewhere.
Tensor quantize_bipolar_sign(const Tensor& x);
// Bipolar k-bit grid: clip x to [-clip, clip] (clip > 0), map linearly onto
// [-(2^k - 1), 2^k - 1] and take the nearest odd level.
Tensor quantize_bipolar(const Tensor& x, int bits, float clip);

}  // namespace bitforge
