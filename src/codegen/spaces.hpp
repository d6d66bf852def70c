// bitforge codegen (internal): the schedule space of each operator family.
#pragma once

#include "codegen/schedule_space.hpp"
#include "codegen/target.hpp"
#include "ops/workload.hpp"

namespace bitforge::codegen {

int natural_int32_lanes(const CodegenTarget& t);
// Largest fully unrolled reduction body a config may ask for, in vector operations.
inline constexpr std::int64_t kMaxUnrolledBody = 256;
int register_budget(const CodegenTarget& t);

// `dense`: the workload is a dense layer run as a 1x1 convolution over a row of N pixels
// (no window, rows or fused packing to choose).
ScheduleSpace bitserial_conv2d_space(const Conv2d& wl, const CodegenTarget& target, bool dense);
ScheduleSpace baseline_conv2d_space(const Conv2d& wl, const CodegenTarget& target, bool dense);

}  // namespace bitforge::codegen
