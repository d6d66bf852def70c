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
#include "ops/random_operands.hpp"
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

// Random operands and epilogue parameters of a case (ops/random_operands.hpp), with the
// storage dtype of low-bit levels varied so kernels' input conversions are exercised.
using Operands = RandomOperands;
inline Operands case_operands(Rng& rng, const Workload& wl) { return random_operands(rng, wl, true); }

// Whether a generated output equals the reference's: exactly, or for float32 outputs (free
// summation order, SEMANTICS §5) within 1e-3 + 1e-4 |reference|.
::testing::AssertionResult matches_reference(const Tensor& got, const Tensor& want, bool float_sums);

}  // namespace bitforge::testing
