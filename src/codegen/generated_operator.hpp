// bitforge codegen (internal): what an operator's generator builds for one workload and
// config — a `prepare` pipeline (weights -> the layout the kernel reads, done once per
// weight tensor) and a `run` pipeline (activations + prepared weights + epilogue
// parameters -> output). Both are plain Halide objects, compiled JIT or AOT by kernel.cpp.
#pragma once

#include <Halide.h>

#include <memory>
#include <vector>

#include "codegen/halide_epilogue.hpp"
#include "codegen/schedule_space.hpp"
#include "codegen/target.hpp"
#include "ops/workload.hpp"

namespace bitforge::codegen {

struct GeneratedOperator {
  Halide::ImageParam weight;       // levels / values, in the workload's weight layout
  Halide::Func prepared;           // prepare's output
  std::vector<int> prepared_extents;  // its Halide extents (innermost first)
  DType prepared_dtype = DType::u64;

  Halide::ImageParam input;         // activations, in the workload's layout
  Halide::ImageParam prepared_in;   // prepare's output, as run's input
  EpilogueInputs epilogue;
  OutputStage output;

  std::vector<Halide::Argument> prepare_arguments() const { return {weight}; }
  std::vector<Halide::Argument> run_arguments(const Epilogue& e) const;
};

// The generator of `wl`'s family applied to `config` (validated against its space).
std::unique_ptr<GeneratedOperator> generate_operator(const Workload& wl, const Config& config,
                                                     const CodegenTarget& target);
// Element types the generated functions take for activations and weights.
DType kernel_input_dtype(const Conv2d& lowered);
DType kernel_weight_dtype(const Conv2d& lowered);
// The kernel's self-describing name (see Kernel::name()).
std::string kernel_name(const Workload& wl, const Config& config, const CodegenTarget& target);

// Generators, one per operator family; each applies `config` (a config of the space
// that *_space() builds for the same workload and target).
std::unique_ptr<GeneratedOperator> generate_bitserial_conv2d(const Conv2d& wl, const Config& config,
                                                             const CodegenTarget& target);
std::unique_ptr<GeneratedOperator> generate_baseline_conv2d(const Conv2d& wl, const Config& config,
                                                            const CodegenTarget& target);

}  // namespace bitforge::codegen
