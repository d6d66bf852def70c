#include "codegen/conv2d_geometry.hpp"

namespace bitforge::codegen {

std::int64_t BorderClasses::representative(std::int64_t cls) const {
  if (cls < low) return cls;
  if (cls == low) return low < out - high ? low : -1;
  return out - high + (cls - low - 1);
}

BorderClasses border_classes(std::int64_t in, std::int64_t out, std::int64_t kernel,
                             std::int64_t stride, std::int64_t pad_low, std::int64_t dilation) {
  BorderClasses b;
  b.out = out;
  // Position p reads input p*stride - pad_low + t*dilation for t in [0, kernel).
  while (b.low < out && b.low * stride - pad_low < 0) ++b.low;
  while (b.high < out - b.low &&
         (out - 1 - b.high) * stride - pad_low + (kernel - 1) * dilation >= in)
    ++b.high;
  // Positions both low- and high-side (tiny inputs) stay in the low list: their class is
  // themselves, whose table entry is computed from the position itself.
  return b;
}

ConvGeometry conv_geometry(const Conv2d& wl) {
  ConvGeometry g;
  g.groups = wl.groups;
  g.cg = wl.c / wl.groups;
  g.og = wl.o / wl.groups;
  g.padded_h = wl.h + wl.pad_top + wl.pad_bottom;
  g.padded_w = wl.w + wl.pad_left + wl.pad_right;
  g.rows = border_classes(wl.h, wl.out_h(), wl.kh, wl.stride_h, wl.pad_top, wl.dilation_h);
  g.cols = border_classes(wl.w, wl.out_w(), wl.kw, wl.stride_w, wl.pad_left, wl.dilation_w);
  return g;
}

}  // namespace bitforge::codegen
