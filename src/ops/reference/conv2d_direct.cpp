// Oracle 1: the convolution of SEMANTICS §3 written as its defining sum, on levels.
#include <array>

#include "ops/reference/conv2d_common.hpp"
#include "ops/reference/reference.hpp"

namespace bitforge::reference {

namespace {
template <typename Elem, typename Sum>
void accumulate(const Conv2d& wl, const Tensor& x, const Tensor& w, Tensor& out) {
  const Elem* X = x.data<Elem>();  // contiguous NCHW
  const Elem* W = w.data<Elem>();  // contiguous OIHW
  using Out = std::conditional_t<std::is_floating_point_v<Sum>, float, std::int32_t>;
  const std::int64_t cg = wl.c / wl.groups, og = wl.o / wl.groups;
  const std::int64_t oh = wl.out_h(), ow = wl.out_w();
  for (std::int64_t n = 0; n < wl.n; ++n)
    for (std::int64_t o = 0; o < wl.o; ++o) {
      const std::int64_t g = o / og;
      for (std::int64_t y = 0; y < oh; ++y)
        for (std::int64_t xo = 0; xo < ow; ++xo) {
          Sum sum = 0;
          for (std::int64_t ci = 0; ci < cg; ++ci) {
            const std::int64_t c = g * cg + ci;
            for (std::int64_t r = 0; r < wl.kh; ++r) {
              const std::int64_t iy = y * wl.stride_h - wl.pad_top + r * wl.dilation_h;
              if (iy < 0 || iy >= wl.h) continue;  // padding contributes 0
              for (std::int64_t s = 0; s < wl.kw; ++s) {
                const std::int64_t ix = xo * wl.stride_w - wl.pad_left + s * wl.dilation_w;
                if (ix < 0 || ix >= wl.w) continue;
                sum += static_cast<Sum>(X[((n * wl.c + c) * wl.h + iy) * wl.w + ix]) *
                       static_cast<Sum>(W[((o * cg + ci) * wl.kh + r) * wl.kw + s]);
              }
            }
          }
          const std::array<std::int64_t, 4> idx = output_index(wl, n, o, y, xo);
          out.at<Out>(idx) = static_cast<Out>(sum);
        }
    }
}
}  // namespace

Tensor conv2d_accumulate_direct(const Conv2d& wl, const Tensor& x, const Tensor& w) {
  if (wl.family() == OpFamily::Float32) {
    Tensor out(DType::f32, wl.accumulator_shape());
    accumulate<float, double>(wl, as_nchw(wl, x, DType::f32), as_oihw(wl, w, DType::f32), out);
    return out;
  }
  Tensor out(DType::i32, wl.accumulator_shape());
  // int64 sums: the overflow check bounds the result, not the order of partial sums.
  accumulate<std::int32_t, std::int64_t>(wl, as_nchw(wl, x, DType::i32), as_oihw(wl, w, DType::i32),
                                         out);
  return out;
}

}  // namespace bitforge::reference
