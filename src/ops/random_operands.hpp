// bitforge ops: random valid operands of a workload and epilogue parameters that exercise
// it — what tests and the tuner's trials run on. Seeded (core/random.hpp), so a seed names
// the same operands everywhere.
#pragma once

#include "core/random.hpp"
#include "core/tensor.hpp"
#include "ops/epilogue.hpp"
#include "ops/workload.hpp"

namespace bitforge {

struct RandomOperands {
  Tensor input, weight;   // values of the workload's operand types, in its layouts
  EpilogueParams params;  // parameters of its epilogue, if it has any
};

// Integer operands are stored as int32 (floats as f32); with `vary_storage`, low-bit
// levels are stored as int32 or int16 at random, so callers' dtype conversions are
// exercised too. Thresholds are sorted per channel over the accumulator's typical range
// (random operands sum to about sqrt(terms) times a level), so every output level occurs and
// a wrong accumulator shows; a third of the channels are descending.
RandomOperands random_operands(SplitMix64& rng, const Workload& wl, bool vary_storage = false);

}  // namespace bitforge
