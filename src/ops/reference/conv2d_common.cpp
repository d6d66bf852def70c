#include "ops/reference/conv2d_common.hpp"

namespace bitforge::reference {

Tensor as_nchw(const Conv2d& wl, const Tensor& x, DType dtype) {
  static constexpr int kFromNHWC[] = {0, 3, 1, 2};
  const Tensor view = wl.layout == ActLayout::NCHW ? x : x.permuted(kFromNHWC);
  return view.astype(dtype);
}

Tensor as_oihw(const Conv2d& wl, const Tensor& w, DType dtype) {
  static constexpr int kFromHWIO[] = {3, 2, 0, 1};
  const Tensor view = wl.weight_layout == WgtLayout::OIHW ? w : w.permuted(kFromHWIO);
  return view.astype(dtype);
}

}  // namespace bitforge::reference
