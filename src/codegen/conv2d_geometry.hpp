// bitforge codegen: compile-time facts about a convolution shared by the algorithms of
// every operator family: the group split, padded extents, and the border classes used
// to correct bipolar padding exactly without a test in the inner loop.
#pragma once

#include <cstdint>

#include "ops/workload.hpp"

namespace bitforge::codegen {

// Along one spatial axis: output positions whose window leaves the input on the low
// side (`low` of them, first) or the high side (`high`, last). Every other position is
// interior. Positions are mapped to classes 0..low-1 (themselves), `low` (interior) and
// low+1.. (the high-side ones), so a per-class table can hold what depends on borders.
struct BorderClasses {
  std::int64_t low = 0, high = 0, out = 0;
  std::int64_t count() const { return low + 1 + high; }
  // Representative output position of a class (interior: any interior position, or -1
  // if there is none).
  std::int64_t representative(std::int64_t cls) const;
};

BorderClasses border_classes(std::int64_t in, std::int64_t out, std::int64_t kernel,
                             std::int64_t stride, std::int64_t pad_low, std::int64_t dilation);

struct ConvGeometry {
  std::int64_t groups, cg, og;       // groups, channels and outputs per group
  std::int64_t padded_h, padded_w;   // H + top + bottom, W + left + right
  BorderClasses rows, cols;
};

ConvGeometry conv_geometry(const Conv2d& wl);

}  // namespace bitforge::codegen
