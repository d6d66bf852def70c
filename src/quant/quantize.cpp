#include "quant/quantize.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace bitforge {

namespace {
// Applies `level_of(x)` element-wise to a float32 tensor, into the encoding's level dtype.
template <typename F>
Tensor map_levels(const Tensor& x, Encoding enc, F level_of) {
  if (x.dtype() != DType::f32)
    fail("quantizer input has dtype {}; it must be f32", dtype_name(x.dtype()));
  Tensor out(enc.level_dtype(), x.shape());
  for_each_index(x.shape(), [&](std::span<const std::int64_t> idx) {
    float v = x.at<float>(idx);
    if (std::isnan(v)) fail("quantizer input is NaN at index {}", shape_str(idx));
    out.set_int(idx, level_of(static_cast<double>(v)));
  });
  return out;
}

std::int64_t round_half_up(double v) { return static_cast<std::int64_t>(std::floor(v + 0.5)); }
}  // namespace

Tensor quantize_unsigned(const Tensor& x, int bits, float lo, float hi) {
  Encoding enc = Encoding::unsigned_(bits);
  if (!(lo < hi)) fail("unsigned quantizer clip range [{}, {}] is empty (need lo < hi)", lo, hi);
  const double m = static_cast<double>(enc.max_level());
  return map_levels(x, enc, [&](double v) {
    double t = (std::clamp(v, double{lo}, double{hi}) - lo) / (double{hi} - lo);
    return round_half_up(t * m);
  });
}

Tensor quantize_bipolar_sign(const Tensor& x) {
  return map_levels(x, Encoding::bipolar(1), [](double v) -> std::int64_t { return v >= 0 ? 1 : -1; });
}

Tensor quantize_bipolar(const Tensor& x, int bits, float clip) {
  Encoding enc = Encoding::bipolar(bits);
  if (!(clip > 0)) fail("bipolar quantizer clip {} must be > 0", clip);
  const std::int64_t m = enc.max_level();
  return map_levels(x, enc, [&](double v) {
    double s = std::clamp(v / clip, -1.0, 1.0) * static_cast<double>(m);
    // Odd levels are 2j + 1: the nearest j to (s - 1) / 2.
    return std::clamp<std::int64_t>(2 * round_half_up((s - 1) / 2) + 1, -m, m);
  });
}

}  // namespace bitforge
