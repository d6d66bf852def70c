// The two reference oracles agree exactly: the direct integer convolution on levels and
// the bit-serial path (bit-packed operands, popcount identities) over ≥ 2,000 random
// workloads covering every encoding pair, k = 1..8, channel counts around a word, tails,
// bipolar padding, groups, depthwise, dilation, strides and both layouts of each operand.
#include <gtest/gtest.h>

#include <set>

#include "ops/reference/reference.hpp"
#include "random_workloads.hpp"
#include "test_util.hpp"

namespace bitforge {
namespace {

using testing::Rng;

constexpr int kShards = 8;
constexpr int kWorkloadsPerShard = 260;  // 2,080 in all

// Workload and operand streams are separate, so the coverage test can re-draw a shard's
// workloads without running them.
std::uint64_t workload_seed(int shard) { return 0xb17f0 + static_cast<std::uint64_t>(shard); }
std::uint64_t operand_seed(int shard) { return 0x0be7a + static_cast<std::uint64_t>(shard); }

// The edge cases a workload exercises, by name.
void note_features(const Conv2d& wl, std::set<std::string>& f) {
  const std::int64_t cg = wl.c / wl.groups;
  f.insert(cg < 64 ? "below-word" : cg == 64 ? "at-word" : "above-word");
  if (cg % 64 != 0 && cg > 64) f.insert("tail-after-full-word");
  const bool padded = wl.pad_top + wl.pad_left + wl.pad_bottom + wl.pad_right > 0;
  if (padded && wl.act.kind == OperandType::Kind::Bipolar) f.insert("bipolar-padding");
  if (wl.pad_top != wl.pad_bottom || wl.pad_left != wl.pad_right) f.insert("asymmetric-padding");
  if (wl.groups > 1 && wl.groups == wl.c && wl.c == wl.o) f.insert("depthwise");
  if (wl.groups > 1 && cg > 1) f.insert("grouped");
  if (wl.dilation_h > 1 || wl.dilation_w > 1) f.insert("dilation");
  if (wl.stride_h > 1 || wl.stride_w > 1) f.insert("stride");
  if (wl.n > 1) f.insert("batch");
  f.insert(std::string(layout_name(wl.layout)));
  f.insert(std::string(layout_name(wl.weight_layout)));
}

class OracleAgreement : public ::testing::TestWithParam<int> {};

TEST_P(OracleAgreement, DirectAndBitSerialAgreeExactly) {
  Rng workloads(workload_seed(GetParam())), operands(operand_seed(GetParam()));
  for (int i = 0; i < kWorkloadsPerShard; ++i) {
    const Conv2d wl = testing::random_bitserial_conv2d(workloads);
    const Tensor x = testing::random_levels(operands, wl.act.encoding(), wl.input_shape(),
                                            testing::random_storage(operands, wl.act));
    const Tensor w = testing::random_levels(operands, wl.wgt.encoding(), wl.weight_shape(),
                                            testing::random_storage(operands, wl.wgt));
    reference::check_conv2d_operands(wl, x, w);
    const Tensor direct = reference::conv2d_accumulate_direct(wl, x, w);
    const Tensor bitserial = reference::conv2d_accumulate_bitserial(wl, x, w);
    ASSERT_TRUE(testing::tensors_equal(direct, bitserial)) << "workload " << i << ": " << wl.key();
  }
}

INSTANTIATE_TEST_SUITE_P(Shards, OracleAgreement, ::testing::Range(0, kShards));

// Proves the sweep covers what it claims: a change to the generator that loses an edge
// case fails here.
TEST(OracleAgreementCoverage, SweepCoversEveryEncodingPairAndEdgeCase) {
  std::set<std::string> features, kinds, act_types, wgt_types;
  int total = 0;
  for (int shard = 0; shard < kShards; ++shard) {
    Rng rng(workload_seed(shard));
    for (int i = 0; i < kWorkloadsPerShard; ++i, ++total) {
      const Conv2d wl = testing::random_bitserial_conv2d(rng);
      kinds.insert(std::string(1, wl.act.name()[0]) + wl.wgt.name()[0]);
      act_types.insert(wl.act.name());
      wgt_types.insert(wl.wgt.name());
      note_features(wl, features);
    }
  }
  EXPECT_GE(total, 2000);
  EXPECT_EQ(kinds, (std::set<std::string>{"uu", "ub", "bu", "bb"}));
  EXPECT_EQ(act_types.size(), 16u) << "u1..u8 and b1..b8 as activations";
  EXPECT_EQ(wgt_types.size(), 16u) << "u1..u8 and b1..b8 as weights";
  for (const char* f : {"below-word", "at-word", "above-word", "tail-after-full-word", "bipolar-padding",
                        "asymmetric-padding", "depthwise", "grouped", "dilation", "stride", "batch",
                        "NCHW", "NHWC", "OIHW", "HWIO"})
    EXPECT_TRUE(features.count(f)) << "the sweep never exercised " << f;
}

}  // namespace
}  // namespace bitforge
