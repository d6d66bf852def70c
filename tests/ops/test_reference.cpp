#include <gtest/gtest.h>

#include "core/error.hpp"
#include "ops/reference/reference.hpp"
#include "random_workloads.hpp"
#include "test_util.hpp"

namespace bitforge {
namespace {

using testing::Rng;
using testing::tensors_equal;

Tensor filled(DType t, const Shape& shape, std::int64_t v) {
  Tensor x(t, shape);
  for_each_index(shape, [&](auto idx) { x.set_int(idx, v); });
  return x;
}

TEST(Reference, BipolarPaddingContributesZero) {
  // All +1 (b1) 1x1x2x2 input, all +1 3x3 kernel, pad 1: each output sums only the
  // in-range taps (4), never a -1 for the padding.
  Conv2d wl = parse_conv2d_key("conv2d_b1b1_mb1ic1ih2iw2oc1kh3kw3ph1pw1");
  Tensor y = reference::conv2d(wl, filled(DType::i8, {1, 1, 2, 2}, 1), filled(DType::i8, {1, 1, 3, 3}, 1));
  EXPECT_TRUE(tensors_equal(y, filled(DType::i32, {1, 1, 2, 2}, 4)));
}

TEST(Reference, HandComputedDilatedStridedGroupedConvolution) {
  // u2 x b2, 2 groups of 1 channel, 1x4 input, kernel 1x2 dilated by 2, stride 2.
  Conv2d wl = parse_conv2d_key("conv2d_u2b2_mb1ic2ih1iw4oc2kh1kw2sh1sw2dh1dw2g2");
  Tensor x(DType::u8, {1, 2, 1, 4});
  const std::uint8_t xv[] = {1, 2, 3, 0, 3, 3, 1, 2};
  for (int i = 0; i < 8; ++i) x.data<std::uint8_t>()[i] = xv[i];
  Tensor w(DType::i8, {2, 1, 1, 2});
  const std::int8_t wv[] = {3, -1, -3, 1};
  for (int i = 0; i < 4; ++i) w.data<std::int8_t>()[i] = wv[i];
  Tensor y = reference::conv2d(wl, x, w);
  ASSERT_EQ(y.shape(), (Shape{1, 2, 1, 1}));
  EXPECT_EQ(y.data<std::int32_t>()[0], 1 * 3 + 3 * -1);  // channel 0: x[0], x[2]
  EXPECT_EQ(y.data<std::int32_t>()[1], 3 * -3 + 1 * 1);  // channel 1: x[0], x[2]
}

TEST(Reference, DenseEqualsItsDefiningSum) {
  Rng rng(21);
  for (int i = 0; i < 40; ++i) {
    Dense d;
    d.act = OperandType::of(testing::random_encoding(rng));
    d.wgt = OperandType::of(testing::random_encoding(rng));
    d.n = rng.uniform(1, 3);
    d.c = rng.uniform(1, 200);
    d.o = rng.uniform(1, 5);
    Tensor x = testing::random_levels(rng, d.act.encoding(), d.input_shape(), DType::i16);
    Tensor w = testing::random_levels(rng, d.wgt.encoding(), d.weight_shape(), DType::i32);
    Tensor expect(DType::i32, {d.n, d.o});
    for (std::int64_t n = 0; n < d.n; ++n)
      for (std::int64_t o = 0; o < d.o; ++o) {
        std::int64_t s = 0;
        for (std::int64_t c = 0; c < d.c; ++c)
          s += x.data<std::int16_t>()[n * d.c + c] * w.data<std::int32_t>()[o * d.c + c];
        expect.data<std::int32_t>()[n * d.o + o] = static_cast<std::int32_t>(s);
      }
    EXPECT_TRUE(tensors_equal(reference::dense(d, x, w), expect)) << d.key();
  }
}

TEST(Reference, BaselinesAgreeWithEachOtherOnSharedValues) {
  // The same small integers through the int8, int16 and float32 baselines: all exact
  // (float sums stay below 2^24), so all three must agree.
  Rng rng(33);
  for (int i = 0; i < 30; ++i) {
    Conv2d wl = testing::random_bitserial_conv2d(rng);
    Tensor x(DType::u8, wl.input_shape()), w(DType::i8, wl.weight_shape());
    for (std::int64_t j = 0; j < x.numel(); ++j) x.data<std::uint8_t>()[j] = static_cast<std::uint8_t>(rng.uniform(0, 255));
    for (std::int64_t j = 0; j < w.numel(); ++j) w.data<std::int8_t>()[j] = static_cast<std::int8_t>(rng.uniform(-128, 127));
    Conv2d int8 = wl, int16 = wl, fp = wl;
    int8.act = OperandType::parse("u8");
    int8.wgt = OperandType::parse("s8");
    int16.act = OperandType::parse("s9");
    int16.wgt = OperandType::parse("s8");
    fp.act = fp.wgt = OperandType::parse("f32");
    const Tensor y8 = reference::conv2d(int8, x, w);
    const Tensor y16 = reference::conv2d(int16, x.astype(DType::i16), w.astype(DType::i16));
    const Tensor yf = reference::conv2d(fp, x.astype(DType::f32), w.astype(DType::f32));
    EXPECT_TRUE(tensors_equal(y8, y16)) << int16.key();
    EXPECT_TRUE(tensors_equal(y8.astype(DType::f32), yf)) << fp.key();
  }
}

TEST(Reference, FloatBaselineSumsAccurately) {
  // 1 + 1e-8 * 1000 terms: a float accumulator would lose the small terms entirely.
  Dense d = parse_dense_key("dense_f32f32_mb1ic1001oc1");
  Tensor x(DType::f32, {1, 1001}), w(DType::f32, {1, 1001});
  for (int i = 0; i < 1001; ++i) {
    x.data<float>()[i] = i == 0 ? 1.0f : 1e-4f;
    w.data<float>()[i] = i == 0 ? 1.0f : 1e-4f;
  }
  EXPECT_FLOAT_EQ(reference::dense(d, x, w).data<float>()[0], 1.00001f);
}

TEST(Reference, OperandsAreCheckedAgainstTheWorkload) {
  Conv2d wl = parse_conv2d_key("conv2d_u2b1_mb1ic3ih4iw4oc2kh3kw3_nhwc_hwio");
  Tensor x = filled(DType::u8, wl.input_shape(), 1), w = filled(DType::i8, wl.weight_shape(), -1);
  EXPECT_NO_THROW(reference::conv2d(wl, x, w));
  auto error_of = [&](const Tensor& a, const Tensor& b) -> std::string {
    try {
      reference::conv2d(wl, a, b);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(error_of(filled(DType::u8, {1, 3, 4, 4}, 1), w).find("input has shape [1, 3, 4, 4]"), std::string::npos);
  EXPECT_NE(error_of(x, filled(DType::i8, {3, 3, 3, 2}, 0)).find("weight level 0 at index [0, 0, 0, 0]"),
            std::string::npos);
  EXPECT_NE(error_of(filled(DType::u8, wl.input_shape(), 4), w).find("is not a u2 level (allowed: {0, 1, 2, 3})"),
            std::string::npos);
  EXPECT_NE(error_of(x.astype(DType::f32), w).find("levels must be integers"), std::string::npos);
  Conv2d i8 = parse_conv2d_key("conv2d_u8s8_mb1ic1ih1iw1oc1kh1kw1");
  EXPECT_THROW(reference::conv2d(i8, filled(DType::i32, {1, 1, 1, 1}, 256), filled(DType::i32, {1, 1, 1, 1}, 1)), Error);
  EXPECT_THROW(reference::conv2d(i8, filled(DType::i32, {1, 1, 1, 1}, 1), filled(DType::i32, {1, 1, 1, 1}, -129)), Error);
}

TEST(Reference, FullOperatorAppliesEpilogueInTheOutputLayout) {
  Rng rng(4);
  Conv2d wl = parse_conv2d_key("conv2d_u1b1_mb1ic65ih3iw3oc66kh3kw3ph1pw1_nhwc_oihw_thr-b1-pack-u64-bit3");
  Tensor x = testing::random_levels(rng, wl.act.encoding(), wl.input_shape(), DType::u8);
  Tensor w = testing::random_levels(rng, wl.wgt.encoding(), wl.weight_shape(), DType::i8);
  EpilogueParams p{.thresholds = Tensor(DType::i32, {66, 1})};
  Tensor y = reference::conv2d(wl, x, w, p);
  EXPECT_EQ(y.shape(), wl.output_shape());
  Conv2d raw = wl;
  raw.epilogue = Epilogue::accumulator();
  Tensor expect = reference::apply_epilogue(reference::conv2d(raw, x, w), wl.epilogue, 3, p);
  EXPECT_TRUE(tensors_equal(y, expect));
}

}  // namespace
}  // namespace bitforge
