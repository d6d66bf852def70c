// bitforge bench (internal): what every implementation shares — the workload it runs
// for a layer, the operands it is timed on and the check of its output against the
// reference before it is timed.
#pragma once

#include <memory>
#include <string>

#include "bench/implementation.hpp"
#include "core/tensor.hpp"

namespace bitforge::bench::detail {

// The layer `shape` with the operand types of `implementation` and the int32 (float32 for
// onednn-f32) accumulator output: wXaY -> uY x bX; int16 -> the widest sK x sK (K <= 16)
// that the overflow rule admits for this reduction; onednn-u8s8 -> u8 x s8; onednn-f32 ->
// f32 x f32. Error for a name check_implementation_name refuses or a layer no type fits.
Conv2d typed_workload(const std::string& implementation, const Conv2d& shape);

// Deterministic operands of `wl` (seeded by its key) and the reference output on them,
// computed once per workload per process.
struct CheckOperands {
  Tensor input, weight;  // values of wl's operand types in its layouts (int32 or f32 storage)
  Tensor expected;       // reference::conv2d on them, contiguous
};
std::shared_ptr<const CheckOperands> check_operands(const Conv2d& wl);

// Throws Error if `got` differs from `expected` (exactly for integers; within a relative
// tolerance for float32, whose summation order is free), naming the implementation, the
// workload and the first difference.
void check_output(const std::string& implementation, const Conv2d& wl, const Tensor& got,
                  const Tensor& expected);

}  // namespace bitforge::bench::detail
