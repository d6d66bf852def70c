// Every generated operator is bit-exact against the reference (float32 within a
// relative tolerance, SEMANTICS §5) on 300 (workload, config) pairs, and the pairs
// exercise every value of every knob. ctest runs this binary twice: on the host's best
// ISA, and with BITFORGE_MAX_ISA=avx2 (the ".avx2" tests).
#include <gtest/gtest.h>

#include <set>

#include "codegen/codegen.hpp"
#include "generated_cases.hpp"
#include "ops/reference/reference.hpp"

namespace bitforge {
namespace {

using testing::GeneratedOp;

class GeneratedSweep : public ::testing::TestWithParam<std::tuple<GeneratedOp, int>> {};

TEST_P(GeneratedSweep, BitExactAgainstReference) {
  const auto [op, shard] = GetParam();
  const CodegenTarget target = resolve_target("host");
  testing::Rng rng(0xda7a + static_cast<std::uint64_t>(shard));
  for (const testing::GeneratedCase& c : testing::plan_shard(op, shard, target)) {
    const std::string what = workload_key(c.workload) + " " + c.config.str() + " on " + target.name;
    SCOPED_TRACE(what);
    const testing::Operands ops = testing::case_operands(rng, c.workload);
    const auto kernel = compile_kernel(c.workload, c.config, target);
    const Tensor got = kernel->run(ops.input, kernel->prepare(ops.weight), ops.params);
    const bool float_sums = std::visit([](const auto& w) { return w.act.is_float(); }, c.workload);
    ASSERT_TRUE(testing::matches_reference(got, reference::run(c.workload, ops.input, ops.weight, ops.params), float_sums))
        << what;
  }
}

std::string case_name(const ::testing::TestParamInfo<std::tuple<GeneratedOp, int>>& info) {
  return testing::op_name(std::get<0>(info.param)) + "_" + std::to_string(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(Ops, GeneratedSweep,
                         ::testing::Combine(::testing::ValuesIn(testing::kGeneratedOps),
                                            ::testing::Range(0, testing::kShardsPerOp)),
                         case_name);

class GeneratedCoverage : public ::testing::TestWithParam<GeneratedOp> {};

TEST_P(GeneratedCoverage, PlanExercisesEveryValueOfEveryKnob) {
  const CodegenTarget target = resolve_target("host");
  std::set<std::pair<std::string, std::string>> used, all;
  int cases = 0;
  for (int shard = 0; shard < testing::kShardsPerOp; ++shard)
    for (const testing::GeneratedCase& c : testing::plan_shard(GetParam(), shard, target)) {
      ++cases;
      for (const auto& kv : c.config.values()) used.insert(kv);
      const ScheduleSpace space = schedule_space(c.workload, target);
      for (const Knob& k : space.knobs())
        for (const std::string& v : k.values) all.insert({k.name, v});
    }
  EXPECT_GE(cases, 300);
  for (const auto& [knob, value] : all)
    EXPECT_TRUE(used.count({knob, value})) << "knob " << knob << " = " << value << " is never exercised on "
                                           << target.name;
}

INSTANTIATE_TEST_SUITE_P(Ops, GeneratedCoverage, ::testing::ValuesIn(testing::kGeneratedOps),
                         [](const auto& info) { return testing::op_name(info.param); });

}  // namespace
}  // namespace bitforge
