#include "codegen/generated_operator.hpp"

#include "codegen/bitserial_microkernel.hpp"

#include "codegen/baseline_conv2d.hpp"
#include "codegen/codegen.hpp"
#include "codegen/lowering.hpp"
#include "core/random.hpp"

namespace bitforge::codegen {

namespace {
// Declares a buffer dense and starting at 0, with the strides of `shape` (tensor axes,
// outermost first). A kernel serves one workload, so its strides are compile-time
// constants: addresses fold into immediate offsets instead of stride multiplies (measured:
// up to 9% on the resnet18 layers). JIT callers check shapes before the call (kernel.cpp);
// AOT code asserts them. Extents are left free: fixing the output's extents too was a
// few percent faster still, but with LLVM's loop passes off (kernel.cpp) Halide 14 then
// emitted aligned vector loads from unaligned stack slots for some configs (a crash).
void fix_strides(Halide::OutputImageParam buffer, const Shape& shape) {
  std::int64_t stride = 1;
  for (int d = 0; d < buffer.dimensions(); ++d) {
    buffer.dim(d).set_min(0).set_stride(static_cast<int>(stride));
    stride *= shape[shape.size() - 1 - static_cast<std::size_t>(d)];
  }
}

void fix_strides(GeneratedOperator& op, const Conv2d& wl) {
  const Shape prepared(op.prepared_extents.rbegin(), op.prepared_extents.rend());
  fix_strides(op.weight, wl.weight_shape());
  fix_strides(op.prepared.output_buffer(), prepared);
  fix_strides(op.input, wl.input_shape());
  fix_strides(op.prepared_in, prepared);
  fix_strides(op.output.out.output_buffer(), wl.output_shape());
  if (wl.epilogue.kind == Epilogue::Kind::Threshold)  // the only 2-D epilogue input
    fix_strides(op.epilogue.thresholds, {wl.o, wl.epilogue.threshold_count()});
}
}  // namespace

std::unique_ptr<GeneratedOperator> generate_operator(const Workload& wl, const Config& config,
                                                     const CodegenTarget& target) {
  schedule_space(wl, target).validate(config);
  const LoweredWorkload lw = lower_workload(wl);
  std::unique_ptr<GeneratedOperator> op = lw.conv.family() == OpFamily::BitSerial
                                              ? generate_bitserial_conv2d(lw.conv, config, target)
                                              : generate_baseline_conv2d(lw.conv, config, target);
  fix_strides(*op, lw.conv);
  return op;
}

DType kernel_input_dtype(const Conv2d& c) {
  return c.family() == OpFamily::BitSerial ? c.act.encoding().level_dtype() : baseline_input_dtype(c);
}

DType kernel_weight_dtype(const Conv2d& c) {
  return c.family() == OpFamily::BitSerial ? c.wgt.encoding().level_dtype() : baseline_weight_dtype(c);
}

std::string kernel_name(const Workload& wl, const Config& config, const CodegenTarget& target) {
  const LoweredWorkload lw = lower_workload(wl);
  const std::string px = config.values().count("tile_n") ? config.get("tile_n") : config.get("tile_x");
  const std::uint64_t h = fnv1a(workload_key(wl) + "|" + config.str() + "|" + target.halide);
  // A microkernel's name follows the ISA, as in XNNPACK's ukernel names.
  const std::string mk = microkernel_of(config), isa = mk != "none" ? mk : target.isa;
  return fmt::format("bf_{}_{}{}_o{}x{}_{}_{:08x}", lw.dense ? "dense" : "conv2d", lw.conv.act.name(),
                     lw.conv.wgt.name(), config.get("tile_o"), px, isa,
                     static_cast<std::uint32_t>(h ^ (h >> 32)));
}

}  // namespace bitforge::codegen
