// bitforge tune (internal): the operands every trial of a workload runs on, and the
// reference output its first run is checked against.
#pragma once

#include <memory>
#include <string>

#include "core/tensor.hpp"
#include "ops/epilogue.hpp"
#include "ops/workload.hpp"

namespace bitforge::tune_detail {

struct TrialOperands {
  Tensor input, weight;  // valid values of the workload's operand types
  EpilogueParams params;  // parameters that exercise the epilogue, if it has any
  Tensor expected;        // reference output
};

// Deterministic (seeded by the workload key) random operands and their reference output,
// computed once per workload per process: the reference is the slow oracle, so the
// measuring parent computes it before forking workers, which then share it.
std::shared_ptr<const TrialOperands> trial_operands(const Workload& wl);

// Empty if `got` equals `expected` (exactly for integer outputs, within a relative
// tolerance for float32, whose summation order is free), else where they first differ.
std::string output_mismatch(const Tensor& got, const Tensor& expected);

}  // namespace bitforge::tune_detail
