#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "ops/suites.hpp"

namespace bitforge {
namespace {

const OperandType kU1 = OperandType::parse("u1"), kB1 = OperandType::parse("b1");

TEST(Suites, Resnet18HasTheElevenTvmLayers) {
  auto s = load_suite("resnet18", kU1, kB1);
  ASSERT_EQ(s.size(), 11u);
  EXPECT_EQ(s.front().name, "C2");
  EXPECT_EQ(s.back().name, "C12");
  const Conv2d& c7 = std::get<Conv2d>(s[5].workload);
  EXPECT_EQ(s[5].name, "C7");
  EXPECT_EQ(c7.key(), "conv2d_u1b1_mb1ic128ih28iw28oc256kh3kw3sh2sw2ph1pw1_nchw_oihw_i32");
  EXPECT_EQ(c7.out_h(), 14);
}

TEST(Suites, DeepbenchDeviceMapsGemmToDenseAndConvToConv2d) {
  auto s = load_suite("deepbench-device", OperandType::parse("u8"), OperandType::parse("s8"));
  ASSERT_EQ(s.size(), 28u);
  // GEMM m=5124 n=700 k=2048: 5124 output features, 700 columns, 2048 inputs.
  EXPECT_EQ(s[0].name, "gemm-5124x700x2048");
  EXPECT_EQ(workload_key(s[0].workload), "dense_u8s8_mb700ic2048oc5124_i32");
  int convs = 0;
  for (const auto& e : s) convs += std::holds_alternative<Conv2d>(e.workload);
  EXPECT_EQ(convs, 15);
  EXPECT_EQ(workload_key(s[13].workload), "conv2d_u8s8_mb1ic64ih112iw112oc64kh1kw1_nchw_oihw_i32");
}

TEST(Suites, FloatSuitesUseTheFloatAccumulator) {
  auto s = load_suite("resnet18", OperandType::parse("f32"), OperandType::parse("f32"));
  EXPECT_EQ(workload_key(s[0].workload), "conv2d_f32f32_mb1ic64ih56iw56oc64kh3kw3ph1pw1_nchw_oihw_f32");
}

TEST(Suites, UnknownSuiteAndOverflowingTypesAreRefused) {
  EXPECT_THROW(load_suite("mobilenet", kU1, kB1), Error);
  EXPECT_THROW(load_suite("resnet18", OperandType::parse("s16"), OperandType::parse("s16")), Error);
}

TEST(Suites, EmbeddedTablesMatchSharedData) {
  const std::filesystem::path shared = std::filesystem::path(BITFORGE_TEST_SOURCE_DIR) / ".." / "shared" / "data";
  if (!std::filesystem::exists(shared)) GTEST_SKIP() << "no ../shared/data beside the checkout";
  EXPECT_EQ(suite_table_text("resnet18"), read_file((shared / "resnet18_conv.tsv").string()));
  EXPECT_EQ(suite_table_text("deepbench-device"),
            read_file((shared / "deepbench_inference_device.tsv").string()));
}

TEST(Suites, TsvSectionsAreSplitAtHeaders) {
  auto sections = parse_tsv_sections("# c\na\tb\n1\t2\n\nx\ty\n3\t4\n5\t6\n", "t");
  ASSERT_EQ(sections.size(), 2u);
  EXPECT_EQ(sections[1].columns, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(sections[1].rows.size(), 2u);
  EXPECT_THROW(parse_tsv_sections("a\tb\n1\t2\t3\n", "t"), Error);
  EXPECT_THROW(parse_tsv_sections("a\t1\n", "t"), Error);
}

}  // namespace
}  // namespace bitforge
