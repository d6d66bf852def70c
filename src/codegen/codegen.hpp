// bitforge codegen: generated operators.
//
// What it is for: turning a workload plus a schedule config plus a target into a compiled
// kernel. Each operator's math is written once as a Halide algorithm; every performance
// decision is a knob of its schedule space (schedule_space.hpp); the same compiler also
// generates the int8, int16 and float32 "same compiler" baselines. Kernels are JIT-compiled
// for the host (cached per process) or compiled ahead of time into a static library and
// C header for any target.
// What it is not: a tuner (tune/ picks configs) or a dispatcher across implementations.
#pragma once

#include <memory>
#include <string>

#include "codegen/schedule_space.hpp"
#include "codegen/target.hpp"
#include "core/tensor.hpp"
#include "ops/epilogue.hpp"
#include "ops/workload.hpp"

namespace bitforge {

// The schedule space of a workload's operator on a target (bit-serial for low-bit
// operands, the baseline family otherwise). Dense layers have their own space.
ScheduleSpace schedule_space(const Workload& wl, const CodegenTarget& target);

// A compiled kernel for one (workload, config, target). Thread-safe to run.
class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual const Workload& workload() const = 0;
  virtual const Config& config() const = 0;
  virtual const CodegenTarget& target() const = 0;
  // A self-describing name: op, operand types, register tile and ISA, plus a hash of the
  // key and config ("bf_conv2d_u2b1_o32x4_avx512_1a2b3c4d").
  virtual const std::string& name() const = 0;

  // Weights (levels in the workload's weight layout, any integer dtype holding them) ->
  // the layout the kernel reads. Done once per weight tensor.
  virtual Tensor prepare(const Tensor& weight) const = 0;
  // Activations (in the workload's layout) + prepared weights -> output (workload's
  // output shape and dtype). Operands are checked like the reference checks them.
  virtual Tensor run(const Tensor& input, const Tensor& prepared, const EpilogueParams& params = {}) const = 0;
  // The timing path: no operand checks, writes into `output` (which must have the
  // workload's output shape and dtype). `input` must already be in the kernel's
  // input dtype (see input_dtype()).
  virtual void run_unchecked(const Tensor& input, const Tensor& prepared, const EpilogueParams& params,
                             Tensor& output) const = 0;
  virtual DType input_dtype() const = 0;

  Tensor operator()(const Tensor& input, const Tensor& weight, const EpilogueParams& params = {}) const {
    return run(input, prepare(weight), params);
  }
};

// Compiles (or returns the cached) kernel for `wl` with `config` on `target`, which must
// run on this machine. The config is validated against the space first.
std::shared_ptr<const Kernel> compile_kernel(const Workload& wl, const Config& config, const CodegenTarget& target);
// The number of kernels compiled by this process so far (the cache's misses).
std::size_t kernels_compiled();

// Ahead-of-time: writes `<dir>/<name>.a` (prepare + run + the Halide runtime for the
// target) and `<dir>/<name>.h` (a C API with the shapes documented), plus the Halide
// runtime header the API uses. Returns the kernel name.
std::string compile_kernel_aot(const Workload& wl, const Config& config, const CodegenTarget& target,
                               const std::string& dir);
// Assembly text of the run pipeline (for tests that check instruction selection).
std::string kernel_assembly(const Workload& wl, const Config& config, const CodegenTarget& target);

}  // namespace bitforge
