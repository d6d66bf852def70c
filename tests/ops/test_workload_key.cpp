#include <gtest/gtest.h>

#include "core/error.hpp"
#include "ops/workload.hpp"
#include "random_workloads.hpp"

namespace bitforge {
namespace {

using testing::Rng;

std::string error_of(std::string_view key) {
  try {
    parse_workload_key(key);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

Epilogue random_epilogue(Rng& rng, bool is_float) {
  switch (rng.uniform(0, is_float ? 1 : 3)) {
    case 0: return Epilogue::accumulator();
    case 1: return Epilogue::affine(rng.pick(std::vector{Epilogue::Activation::None, Epilogue::Activation::Relu,
                                                         Epilogue::Activation::Clip}));
    case 2: return Epilogue::threshold(testing::random_encoding(rng));
    default:
      return Epilogue::threshold_packed(testing::random_encoding(rng),
                                        rng.pick(std::vector{DType::u8, DType::u16, DType::u32, DType::u64}),
                                        static_cast<int>(rng.uniform(0, 4)));
  }
}

TEST(WorkloadKey, CanonicalConvKeyParsesToItsFieldsAndPrintsBack) {
  const std::string key = "conv2d_u2b1_mb1ic64ih56iw56oc128kh3kw3sh2sw2ph1pw1_nchw_oihw_i32";
  const Conv2d wl = parse_conv2d_key(key);
  EXPECT_EQ(wl.act, OperandType::of(Encoding::unsigned_(2)));
  EXPECT_EQ(wl.wgt, OperandType::of(Encoding::bipolar(1)));
  EXPECT_EQ(wl.c, 64);
  EXPECT_EQ(wl.o, 128);
  EXPECT_EQ(wl.stride_h, 2);
  EXPECT_EQ(wl.pad_bottom, 1);
  EXPECT_EQ(wl.out_h(), 28);
  EXPECT_EQ(wl.key(), key);
}

TEST(WorkloadKey, AllFieldsAndDefaultsRoundTrip) {
  const std::string key =
      "conv2d_b3u5_mb2ic12ih9iw7oc6kh3kw2sh2sw1pt0pl1pb2pr1dh2dw1g3_nhwc_hwio_thr-b1-pack-u32-bit4";
  EXPECT_EQ(parse_conv2d_key(key).key(), key);
  // Non-canonical spellings parse to the same workload and print canonically.
  EXPECT_EQ(parse_conv2d_key("conv2d_u1b1_ic8ih4iw4oc8kh1kw1pt1pl1pb1pr1").key(),
            "conv2d_u1b1_mb1ic8ih4iw4oc8kh1kw1ph1pw1_nchw_oihw_i32");
  EXPECT_EQ(parse_conv2d_key("conv2d_u1b1_kw1kh1oc8iw4ih4ic8_thr-u2").key(),
            "conv2d_u1b1_mb1ic8ih4iw4oc8kh1kw1_nchw_oihw_thr-u2");
  EXPECT_EQ(parse_dense_key("dense_u8s8_mb4ic300oc10").key(), "dense_u8s8_mb4ic300oc10_i32");
  EXPECT_EQ(parse_dense_key("dense_f32f32_mb1ic3oc2_affine-relu").key(), "dense_f32f32_mb1ic3oc2_affine-relu");
  EXPECT_EQ(workload_key(parse_workload_key("conv2d_s8s8_mb1ic3ih3iw3oc1kh3kw3_nchw_oihw_i32")),
            "conv2d_s8s8_mb1ic3ih3iw3oc1kh3kw3_nchw_oihw_i32");
}

TEST(WorkloadKey, PrintThenParseGivesTheSameWorkloadForRandomWorkloads) {
  Rng rng(5);
  for (int i = 0; i < 500; ++i) {
    Conv2d wl = testing::random_bitserial_conv2d(rng);
    if (rng.chance(0.2)) {  // baselines too
      auto pair = rng.pick(std::vector<std::pair<const char*, const char*>>{
          {"u8", "s8"}, {"s16", "s2"}, {"s8", "s8"}, {"f32", "f32"}});
      wl.act = OperandType::parse(pair.first);
      wl.wgt = OperandType::parse(pair.second);
      wl.kh = wl.kw = 1;
      wl.dilation_h = wl.dilation_w = 1;
      wl.c = wl.groups;
      if (wl.out_h() < 1 || wl.out_w() < 1) continue;
    }
    wl.epilogue = random_epilogue(rng, wl.act.is_float());
    wl.validate();
    const std::string key = wl.key();
    EXPECT_EQ(parse_conv2d_key(key), wl) << key;
    EXPECT_EQ(parse_conv2d_key(key).key(), key);

    Dense d;
    d.act = wl.act;
    d.wgt = wl.wgt;
    d.n = wl.n;
    d.c = wl.c;
    d.o = wl.o;
    d.epilogue = random_epilogue(rng, d.act.is_float());
    if (d.epilogue.packed) d.epilogue.bit_axis %= 3;
    EXPECT_EQ(std::get<Dense>(parse_workload_key(d.key())), d) << d.key();
  }
}

TEST(WorkloadKey, MalformedKeysAreRefusedNamingThePart) {
  EXPECT_NE(error_of("matmul_u1b1_mb1ic1oc1").find("names no operator"), std::string::npos);
  EXPECT_NE(error_of("conv2d_u9b1_ic8ih4iw4oc8kh1kw1").find("'u9b1'"), std::string::npos);
  EXPECT_NE(error_of("conv2d_u1_ic8ih4iw4oc8kh1kw1").find("weight type"), std::string::npos);
  EXPECT_NE(error_of("conv2d_u1b1_ic8ih4iw4oc8kh1").find("'kw' is missing"), std::string::npos);
  EXPECT_NE(error_of("conv2d_u1b1_ic8ih4iw4oc8kh1kw1zz3").find("unknown field 'zz'"), std::string::npos);
  EXPECT_NE(error_of("conv2d_u1b1_ic8ic8ih4iw4oc8kh1kw1").find("'ic' is given twice"), std::string::npos);
  EXPECT_NE(error_of("conv2d_u1b1_ic8ih4iw4oc8kh1kw1ph1pt1").find("ph/pw"), std::string::npos);
  EXPECT_NE(error_of("conv2d_u1b1_ic8ih4iw4oc8kh1kw1_nchw_oihw_i32_x").find("unexpected 'x'"), std::string::npos);
  EXPECT_NE(error_of("conv2d_u1b1_ic8ih4iw4oc8kh1kw1_oihw_nchw").find("unknown epilogue 'nchw'"),
            std::string::npos);
  EXPECT_NE(error_of("conv2d_u1b1_ic8ih4iw4oc8kh1kw1_nchw_oihw_f32").find("does not match"), std::string::npos);
  EXPECT_NE(error_of("conv2d_f32f32_ic8ih4iw4oc8kh1kw1_nchw_oihw_thr-u1").find("needs an integer operator"),
            std::string::npos);
  EXPECT_NE(error_of("conv2d_u1b1_ic6ih4iw4oc8kh1kw1g4").find("does not divide input channels"),
            std::string::npos);
  EXPECT_NE(error_of("conv2d_u1b1_ic8ih4iw4oc8kh5kw1").find("not positive"), std::string::npos);
  // A window one column wider than the input with stride 2: floor(-1/2) + 1 = 0 columns
  // (truncating division would make it 1).
  EXPECT_NE(error_of("conv2d_u1b1_ic8ih4iw2oc8kh1kw3sh2sw2").find("not positive"), std::string::npos);
  EXPECT_NE(error_of("conv2d_u1b1_ic8ih4iw4oc8kh1kw1_nchw_oihw_thr-u2-pack-u64-bit9").find("bit axis 9"),
            std::string::npos);
  EXPECT_NE(error_of("conv2d_u1s8_ic8ih4iw4oc8kh1kw1").find("name no operator"), std::string::npos);
  EXPECT_NE(error_of("dense_u1b1_mb1ic0oc3").find("input features C = 0"), std::string::npos);
}

TEST(Workload, OverflowBoundIsExactAtInt32Max) {
  // u8 x u8: 255 * 255 = 65025 per term; 33025 terms fit (2,147,450,625), 33026 do not.
  Dense ok = parse_dense_key("dense_u8u8_mb1ic33025oc1");
  EXPECT_EQ(ok.accumulator_bound(), 2147450625);
  const std::string err = error_of("dense_u8u8_mb1ic33026oc1");
  EXPECT_NE(err.find("accumulator bound 33026 terms x 255 x 255 = 2147515650 exceeds int32"), std::string::npos)
      << err;
  EXPECT_NE(error_of("conv2d_s16s16_ic2ih1iw1oc1kh1kw1").find("exceeds int32"), std::string::npos);
  EXPECT_EQ(error_of("conv2d_s16s16_ic1ih1iw1oc1kh1kw1"), "") << "2^30 fits";
  EXPECT_EQ(error_of("conv2d_f32f32_ic100000ih1iw1oc1kh3kw3ph1pw1"), "") << "no bound for float";
}

TEST(Workload, ShapesFollowLayoutsAndEpilogue) {
  Conv2d wl = parse_conv2d_key("conv2d_u1b1_mb2ic10ih5iw6oc70kh3kw1g2_nhwc_hwio_thr-b1-pack-u64-bit1");
  EXPECT_EQ(wl.input_shape(), (Shape{2, 5, 6, 10}));
  EXPECT_EQ(wl.weight_shape(), (Shape{3, 1, 5, 70}));
  EXPECT_EQ(wl.accumulator_shape(), (Shape{2, 3, 6, 70}));
  EXPECT_EQ(wl.output_shape(), (Shape{2, 1, 3, 6, 2}));
  EXPECT_EQ(wl.output_dtype(), DType::u64);
  EXPECT_EQ(wl.macs(), 2 * 70 * 3 * 6 * 5 * 3);
}

}  // namespace
}  // namespace bitforge
