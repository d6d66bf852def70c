#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "codegen/codegen.hpp"
#include "core/error.hpp"
#include "ops/suites.hpp"
#include "test_util.hpp"

namespace bitforge {
namespace {

// A small space with one rule, to check the bookkeeping exactly.
ScheduleSpace toy_space() {
  std::vector<Knob> knobs = {int_knob("a", {1, 2, 4}, "a"), choice_knob("b", {"x", "y"}, "b"),
                             int_knob("c", {0, 1}, "c")};
  auto rule = [](const Config& c) -> std::string {
    return c.get_int("a") == 4 && c.get("b") == "y" ? "a = 4 needs b = x" : "";
  };
  Config d({{"a", "1"}, {"b", "x"}, {"c", "0"}});
  return ScheduleSpace("toy", knobs, rule, d);
}

TEST(ScheduleSpace, SizeCountsValidConfigsAndIndexRoundTrips) {
  const ScheduleSpace s = toy_space();
  EXPECT_EQ(s.raw_size(), 12u);
  EXPECT_EQ(s.size(), 10u);  // (4, y, *) breaks the rule
  std::set<std::string> seen;
  for (std::uint64_t i = 0; i < s.size(); ++i) {
    const Config c = s.at(i);
    EXPECT_EQ(s.check(c), "");
    EXPECT_EQ(s.index_of(c), i);
    seen.insert(c.str());
  }
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_THROW(s.at(10), Error);
}

TEST(ScheduleSpace, RestrictedHoldsKnobsAndKeepsTheRule) {
  const ScheduleSpace s = toy_space();
  const ScheduleSpace r = s.restricted({{"a", "4"}});
  EXPECT_EQ(r.size(), 2u);  // (4, x, 0) and (4, x, 1)
  for (std::uint64_t i = 0; i < r.size(); ++i) {
    EXPECT_EQ(r.at(i).get("a"), "4");
    EXPECT_EQ(s.check(r.at(i)), "");
  }
  // The default with a = 4 is valid here; with b = y it would not be, so a restriction
  // that forces both has no valid config.
  EXPECT_EQ(r.default_config().get("a"), "4");
  EXPECT_THROW(s.restricted({{"a", "4"}, {"b", "y"}}), Error);
  EXPECT_THROW(s.restricted({{"a", "3"}}), Error);
  EXPECT_THROW(s.restricted({{"z", "1"}}), Error);
  // A default the rule refuses is replaced by a valid config that has the fixed values.
  const ScheduleSpace a4 = ScheduleSpace("toy", s.knobs(), [](const Config& c) -> std::string {
    return c.get_int("a") == 4 && c.get("c") == "0" ? "a = 4 needs c = 1" : "";
  }, s.default_config()).restricted({{"a", "4"}});
  EXPECT_EQ(a4.default_config().get("a"), "4");
  EXPECT_EQ(a4.default_config().get("c"), "1");
}

TEST(ScheduleSpace, SamplesUniformlyOverValidConfigs) {
  const ScheduleSpace s = toy_space();
  testing::Rng rng(3);
  std::map<std::string, int> counts;
  const int n = 20000;
  for (int i = 0; i < n; ++i) ++counts[s.sample([&] { return rng.next(); }).str()];
  ASSERT_EQ(counts.size(), 10u);
  for (const auto& [c, k] : counts) EXPECT_NEAR(k, n / 10, n / 10 * 0.1) << c;  // within 10%
  // With a fixed knob: only matching configs, still uniform among them.
  std::map<std::string, int> fixed;
  for (int i = 0; i < 6000; ++i) ++fixed[s.sample([&] { return rng.next(); }, {{"b", "y"}}).str()];
  EXPECT_EQ(fixed.size(), 4u);  // a in {1, 2}, c in {0, 1}
  for (const auto& [c, k] : fixed) EXPECT_NEAR(k, 1500, 150) << c;
  EXPECT_THROW(s.sample([&] { return rng.next(); }, {{"a", "4"}, {"b", "y"}}), Error);
}

TEST(ScheduleSpace, JsonRoundTripsAndRefusesBadValuesNamingTheKnob) {
  const ScheduleSpace s = toy_space();
  const Config c = s.at(7);
  const nlohmann::json j = s.to_json(c);
  EXPECT_TRUE(j["a"].is_number_integer());
  EXPECT_TRUE(j["b"].is_string());
  EXPECT_EQ(s.from_json(j), c);
  EXPECT_EQ(s.from_json(nlohmann::json::parse(R"({"c": 1})")).get("c"), "1") << "unset knobs take the default";
  auto error_of = [&](const char* text) -> std::string {
    try {
      s.from_json(nlohmann::json::parse(text));
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(error_of(R"({"a": 3})"), "knob 'a' value 3 is not allowed (allowed: 1, 2, 4)");
  EXPECT_EQ(error_of(R"({"b": "z"})"), "knob 'b' value \"z\" is not allowed (allowed: x, y)");
  EXPECT_NE(error_of(R"({"d": 1})").find("unknown knob 'd' for toy (knobs: a, b, c)"), std::string::npos);
  EXPECT_NE(error_of(R"({"a": 4, "b": "y"})").find("a = 4 needs b = x"), std::string::npos);
  EXPECT_NE(error_of("[1]").find("JSON object"), std::string::npos);
}

// Every suite workload, at the bit widths the project is measured at and for the
// baselines, has a valid default config on every target (the space constructor refuses
// an invalid default, so building the space is the check) and a non-trivial space.
TEST(ScheduleSpace, DefaultsAreValidForEverySuiteWorkloadAndTarget) {
  const std::vector<std::pair<std::string, std::string>> types = {
      {"u1", "b1"}, {"u2", "b1"}, {"u2", "b2"}, {"b1", "b1"}, {"u8", "s8"}, {"s8", "s8"}, {"f32", "f32"}};
  for (const char* target : {"x86-64-avx2", "x86-64-avx512", "arm-64-linux"})
    for (const auto& [act, wgt] : types)
      for (const std::string& suite : suite_names())
        for (const SuiteEntry& e : load_suite(suite, OperandType::parse(act), OperandType::parse(wgt))) {
          const ScheduleSpace space = schedule_space(e.workload, resolve_target(target));
          EXPECT_GT(space.raw_size(), 100u) << e.name;
        }
}

TEST(ScheduleSpace, DefaultVectorizesOutputChannelsWithTheTargetsNaturalWidth) {
  const Workload c2 = parse_workload_key("conv2d_u1b1_mb1ic64ih56iw56oc64kh3kw3ph1pw1_nchw_oihw_i32");
  // With a vector popcount the words are u32 and the sums int32 (16 lanes of a zmm);
  // without one they are u64 with 64-bit sums, 8 lanes of a zmm or 4 of a ymm.
  const Config avx512 = schedule_space(c2, resolve_target("x86-64-avx512")).default_config();
  EXPECT_EQ(avx512.get("vector_axis"), "o");
  EXPECT_EQ(avx512.get("word"), "u32");
  EXPECT_EQ(avx512.get("vector_width"), "16");
  const Config skylake = schedule_space(c2, resolve_target("x86-64-avx512-skylake")).default_config();
  EXPECT_EQ(skylake.get("word"), "u64");
  EXPECT_EQ(skylake.get("vector_width"), "8");
  const Config avx2 = schedule_space(c2, resolve_target("x86-64-avx2")).default_config();
  EXPECT_EQ(avx2.get("word"), "u64");
  EXPECT_EQ(avx2.get("vector_width"), "4");
  // Depthwise: one channel per group, so the default vectorizes columns instead.
  const Workload dw = parse_workload_key("conv2d_u1b1_mb1ic32ih16iw16oc32kh3kw3ph1pw1g32_nhwc_hwio_i32");
  EXPECT_EQ(schedule_space(dw, resolve_target("x86-64-avx512")).default_config().get("vector_axis"), "x");
}

TEST(Targets, ResolveNamesAndRefuseUnknownOnes) {
  EXPECT_EQ(resolve_target("arm-64-linux").halide, "arm-64-linux");
  EXPECT_EQ(resolve_target("x86-64-avx2").vector_bits, 256);
  // A name means one feature set whatever machine resolves it (records and AOT objects
  // made on one machine serve another); only `host` depends on this machine.
  EXPECT_TRUE(resolve_target("x86-64-avx512").vector_popcount);
  EXPECT_NE(resolve_target("x86-64-avx512").halide.find("avx512_sapphirerapids"), std::string::npos);
  EXPECT_FALSE(resolve_target("x86-64-avx512-skylake").vector_popcount);
  EXPECT_EQ(resolve_target("x86-64-avx512-skylake").halide.find("avx512_sapphirerapids"), std::string::npos);
  const CodegenTarget host = resolve_target("host");
  EXPECT_NE(host.name, "host");
  EXPECT_TRUE(host.runs_here);
  if (host.isa == "avx2" || host.isa == "avx512") EXPECT_EQ(resolve_target(host.name).halide, host.halide);
  try {
    resolve_target("x86-64-sse9");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "unknown target 'x86-64-sse9' (allowed: host, x86-64-avx2, x86-64-avx512, x86-64-avx512-skylake, arm-64-linux)");
  }
}

}  // namespace
}  // namespace bitforge
