#include "cli/implementation.hpp"

#include "codegen/codegen.hpp"
#include "core/error.hpp"
#include "ops/reference/reference.hpp"

namespace bitforge::cli {

void add_impl_options(CLI::App* cmd, ImplOptions& o) {
  cmd->add_option("--impl", o.impl, "implementation: generated (a compiled Halide kernel) or reference (the oracle)")
      ->check(CLI::IsMember({"generated", "reference"}))
      ->capture_default_str();
  cmd->add_option("--config", o.config, "schedule config of the generated kernel: default or FILE.json")
      ->capture_default_str();
  cmd->add_option("--target", o.target, "code-generation target the kernel runs on: host, x86-64-avx2, x86-64-avx512")
      ->capture_default_str();
}

Tensor run_implementation(const Workload& wl, const Tensor& x, const Tensor& w, const ImplOptions& o) {
  if (o.impl == "reference") {
    if (o.config != "default" || o.target != "host")
      fail("--config and --target choose a generated kernel; they do not apply to --impl reference");
    if (const Conv2d* c = std::get_if<Conv2d>(&wl)) return reference::conv2d(*c, x, w);
    return reference::dense(std::get<Dense>(wl), x, w);
  }
  const CodegenTarget target = resolve_target(o.target);
  const Config config = load_config(schedule_space(wl, target), o.config);
  return (*compile_kernel(wl, config, target))(x, w);
}

}  // namespace bitforge::cli
