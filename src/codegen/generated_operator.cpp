#include "codegen/generated_operator.hpp"

#include "codegen/baseline_conv2d.hpp"
#include "codegen/codegen.hpp"
#include "codegen/lowering.hpp"
#include "core/random.hpp"

namespace bitforge::codegen {

std::unique_ptr<GeneratedOperator> generate_operator(const Workload& wl, const Config& config,
                                                     const CodegenTarget& target) {
  schedule_space(wl, target).validate(config);
  const LoweredWorkload lw = lower_workload(wl);
  return lw.conv.family() == OpFamily::BitSerial ? generate_bitserial_conv2d(lw.conv, config, target)
                                                 : generate_baseline_conv2d(lw.conv, config, target);
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
  return fmt::format("bf_{}_{}{}_o{}x{}_{}_{:08x}", lw.dense ? "dense" : "conv2d", lw.conv.act.name(),
                     lw.conv.wgt.name(), config.get("tile_o"), px, target.isa,
                     static_cast<std::uint32_t>(h ^ (h >> 32)));
}

}  // namespace bitforge::codegen
