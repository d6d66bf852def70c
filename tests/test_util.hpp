// Shared helpers of the test suites: a deterministic random source and level tensors.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <iterator>
#include <string>

#include "core/error.hpp"
#include "core/random.hpp"
#include "core/tensor.hpp"
#include "quant/encoding.hpp"

namespace bitforge::testing {

// The message of the bitforge::Error that `f` throws, or "(no error)".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

using Rng = SplitMix64;

// A tensor of uniformly random valid levels of `enc`, stored in `dtype`.
inline Tensor random_levels(Rng& rng, Encoding enc, const Shape& shape, DType dtype) {
  Tensor t(dtype, shape);
  for_each_index(shape, [&](std::span<const std::int64_t> idx) {
    t.set_int(idx, enc.level_of(static_cast<std::uint32_t>(rng.uniform(0, enc.max_level()))));
  });
  return t;
}

// Whether every element of a tensor equals the other's (same shape and dtype).
inline ::testing::AssertionResult tensors_equal(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype())
    return ::testing::AssertionFailure()
           << "dtypes differ: " << dtype_name(a.dtype()) << " vs " << dtype_name(b.dtype());
  if (a.shape() != b.shape())
    return ::testing::AssertionFailure()
           << "shapes differ: " << shape_str(a.shape()) << " vs " << shape_str(b.shape());
  std::string first;
  std::int64_t mismatches = 0;
  for_each_index(a.shape(), [&](std::span<const std::int64_t> idx) {
    double x = a.get_f64(idx), y = b.get_f64(idx);
    if (x != y && ++mismatches == 1)
      first = shape_str(idx) + ": " + std::to_string(x) + " vs " + std::to_string(y);
  });
  if (mismatches == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << mismatches << " elements differ, first at " << first;
}

}  // namespace bitforge::testing
