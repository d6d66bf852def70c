#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "quant/quantize.hpp"

namespace bitforge {
namespace {

Tensor floats(std::initializer_list<float> v) {
  Tensor t(DType::f32, {static_cast<std::int64_t>(v.size())});
  std::int64_t i = 0;
  for (float f : v) t.data<float>()[i++] = f;
  return t;
}

std::vector<std::int64_t> values(const Tensor& t) {
  std::vector<std::int64_t> out;
  for (std::int64_t i = 0; i < t.numel(); ++i) {
    const std::int64_t idx[] = {i};
    out.push_back(t.get_int(idx));
  }
  return out;
}

TEST(Quantize, UnsignedClipsAndRoundsHalfUp) {
  // [0, 1] onto 0..3: steps of 1/3; 0.5 is 1.5 steps -> ties up to 2.
  Tensor q = quantize_unsigned(floats({-1.0f, 0.0f, 0.2f, 0.5f, 0.9f, 1.0f, 7.0f}), 2, 0.0f, 1.0f);
  EXPECT_EQ(q.dtype(), DType::u8);
  EXPECT_EQ(values(q), (std::vector<std::int64_t>{0, 0, 1, 2, 3, 3, 3}));
  EXPECT_THROW(quantize_unsigned(floats({0}), 2, 1.0f, 1.0f), Error);
}

TEST(Quantize, BipolarSignMapsZeroToPlusOne) {
  EXPECT_EQ(values(quantize_bipolar_sign(floats({-0.1f, 0.0f, 3.0f, -0.0f}))),
            (std::vector<std::int64_t>{-1, 1, 1, 1}));
}

TEST(Quantize, BipolarGridTakesNearestOddLevel) {
  // k = 2, clip 1: x scales to [-3, 3]; levels -3, -1, 1, 3.
  Tensor q = quantize_bipolar(floats({-5.0f, -1.0f, -0.5f, -0.1f, 0.0f, 0.4f, 0.7f, 1.0f}), 2, 1.0f);
  // scaled: -3, -3, -1.5, -0.3, 0, 1.2, 2.1, 3 -> -3, -3, -1, -1, 1, 1, 3, 3
  EXPECT_EQ(values(q), (std::vector<std::int64_t>{-3, -3, -1, -1, 1, 1, 3, 3}));
  EXPECT_EQ(values(quantize_bipolar(floats({-0.2f, 0.0f, 0.2f}), 1, 1.0f)),
            values(quantize_bipolar_sign(floats({-0.2f, 0.0f, 0.2f}))))
      << "the 1-bit grid is the sign";
  EXPECT_EQ(quantize_bipolar(floats({1.0f}), 8, 1.0f).dtype(), DType::i16);
  EXPECT_THROW(quantize_bipolar(floats({1}), 2, 0.0f), Error);
}

TEST(Quantize, RefusesNaNAndNonFloatInput) {
  EXPECT_THROW(quantize_bipolar_sign(floats({1.0f, std::nanf("")})), Error);
  EXPECT_THROW(quantize_bipolar_sign(Tensor(DType::i32, {2})), Error);
}

}  // namespace
}  // namespace bitforge
