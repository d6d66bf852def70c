#include <gtest/gtest.h>

#include "core/error.hpp"
#include "ops/reference/reference.hpp"
#include "quant/bitpack.hpp"
#include "test_util.hpp"

namespace bitforge {
namespace {

using reference::apply_epilogue;
using testing::tensors_equal;

Tensor i32(const Shape& shape, std::initializer_list<std::int32_t> v) {
  Tensor t(DType::i32, shape);
  std::int64_t i = 0;
  for (auto x : v) t.data<std::int32_t>()[i++] = x;
  return t;
}

Tensor f32(std::initializer_list<float> v) {
  Tensor t(DType::f32, {static_cast<std::int64_t>(v.size())});
  std::int64_t i = 0;
  for (auto x : v) t.data<float>()[i++] = x;
  return t;
}

std::vector<double> values(const Tensor& t) {
  std::vector<double> out;
  for_each_index(t.shape(), [&](auto idx) { out.push_back(t.get_f64(idx)); });
  return out;
}

TEST(Epilogue, AccumulatorIsReturnedAsIs) {
  Tensor acc = i32({1, 2}, {5, -3});
  EXPECT_TRUE(tensors_equal(apply_epilogue(acc, Epilogue::accumulator(), 1, {}), acc));
}

TEST(Epilogue, AffineMultipliesRoundsThenAddsPerChannel) {
  // [N=1, O=2, 1, 2]: channel 0 scale 0.5 bias 1, channel 1 scale -2 bias 0.25.
  Tensor acc = i32({1, 2, 1, 2}, {3, -4, 5, 16777217});
  EpilogueParams p{.scale = f32({0.5f, -2.0f}), .bias = f32({1.0f, 0.25f})};
  Tensor z = apply_epilogue(acc, Epilogue::affine(), 1, p);
  // 16777217 is not a float: it rounds to 16777216 before the multiply (SEMANTICS: float32).
  EXPECT_EQ(values(z), (std::vector<double>{2.5, -1.0, -9.75, -33554431.75f}));
  p.clip_lo = -1.0f;
  p.clip_hi = 2.0f;
  EXPECT_EQ(values(apply_epilogue(acc, Epilogue::affine(Epilogue::Activation::Relu), 1, p)),
            (std::vector<double>{2.5, 0.0, 0.0, 0.0}));
  EXPECT_EQ(values(apply_epilogue(acc, Epilogue::affine(Epilogue::Activation::Clip), 1, p)),
            (std::vector<double>{2.0, -1.0, -1.0, -1.0}));
}

TEST(Epilogue, AffineIsNotFusedIntoAnFma) {
  // y * s + b where an FMA (one rounding) and multiply-then-add (two) differ:
  // s = 1 + 2^-23, y = 2^23 + 1, b = -(2^23 + 2): exact y*s + b = 2^-23 + ... rounds differently.
  const float s = 1.0f + 0x1.0p-23f, b = -8388610.0f;
  const std::int32_t y = 8388609;
  volatile float prod = static_cast<float>(y) * s;  // rounded product
  const float two_roundings = prod + b;
  EpilogueParams p{.scale = f32({s}), .bias = f32({b})};
  Tensor z = apply_epilogue(i32({1, 1}, {y}), Epilogue::affine(), 1, p);
  EXPECT_EQ(z.data<float>()[0], two_roundings);
}

TEST(Epilogue, ThresholdCountsPassedThresholdsAscendingAndDescending) {
  // Unsigned 2-bit output: 3 thresholds per channel. Channel 1 is descending.
  Tensor acc = i32({1, 2, 1, 4}, {-5, 0, 3, 10, -5, 0, 3, 10});
  EpilogueParams p{.thresholds = i32({2, 3}, {0, 3, 9, 0, 3, 9}), .descending = Tensor(DType::u8, {2})};
  p.descending.data<std::uint8_t>()[1] = 1;
  Tensor q = apply_epilogue(acc, Epilogue::threshold(Encoding::unsigned_(2)), 1, p);
  EXPECT_EQ(q.dtype(), DType::u8);
  // ascending: Y >= {0,3,9}; descending: Y <= {0,3,9}
  EXPECT_EQ(values(q), (std::vector<double>{0, 1, 2, 3, 3, 3, 2, 0}));
}

TEST(Epilogue, ThresholdToBipolarMapsQToOddLevels) {
  Tensor acc = i32({1, 1, 1, 3}, {-1, 0, 1});
  EpilogueParams p{.thresholds = i32({1, 1}, {0})};
  Tensor q = apply_epilogue(acc, Epilogue::threshold(Encoding::bipolar(1)), 1, p);
  EXPECT_EQ(values(q), (std::vector<double>{-1, 1, 1})) << "sign with 0 -> +1";
  EpilogueParams p3{.thresholds = i32({1, 3}, {-1, 0, 1})};
  Tensor q2 = apply_epilogue(acc, Epilogue::threshold(Encoding::bipolar(2)), 1, p3);
  EXPECT_EQ(values(q2), (std::vector<double>{-1, 1, 3}));  // Q = 1, 2, 3 -> 2Q - 3
}

TEST(Epilogue, PackedThresholdOutputIsTheBitpackOfTheLevels) {
  testing::Rng rng(9);
  for (int layout = 0; layout < 2; ++layout) {
    const int channel_axis = layout == 0 ? 1 : 3;
    Shape shape = layout == 0 ? Shape{2, 70, 3, 2} : Shape{2, 3, 2, 70};
    Tensor acc(DType::i32, shape);
    for (std::int64_t i = 0; i < acc.numel(); ++i)
      acc.data<std::int32_t>()[i] = static_cast<std::int32_t>(rng.uniform(-20, 20));
    Tensor th(DType::i32, {70, 3});
    for (std::int64_t o = 0; o < 70; ++o)
      for (std::int64_t t = 0; t < 3; ++t) th.data<std::int32_t>()[o * 3 + t] = static_cast<std::int32_t>(-10 + 8 * t + o % 3);
    EpilogueParams p{.thresholds = th};
    const Encoding out = Encoding::bipolar(2);
    Tensor levels = apply_epilogue(acc, Epilogue::threshold(out), channel_axis, p);
    for (int bit_axis : {0, 2, 4}) {
      Tensor packed = apply_epilogue(acc, Epilogue::threshold_packed(out, DType::u32, bit_axis), channel_axis, p);
      EXPECT_TRUE(tensors_equal(packed, bitpack(levels, out, channel_axis, bit_axis, DType::u32)));
    }
  }
}

TEST(Epilogue, ParamsAreValidatedNamingWhatIsWrong) {
  Tensor acc = i32({1, 2}, {0, 0});
  auto error_of = [&](const Epilogue& e, const EpilogueParams& p) -> std::string {
    try {
      apply_epilogue(acc, e, 1, p);
    } catch (const Error& err) {
      return err.what();
    }
    return "";
  };
  EXPECT_NE(error_of(Epilogue::affine(), {}).find("needs scale"), std::string::npos);
  EXPECT_NE(error_of(Epilogue::affine(), {.scale = f32({1}), .bias = f32({1, 2})}).find("scale is f32 of shape [1]"),
            std::string::npos);
  EXPECT_NE(error_of(Epilogue::affine(Epilogue::Activation::Clip),
                     {.scale = f32({1, 1}), .bias = f32({1, 2}), .clip_lo = 1, .clip_hi = 0})
                .find("clip range"),
            std::string::npos);
  EXPECT_NE(error_of(Epilogue::threshold(Encoding::unsigned_(2)), {.thresholds = i32({2, 3}, {0, 1, 2, 5, 4, 6})})
                .find("channel 1 decrease at t = 1"),
            std::string::npos);
  EXPECT_EQ(error_of(Epilogue::threshold(Encoding::unsigned_(2)), {.thresholds = i32({2, 3}, {0, 0, 2, 4, 4, 6})}), "")
      << "equal thresholds are non-decreasing";
}

}  // namespace
}  // namespace bitforge
