// Deterministic (workload, config) cases for the generated-operator sweeps, and random
// operands and epilogue parameters for them.
//
// A plan is cheap to make (no compilation), so the coverage test can re-make every
// shard's plan and check that every value of every knob is exercised; the sweep shards
// then compile and run their slice.
#pragma once

#include <string>
#include <vector>

#include "codegen/codegen.hpp"
#include "ops/workload.hpp"
#include "test_util.hpp"

namespace bitforge::testing {

enum class GeneratedOp { BitserialConv2d, BitserialDense, BaselineConv2d, BaselineDense };
std::string op_name(GeneratedOp op);
inline constexpr GeneratedOp kGeneratedOps[] = {GeneratedOp::BitserialConv2d, GeneratedOp::BitserialDense,
                                               GeneratedOp::BaselineConv2d, GeneratedOp::BaselineDense};

struct GeneratedCase {
  Workload workload;
  Config config;
};

constexpr int kCasesPerOp = 300;
constexpr int kShardsPerOp = 10;

// The cases [shard * 30, shard * 30 + 30) of `op`'s plan on `target`.
std::vector<GeneratedCase> plan_shard(GeneratedOp op, int shard, const CodegenTarget& target);

// Random operands of a workload and random epilogue parameters that exercise it (every
// threshold level reachable, some channels descending).
struct Operands {
  Tensor input, weight;
  EpilogueParams params;
};
Operands random_operands(Rng& rng, const Workload& wl);

}  // namespace bitforge::testing
