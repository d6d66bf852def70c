// Compiling generated operators: JIT kernels with a per-process cache, and the AOT
// library + header for deployment.
#include <Halide.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <unordered_map>

#include "codegen/bitserial_microkernel.hpp"
#include "codegen/codegen.hpp"
#include "codegen/generated_operator.hpp"
#include "codegen/lowering.hpp"
#include "codegen/spaces.hpp"
#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "ops/reference/reference.hpp"

namespace bitforge {

using codegen::GeneratedOperator;
using codegen::LoweredWorkload;

ScheduleSpace schedule_space(const Workload& wl, const CodegenTarget& target) {
  std::visit([](const auto& w) { w.validate(); }, wl);
  const LoweredWorkload lw = codegen::lower_workload(wl);
  return lw.conv.family() == OpFamily::BitSerial ? codegen::bitserial_conv2d_space(lw.conv, target, lw.dense)
                                                 : codegen::baseline_conv2d_space(lw.conv, target, lw.dense);
}

namespace {

// A Halide view of a contiguous tensor (Halide dims are the tensor's axes reversed).
Halide::Buffer<> halide_view(const Tensor& t) {
  std::vector<halide_dimension_t> dims(static_cast<std::size_t>(t.rank()));
  for (int d = 0; d < t.rank(); ++d) {
    const int axis = t.rank() - 1 - d;
    dims[static_cast<std::size_t>(d)] = {0, static_cast<int32_t>(t.dim(axis)), static_cast<int32_t>(t.strides()[static_cast<std::size_t>(axis)]), 0};
  }
  return Halide::Buffer<>(codegen::halide_type(t.dtype()), const_cast<void*>(t.raw_data()), t.rank(), dims.data());
}

Shape reversed(const std::vector<int>& extents) {
  return Shape(extents.rbegin(), extents.rend());
}

// JIT kernels are called only through HalideKernel, which checks every operand first, so
// Halide's own argument asserts and bounds queries are dead weight. LLVM's loop
// optimizations are off because the schedule already decides vectorization and
// unrolling; they only add compile time (about half of it, measured).
Halide::Target jit_target(const CodegenTarget& t) {
  Halide::Target h = t.halide_target();
  for (auto f : {Halide::Target::JIT, Halide::Target::NoAsserts, Halide::Target::NoBoundsQuery,
                 Halide::Target::DisableLLVMLoopOpt})
    h = h.with_feature(f);
  return h;
}

// The prepare pipeline depends only on the weights (shape, type, layout) and the packed
// layout (word, pack axis), not on the rest of the schedule: kernels that differ in other
// knobs share it.
struct PrepareStage {
  std::unique_ptr<GeneratedOperator> op;
  mutable Halide::Pipeline pipeline;
};

std::mutex prepare_mutex;
std::unordered_map<std::string, std::shared_ptr<const PrepareStage>> prepare_cache;

std::shared_ptr<const PrepareStage> prepare_stage(const Workload& wl, const Config& cfg, const CodegenTarget& t,
                                                  const Halide::Target& jit) {
  std::string key = workload_key(wl) + "|" + t.halide;
  for (const char* knob : {"word", "pack_axis", "microkernel"})  // the knobs the weight layout depends on
    if (cfg.values().count(knob)) key += "|" + cfg.get(knob);
  if (codegen::microkernel_of(cfg) != "none") key += "|" + cfg.get("tile_o");  // its channel blocks
  std::lock_guard<std::mutex> lock(prepare_mutex);
  if (auto it = prepare_cache.find(key); it != prepare_cache.end()) return it->second;
  auto stage = std::make_shared<PrepareStage>();
  stage->op = codegen::generate_operator(wl, cfg, t);
  stage->pipeline = Halide::Pipeline(stage->op->prepared);
  stage->pipeline.compile_jit(jit);
  prepare_cache.emplace(key, stage);
  return stage;
}

class HalideKernel final : public Kernel {
 public:
  HalideKernel(Workload wl, Config cfg, CodegenTarget target)
      : wl_(std::move(wl)), lw_(codegen::lower_workload(wl_)), cfg_(std::move(cfg)), target_(std::move(target)) {
    name_ = codegen::kernel_name(wl_, cfg_, target_);
    op_ = codegen::generate_operator(wl_, cfg_, target_);
    jit_target_ = jit_target(target_);
    prepare_ = prepare_stage(wl_, cfg_, target_, jit_target_);
    run_ = Halide::Pipeline(op_->output.out);
    run_.set_jit_externs(
        {{codegen::kNibbleLutAvx2Symbol, Halide::JITExtern(&codegen::bitforge_bitserial_nibble_lut_avx2)},
         {codegen::kPointwiseNibbleLutAvx2Symbol,
          Halide::JITExtern(&codegen::bitforge_bitserial_pointwise_nibble_lut_avx2)},
         {codegen::kPointwiseVpopcntAvx512Symbol,
          Halide::JITExtern(&codegen::bitforge_bitserial_pointwise_vpopcnt_avx512)}});
    run_.compile_jit(jit_target_);
  }

