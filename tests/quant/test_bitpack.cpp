#include <gtest/gtest.h>

#include "core/error.hpp"
#include "quant/bitpack.hpp"
#include "test_util.hpp"

namespace bitforge {
namespace {

using testing::Rng;
using testing::random_levels;
using testing::tensors_equal;

TEST(Bitpack, PlacesElementJAtBitJOfPlaneIWithZeroTails) {
  // 10 u2 levels along axis 0, u8 words: two words per plane, lanes 2..7 of word 1 are tail.
  Tensor x(DType::u8, {10});
  const std::uint8_t levels[10] = {1, 2, 3, 0, 1, 1, 2, 3, 3, 2};
  for (int i = 0; i < 10; ++i) x.data<std::uint8_t>()[i] = levels[i];
  Tensor p = bitpack(x, Encoding::unsigned_(2), 0, 0, DType::u8);
  ASSERT_EQ(p.shape(), (Shape{2, 2}));
  const std::uint8_t* w = p.data<std::uint8_t>();
  // plane 0 (low bits): 1,0,1,0,1,1,0,1 | 1,0 ; plane 1: 0,1,1,0,0,0,1,1 | 1,1
  EXPECT_EQ(w[0], 0b10110101);
  EXPECT_EQ(w[1], 0b01);
  EXPECT_EQ(w[2], 0b11000110);
  EXPECT_EQ(w[3], 0b11);
}

TEST(Bitpack, BipolarOneBitMapsPlusOneToBitOne) {
  Tensor x(DType::i8, {1, 3});
  const std::int8_t v[3] = {1, -1, 1};
  for (int i = 0; i < 3; ++i) x.data<std::int8_t>()[i] = v[i];
  Tensor p = bitpack(x, Encoding::bipolar(1), 1, 2, DType::u32);
  ASSERT_EQ(p.shape(), (Shape{1, 1, 1}));
  EXPECT_EQ(p.data<std::uint32_t>()[0], 0b101u);
}

TEST(Bitpack, ShapeReplacesPackAxisAndInsertsBitAxis) {
  EXPECT_EQ(bitpacked_shape(Shape{2, 65, 3}, 3, 1, 0, DType::u64), (Shape{3, 2, 2, 3}));
  EXPECT_EQ(bitpacked_shape(Shape{2, 65, 3}, 3, 1, 3, DType::u64), (Shape{2, 2, 3, 3}));
  EXPECT_EQ(bitpacked_shape(Shape{2, 64, 3}, 1, 1, 2, DType::u16), (Shape{2, 4, 1, 3}));
}

TEST(Bitpack, UnpackInvertsPackForEveryAxisBitAxisWordAndEncoding) {
  Rng rng(11);
  int cases = 0;
  for (DType word : {DType::u8, DType::u16, DType::u32, DType::u64})
    for (int pack_axis = 0; pack_axis < 3; ++pack_axis)
      for (int bit_axis = 0; bit_axis <= 3; ++bit_axis) {
        const int k = static_cast<int>(rng.uniform(1, 8));
        const Encoding e = rng.chance(0.5) ? Encoding::unsigned_(k) : Encoding::bipolar(k);
        Shape shape{rng.uniform(1, 3), rng.uniform(1, 3), rng.uniform(1, 3)};
        shape[static_cast<std::size_t>(pack_axis)] = rng.uniform(1, 140);  // below, at, above words
        const Tensor x = random_levels(rng, e, shape, e.level_dtype());
        const Tensor p = bitpack(x, e, pack_axis, bit_axis, word);
        EXPECT_EQ(p.shape(), bitpacked_shape(shape, k, pack_axis, bit_axis, word));
        EXPECT_TRUE(tensors_equal(bitunpack(p, e, pack_axis, bit_axis, shape[static_cast<std::size_t>(pack_axis)]), x))
            << e.name() << " pack " << pack_axis << " bit " << bit_axis << " " << dtype_name(word);
        ++cases;
      }
  EXPECT_EQ(cases, 48);
}

TEST(Bitpack, TailLanesArePackedAsZeroAndIgnoredWhenUnpacking) {
  Rng rng(3);
  const Encoding e = Encoding::bipolar(3);
  const Tensor x = random_levels(rng, e, {5, 70}, DType::i16);
  Tensor p = bitpack(x, e, 1, 1, DType::u64);  // [5, 3, 2]: word 1 holds lanes 64..69
  for (std::int64_t r = 0; r < 5; ++r)
    for (std::int64_t i = 0; i < 3; ++i) {
      const std::int64_t idx[] = {r, i, 1};
      EXPECT_EQ(p.at<std::uint64_t>(idx) >> 6, 0u);
      p.at<std::uint64_t>(idx) |= ~std::uint64_t{0} << 6;  // garbage in the tail
    }
  EXPECT_TRUE(tensors_equal(bitunpack(p, e, 1, 1, 70, DType::i16), x));
}

TEST(Bitpack, RefusesInvalidLevelsAxesAndWords) {
  Tensor x(DType::i8, {4});  // zeros: not bipolar levels
  EXPECT_THROW(bitpack(x, Encoding::bipolar(1), 0, 0, DType::u8), Error);
  EXPECT_THROW(bitpack(x, Encoding::unsigned_(1), 1, 0, DType::u8), Error);
  EXPECT_THROW(bitpack(x, Encoding::unsigned_(1), 0, 2, DType::u8), Error);
  EXPECT_THROW(bitpack(x, Encoding::unsigned_(1), 0, 0, DType::i32), Error);
  Tensor p = bitpack(x, Encoding::unsigned_(2), 0, 0, DType::u8);
  EXPECT_THROW(bitunpack(p, Encoding::unsigned_(3), 0, 0, 4), Error) << "plane count mismatch";
  EXPECT_THROW(bitunpack(p, Encoding::unsigned_(2), 0, 0, 9), Error) << "extent needs 2 words";
}

}  // namespace
}  // namespace bitforge
