#include <gtest/gtest.h>

#include <cstdint>

#include "core/error.hpp"
#include "core/tensor.hpp"

namespace bitforge {
namespace {

TEST(Tensor, StorageIs64ByteAlignedAndZeroFilled) {
  for (DType t : {DType::f32, DType::i8, DType::u64}) {
    Tensor x(t, {3, 5, 7});
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(x.raw_data()) % 64, 0u);
    EXPECT_EQ(x.nbytes(), 105 * dtype_size(t));
    for (std::size_t i = 0; i < x.nbytes(); ++i)
      EXPECT_EQ(static_cast<const unsigned char*>(x.raw_data())[i], 0);
  }
}

TEST(Tensor, ContiguousStridesAreRowMajor) {
  Tensor x(DType::i32, {2, 3, 4});
  EXPECT_EQ(x.strides(), (Shape{12, 4, 1}));
  EXPECT_TRUE(x.is_contiguous());
  EXPECT_EQ(x.numel(), 24);
}

TEST(Tensor, PermutedViewSharesStorageAndIndexesTransposed) {
  Tensor x(DType::i32, {2, 3});
  for (std::int64_t i = 0; i < 6; ++i) x.data<std::int32_t>()[i] = static_cast<std::int32_t>(i);
  const int order[] = {1, 0};
  Tensor t = x.permuted(order);
  EXPECT_EQ(t.shape(), (Shape{3, 2}));
  EXPECT_FALSE(t.is_contiguous());
  const std::int64_t idx[] = {2, 1};
  EXPECT_EQ(t.at<std::int32_t>(idx), 5);  // x[1][2]
  Tensor c = t.contiguous();
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_EQ(c.data<std::int32_t>()[1], 3);  // row 0 of the transpose: x[0][0], x[1][0]
}

TEST(Tensor, AstypeConvertsValuesThroughViews) {
  Tensor x(DType::i16, {2, 2});
  const std::int64_t i01[] = {0, 1};
  x.set_int(i01, -7);
  const int order[] = {1, 0};
  Tensor f = x.permuted(order).astype(DType::f32);
  const std::int64_t i10[] = {1, 0};
  EXPECT_EQ(f.at<float>(i10), -7.0f);
}

TEST(Tensor, RefusesMisuseWithAnError) {
  Tensor x(DType::i32, {2, 3});
  EXPECT_THROW(x.data<float>(), Error);
  EXPECT_THROW(x.reshaped({4, 2}), Error);
  const int bad[] = {0, 0};
  EXPECT_THROW(x.permuted(bad), Error);
  const int order[] = {1, 0};
  EXPECT_THROW(x.permuted(order).reshaped({6}), Error);
  EXPECT_THROW(Tensor(DType::u8, {2, -1}), Error);
  EXPECT_THROW(Tensor(DType::f32, {1}).get_int(std::span<const std::int64_t>(Shape{0})), Error);
}

TEST(Tensor, ForEachIndexVisitsRowMajorAndHandlesEmptyAndScalar) {
  std::vector<Shape> seen;
  for_each_index(Shape{2, 2}, [&](std::span<const std::int64_t> i) { seen.emplace_back(i.begin(), i.end()); });
  EXPECT_EQ(seen, (std::vector<Shape>{{0, 0}, {0, 1}, {1, 0}, {1, 1}}));
  int count = 0;
  for_each_index(Shape{3, 0}, [&](auto) { ++count; });
  EXPECT_EQ(count, 0);
  for_each_index(Shape{}, [&](auto) { ++count; });
  EXPECT_EQ(count, 1);
}

TEST(DType, NamesRoundTripAndUnknownIsRefused) {
  for (DType t : {DType::f32, DType::i32, DType::i16, DType::i8, DType::u8, DType::u16, DType::u32,
                  DType::u64})
    EXPECT_EQ(parse_dtype(dtype_name(t)), t);
  EXPECT_THROW(parse_dtype("f64"), Error);
}

}  // namespace
}  // namespace bitforge