  const Workload& workload() const override { return wl_; }
  const Config& config() const override { return cfg_; }
  const CodegenTarget& target() const override { return target_; }
  const std::string& name() const override { return name_; }
  DType input_dtype() const override { return codegen::kernel_input_dtype(lw_.conv); }

  Tensor prepare(const Tensor& weight) const override {
    const Shape expected = std::visit([](const auto& w) { return w.weight_shape(); }, wl_);
    if (weight.shape() != expected)
      fail("weight has shape {} but workload {} needs {}", shape_str(weight.shape()), workload_key(wl_), shape_str(expected));
    lw_.conv.wgt.validate(weight, "weight");
    Tensor w = weight.astype(codegen::kernel_weight_dtype(lw_.conv)).reshaped(lw_.conv.weight_shape());
    Tensor prepared(op_->prepared_dtype, reversed(op_->prepared_extents));
    Halide::ParamMap params;
    params.set(prepare_->op->weight, halide_view(w));
    Halide::Buffer<> out = halide_view(prepared);
    prepare_->pipeline.realize(out, jit_target_, params);
    return prepared;
  }

  Tensor run(const Tensor& input, const Tensor& prepared, const EpilogueParams& params) const override {
    if (const Dense* d = std::get_if<Dense>(&wl_)) {
      if (input.shape() != d->input_shape())
        fail("input has shape {} but workload {} needs {} (N, C)", shape_str(input.shape()), d->key(), shape_str(d->input_shape()));
      d->act.validate(input, "input");
    } else {
      const Conv2d& c = std::get<Conv2d>(wl_);
      if (input.shape() != c.input_shape())
        fail("input has shape {} but workload {} needs {}", shape_str(input.shape()), c.key(), shape_str(c.input_shape()));
      c.act.validate(input, "input");
    }
    if (prepared.dtype() != op_->prepared_dtype || prepared.shape() != reversed(op_->prepared_extents))
      fail("prepared weights of shape {} do not come from kernel {}'s prepare()", shape_str(prepared.shape()), name_);
    validate_epilogue_params(lw_.conv.epilogue, lw_.conv.o, params);
    const Shape out_shape = std::visit([](const auto& w) { return w.output_shape(); }, wl_);
    const DType out_dtype = std::visit([](const auto& w) { return w.output_dtype(); }, wl_);
    Tensor out(out_dtype, out_shape);
    run_unchecked(input.astype(input_dtype()), prepared, params, out);
    return out;
  }

  void run_unchecked(const Tensor& input, const Tensor& prepared, const EpilogueParams& p,
                     Tensor& output) const override {
    Halide::ParamMap params;
    params.set(op_->input, halide_view(input.contiguous().reshaped(lw_.conv.input_shape())));
    params.set(op_->prepared_in, halide_view(prepared));
    const Epilogue& e = lw_.conv.epilogue;
    const codegen::EpilogueInputs& in = op_->epilogue;
    Tensor descending;
    if (e.kind == Epilogue::Kind::Affine) {
      params.set(in.scale, halide_view(p.scale.contiguous()));
      params.set(in.bias, halide_view(p.bias.contiguous()));
      if (e.activation == Epilogue::Activation::Clip) {
        params.set(in.clip_lo, p.clip_lo);
        params.set(in.clip_hi, p.clip_hi);
      }
    } else if (e.kind == Epilogue::Kind::Threshold) {
      params.set(in.thresholds, halide_view(p.thresholds.contiguous()));
      descending = p.descending.defined() ? p.descending.contiguous() : Tensor(DType::u8, {lw_.conv.o});
      params.set(in.descending, halide_view(descending));
    }
    Halide::Buffer<> out = halide_view(output.reshaped(lw_.conv.output_shape()));
    run_.realize(out, jit_target_, params);
  }

 private:
  Workload wl_;
  LoweredWorkload lw_;
  Config cfg_;
  CodegenTarget target_;
  std::string name_;
  std::unique_ptr<GeneratedOperator> op_;
  Halide::Target jit_target_;
  std::shared_ptr<const PrepareStage> prepare_;
  mutable Halide::Pipeline run_;
};

std::mutex cache_mutex;
std::unordered_map<std::string, std::shared_ptr<const Kernel>> cache;
std::size_t compiled = 0;

}  // namespace

std::shared_ptr<const Kernel> compile_kernel(const Workload& wl, const Config& config, const CodegenTarget& target) {
  if (!target.runs_here)
    fail("target {} cannot run on this machine ({}); compile it ahead of time instead", target.name,
         host_cpu_features().describe());
  const std::string key = workload_key(wl) + "|" + config.str() + "|" + target.halide;
  std::lock_guard<std::mutex> lock(cache_mutex);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  auto kernel = std::make_shared<HalideKernel>(wl, config, target);
  ++compiled;
  cache.emplace(key, kernel);
  return kernel;
}

std::size_t kernels_compiled() {
  std::lock_guard<std::mutex> lock(cache_mutex);
  return compiled;
}

}  // namespace bitforge
