// Layout helpers shared by the two reference accumulators (internal to reference/).
#pragma once

#include <array>

#include "core/tensor.hpp"
#include "ops/workload.hpp"

namespace bitforge::reference {

// The activations as a contiguous NCHW tensor of `dtype` (a copy).
Tensor as_nchw(const Conv2d& wl, const Tensor& x, DType dtype);
// The weights as a contiguous OIHW tensor of `dtype` (a copy).
Tensor as_oihw(const Conv2d& wl, const Tensor& w, DType dtype);

// Index of output element (n, o, y, x) in the workload's output layout.
inline std::array<std::int64_t, 4> output_index(const Conv2d& wl, std::int64_t n, std::int64_t o,
                                                 std::int64_t y, std::int64_t x) {
  if (wl.layout == ActLayout::NCHW) return {n, o, y, x};
  return {n, y, x, o};
}

}  // namespace bitforge::reference
