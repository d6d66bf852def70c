#include <gtest/gtest.h>

#include "core/error.hpp"
#include "quant/encoding.hpp"

namespace bitforge {
namespace {

TEST(Encoding, LevelSetsMatchSemanticsTable) {
  for (int k = 1; k <= 8; ++k) {
    Encoding u = Encoding::unsigned_(k), b = Encoding::bipolar(k);
    const std::int64_t m = (1 << k) - 1;
    for (std::int64_t v = -300; v <= 300; ++v) {
      EXPECT_EQ(u.is_valid(v), v >= 0 && v <= m) << u.name() << " " << v;
      EXPECT_EQ(b.is_valid(v), v >= -m && v <= m && (v % 2 != 0)) << b.name() << " " << v;
    }
  }
  EXPECT_EQ(Encoding::bipolar(1).level_set(), "{-1, 1}");
  EXPECT_EQ(Encoding::bipolar(2).level_set(), "{-3, -1, 1, 3}");
  EXPECT_EQ(Encoding::unsigned_(2).level_set(), "{0, 1, 2, 3}");
  EXPECT_EQ(Encoding::bipolar(8).level_set(), "odd integers in [-255, 255]");
}

TEST(Encoding, BitPlanesReconstructTheLevelPerSemantics) {
  for (int k = 1; k <= 8; ++k)
    for (Encoding e : {Encoding::unsigned_(k), Encoding::bipolar(k)})
      for (std::int64_t v = e.min_level(); v <= e.max_level(); ++v) {
        if (!e.is_valid(v)) continue;
        std::uint32_t planes = e.planes_of(v);
        ASSERT_LT(planes, 1u << k);
        // v = sum 2^i b_i (unsigned) or sum 2^i (2 b_i - 1) (bipolar), SEMANTICS §1.
        std::int64_t r = 0;
        for (int i = 0; i < k; ++i) {
          std::int64_t bit = (planes >> i) & 1;
          r += (std::int64_t{1} << i) * (e.kind == EncodingKind::Unsigned ? bit : 2 * bit - 1);
        }
        EXPECT_EQ(r, v) << e.name();
        EXPECT_EQ(e.level_of(planes), v);
      }
  EXPECT_EQ(Encoding::bipolar(1).planes_of(1), 1u) << "bit 1 is +1";
  EXPECT_EQ(Encoding::bipolar(1).planes_of(-1), 0u);
}

TEST(Encoding, ParsesShortNamesAndRefusesOthers) {
  EXPECT_EQ(Encoding::parse("u2"), Encoding::unsigned_(2));
  EXPECT_EQ(Encoding::parse("b1"), Encoding::bipolar(1));
  EXPECT_EQ(Encoding::parse("b8").name(), "b8");
  for (const char* bad : {"u0", "u9", "x2", "", "u", "b12", "U2"}) EXPECT_THROW(Encoding::parse(bad), Error) << bad;
  EXPECT_THROW(Encoding::unsigned_(9), Error);
}

TEST(Encoding, LevelDtypeHoldsEveryLevel) {
  EXPECT_EQ(Encoding::unsigned_(8).level_dtype(), DType::u8);
  EXPECT_EQ(Encoding::bipolar(7).level_dtype(), DType::i8);
  EXPECT_EQ(Encoding::bipolar(8).level_dtype(), DType::i16);
}

TEST(Encoding, ValidationNamesTensorIndexAndAllowedSet) {
  Tensor w(DType::i8, {2, 3});
  for (std::int64_t i = 0; i < 6; ++i) w.data<std::int8_t>()[i] = 1;
  const std::int64_t idx[] = {1, 2};
  w.set_int(idx, 2);
  try {
    validate_levels(w, Encoding::bipolar(1), "weight");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "weight level 2 at index [1, 2] is not a b1 level (allowed: {-1, 1})");
  }
  EXPECT_THROW(validate_levels(Tensor(DType::f32, {1}), Encoding::unsigned_(1), "input"), Error);
}

}  // namespace
}  // namespace bitforge
