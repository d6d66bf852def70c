// bitforge codegen (internal): every workload runs as a convolution. A dense layer
// Y[n, o] = Σ_c X[n, c] W[o, c] is exactly a 1x1 NHWC convolution over one row of N
// pixels: X [N, C] is NHWC [1, 1, N, C] and Y [N, O] is [1, 1, N, O] in memory, W [O, C]
// is OIHW [O, C, 1, 1], and a packed output's bit axis moves by the two new leading axes.
#pragma once

#include "ops/workload.hpp"

namespace bitforge::codegen {

struct LoweredWorkload {
  Conv2d conv;
  bool dense = false;
};

LoweredWorkload lower_workload(const Workload& wl);

}  // namespace bitforge::codegen
