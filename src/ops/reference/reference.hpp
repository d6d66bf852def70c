// bitforge ops::reference — the oracle every other implementation is tested against.
//
// Obviously correct and slow on purpose. Two independent accumulator paths exist so each
// checks the other: a direct integer convolution on levels, and the bit-serial path that
// bit-packs both operands and sums popcount identities (SEMANTICS §1) — the same math
// the fast kernels use, written plainly. The epilogue is shared: it is a per-element map
// with nothing to get wrong twice. This is not a fast path and is never dispatched to
// for speed.
#pragma once

#include "core/tensor.hpp"
#include "ops/epilogue.hpp"
#include "ops/workload.hpp"

namespace bitforge::reference {

// The full operators: validate the workload, the operands and the epilogue params, then
// accumulate (bit-serial path for low-bit operands, direct for the baselines) and apply
// the epilogue. Output: wl.output_shape() of wl.output_dtype().
Tensor conv2d(const Conv2d& wl, const Tensor& x, const Tensor& w, const EpilogueParams& params = {});
Tensor dense(const Dense& wl, const Tensor& x, const Tensor& w, const EpilogueParams& params = {});

// Either of the above, by the workload's operator.
Tensor run(const Workload& wl, const Tensor& x, const Tensor& w, const EpilogueParams& params = {});

// Refuses operands whose shape or values do not fit the workload ("input" / "weight").
void check_conv2d_operands(const Conv2d& wl, const Tensor& x, const Tensor& w);
void check_dense_operands(const Dense& wl, const Tensor& x, const Tensor& w);

// Oracle 1: direct convolution on levels / values, any family. Returns the accumulator
// (i32, or f32 summed in double for Float32) in wl.accumulator_shape(). Operands are
// assumed checked.
Tensor conv2d_accumulate_direct(const Conv2d& wl, const Tensor& x, const Tensor& w);
// Oracle 2: bit-packed operands and popcount identities; BitSerial family only.
Tensor conv2d_accumulate_bitserial(const Conv2d& wl, const Tensor& x, const Tensor& w);

// SEMANTICS §4 applied to an accumulator whose output channels lie on `channel_axis`.
Tensor apply_epilogue(const Tensor& acc, const Epilogue& epilogue, int channel_axis,
                      const EpilogueParams& params);

}  // namespace bitforge::reference
