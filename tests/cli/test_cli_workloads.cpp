// `bitforge workloads`, `bitforge --version` and every `--help`.
//
// workloads prints, per suite, a title line "<suite> (<act> x <wgt>, <n> workloads)", a
// column header, then one "<name> <GOP> <key>" row per workload. Every printed key must
// parse (parse_workload_key) and print back identically, and the rows must be the
// suite's workloads as load_suite gives them in-process.
//
// Test names carry "cli" so `ctest -R cli` selects them.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_support.hpp"
#include "ops/suites.hpp"
#include "ops/workload.hpp"

namespace bitforge::cli_test {
namespace {

struct Row {
  std::string name, gop, key;
};
struct Section {
  std::string title;
  std::vector<Row> rows;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Splits the listing into sections (separated by blank lines); fails the test on a
// line that is not a title, the column header or a three-column row.
std::vector<Section> parse_listing(const std::string& text) {
  std::vector<Section> sections;
  bool expect_title = true, expect_header = false;
  for (const std::string& line : lines_of(text)) {
    if (line.empty()) {
      expect_title = true;
      continue;
    }
    if (expect_title) {
      sections.push_back({line, {}});
      expect_title = false;
      expect_header = true;
      continue;
    }
    std::istringstream fields(line);
    Row r;
    std::string extra;
    fields >> r.name >> r.gop >> r.key;
    EXPECT_FALSE(fields >> extra) << "more than three columns: " << line;
    if (expect_header) {
      EXPECT_EQ(r.name + " " + r.gop + " " + r.key, "name GOP key") << line;
      expect_header = false;
      continue;
    }
    EXPECT_FALSE(r.key.empty()) << "row without a key: " << line;
    sections.back().rows.push_back(r);
  }
  return sections;
}

// The listing of one suite equals load_suite(name, act, wgt) and each key round-trips.
void expect_suite_listing(const Section& s, const std::string& suite, const std::string& act,
                          const std::string& wgt) {
  const auto expected = load_suite(suite, OperandType::parse(act), OperandType::parse(wgt));
  EXPECT_EQ(s.title, fmt::format("{} ({} x {}, {} workloads)", suite, act, wgt, expected.size()));
  ASSERT_EQ(s.rows.size(), expected.size()) << suite;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const Row& r = s.rows[i];
    SCOPED_TRACE(r.name + " " + r.key);
    EXPECT_EQ(r.name, expected[i].name);
    EXPECT_EQ(r.key, workload_key(expected[i].workload));
    EXPECT_TRUE(std::regex_match(r.gop, std::regex(R"(\d+\.\d{3})"))) << r.gop;
    EXPECT_NEAR(std::stod(r.gop),
                2.0 * static_cast<double>(workload_macs(expected[i].workload)) / 1e9, 0.0005);
    Workload parsed;
    ASSERT_NO_THROW(parsed = parse_workload_key(r.key));
    EXPECT_EQ(workload_key(parsed), r.key) << "the printed key does not re-print identically";
    EXPECT_TRUE(parsed == expected[i].workload) << "the printed key names another workload";
  }
}

RunResult run_ok(const std::vector<std::string>& args) {
  RunResult r = run_bitforge(args);
  EXPECT_EQ(r.exit_code, 0) << "stderr: " << r.err;
  EXPECT_EQ(r.err, "");
  return r;
}

TEST(cliWorkloads, Resnet18ListsElevenWorkloadsC2ToC12) {
  const RunResult r = run_ok({"workloads", "--suite", "resnet18"});
  const auto sections = parse_listing(r.out);
  ASSERT_EQ(sections.size(), 1u) << r.out;
  const Section& s = sections[0];
  EXPECT_EQ(s.title, "resnet18 (u1 x b1, 11 workloads)");
  ASSERT_EQ(s.rows.size(), 11u) << r.out;
  for (int i = 0; i < 11; ++i) {
    EXPECT_EQ(s.rows[static_cast<std::size_t>(i)].name, fmt::format("C{}", i + 2));
    EXPECT_TRUE(s.rows[static_cast<std::size_t>(i)].key.starts_with("conv2d_u1b1_"))
        << s.rows[static_cast<std::size_t>(i)].key;
  }
  // C2 is the first 3x3 convolution of ResNet-18's conv2_x stage.
  EXPECT_EQ(s.rows[0].key, "conv2d_u1b1_mb1ic64ih56iw56oc64kh3kw3ph1pw1_nchw_oihw_i32");
  expect_suite_listing(s, "resnet18", "u1", "b1");
}

TEST(cliWorkloads, DeepbenchDeviceListsItsGemmsAndConvolutions) {
  const RunResult r = run_ok({"workloads", "--suite", "deepbench-device"});
  const auto sections = parse_listing(r.out);
  ASSERT_EQ(sections.size(), 1u) << r.out;
  const Section& s = sections[0];
  ASSERT_FALSE(s.rows.empty());
  bool dense = false, conv = false;
  for (const Row& row : s.rows) {
    dense |= row.key.starts_with("dense_") && row.name.starts_with("gemm-");
    conv |= row.key.starts_with("conv2d_") && row.name.starts_with("conv-");
  }
  EXPECT_TRUE(dense) << "no gemm (dense) workload listed";
  EXPECT_TRUE(conv) << "no convolution listed";
  expect_suite_listing(s, "deepbench-device", "u1", "b1");
}

TEST(cliWorkloads, WithoutSuiteListsEverySuite) {
  const RunResult r = run_ok({"workloads"});
  const auto sections = parse_listing(r.out);
  const auto names = suite_names();
  ASSERT_EQ(sections.size(), names.size()) << r.out;
  for (std::size_t i = 0; i < names.size(); ++i)
    expect_suite_listing(sections[i], names[i], "u1", "b1");
}

TEST(cliWorkloads, OperandTypeFlagsSetEveryKey) {
  const RunResult r = run_ok({"workloads", "--suite", "resnet18", "--act", "u2", "--wgt", "b2"});
  const auto sections = parse_listing(r.out);
  ASSERT_EQ(sections.size(), 1u) << r.out;
  expect_suite_listing(sections[0], "resnet18", "u2", "b2");
  for (const Row& row : sections[0].rows)
    EXPECT_TRUE(row.key.starts_with("conv2d_u2b2_")) << row.key;
}

TEST(cliVersion, PrintsNameAndVersion) {
  const RunResult r = run_ok({"--version"});
  EXPECT_TRUE(std::regex_match(r.out, std::regex("bitforge \\d+\\.\\d+\\.\\d+\n")))
      << "[" << r.out << "]";
}

struct HelpCase {
  std::string name;
  std::vector<std::string> args;
  std::string usage;                  // the usage line's start
  std::vector<std::string> mentions;  // options and subcommands the help must list
};

const std::vector<std::string> kConvOptions = {"--input",    "--weight",        "--act",    "--wgt",
                                               "--layout",   "--weight-layout", "--stride", "--pad",
                                               "--dilation", "--groups",        "--out"};

std::vector<HelpCase> help_cases() {
  return {
      {"Root", {"--help"}, "Usage: bitforge", {"conv2d", "dense", "workloads", "--version"}},
      {"RootShort", {"-h"}, "Usage: bitforge", {"conv2d", "dense", "workloads"}},
      {"Conv2d", {"conv2d", "--help"}, "Usage: bitforge conv2d", kConvOptions},
      {"Conv2dShort", {"conv2d", "-h"}, "Usage: bitforge conv2d", kConvOptions},
      // --help wins over missing and bad options.
      {"Conv2dWithOtherFlags",
       {"conv2d", "--act", "u9", "--help"},
       "Usage: bitforge conv2d",
       kConvOptions},
      {"Dense",
       {"dense", "--help"},
       "Usage: bitforge dense",
       {"--input", "--weight", "--act", "--wgt", "--out"}},
      {"Workloads",
       {"workloads", "--help"},
       "Usage: bitforge workloads",
       {"--suite", "resnet18", "deepbench-device", "--act", "--wgt"}},
  };
}

// gtest_discover_tests names each ctest entry by the printed parameter
// ("cli/Help.ExitsWithCode0AndPrintsUsage/<name>"), so a case prints as its name.
void PrintTo(const HelpCase& c, std::ostream* os) {
  *os << c.name;
}

class Help : public testing::TestWithParam<HelpCase> {};

TEST_P(Help, ExitsWithCode0AndPrintsUsage) {
  const HelpCase& c = GetParam();
  const RunResult r = run_ok(c.args);
  EXPECT_NE(r.out.find(c.usage), std::string::npos) << r.out;
  for (const std::string& m : c.mentions)
    EXPECT_NE(r.out.find(m), std::string::npos) << m << " in:\n" << r.out;
}

INSTANTIATE_TEST_SUITE_P(cli, Help, testing::ValuesIn(help_cases()));

}  // namespace
}  // namespace bitforge::cli_test
