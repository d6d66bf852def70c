#include "cli/implementation.hpp"

#include "codegen/codegen.hpp"
#include "core/error.hpp"
#include "ops/reference/reference.hpp"
#include "tune/dispatch.hpp"

namespace bitforge::cli {

void add_impl_options(CLI::App* cmd, ImplOptions& o) {
  cmd->add_option("--impl", o.impl, "implementation: generated (a compiled Halide kernel) or reference (the oracle)")
      ->check(CLI::IsMember({"generated", "reference"}))
      ->capture_default_str();
  cmd->add_option("--config", o.config,
                  "schedule config of the generated kernel: default, best (the fastest recorded in the tuning logs "
                  "and the shipped best-record files) or FILE.json")
      ->capture_default_str();
  cmd->add_option("--log", o.logs, "tuning log searched by --config best (repeatable)");
  // Checked once parsing is done, before the command reads its operand files.
  cmd->parse_complete_callback([&o] {
    if (!o.logs.empty() && o.config != "best") fail("--log is read by --config best only (got --config {})", o.config);
  });
  cmd->add_option("--target", o.target, "code-generation target the kernel runs on: host, x86-64-avx2, x86-64-avx512, x86-64-avx512-skylake")
      ->capture_default_str();
}

Tensor run_implementation(const Workload& wl, const Tensor& x, const Tensor& w, const ImplOptions& o) {
  if (o.impl == "reference") {
    if (o.config != "default" || o.target != "host" || !o.logs.empty())
      fail("--config, --log and --target choose a generated kernel; they do not apply to --impl reference");
    return reference::run(wl, x, w);
  }
  const CodegenTarget target = resolve_target(o.target);
  // "best": the dispatch table of the tuning records; it warns once and falls back to the
  // default config for a workload nobody tuned on this target.
  const Config config =
      o.config == "best" ? best_config(wl, target, o.logs).config : load_config(schedule_space(wl, target), o.config);
  return (*compile_kernel(wl, config, target))(x, w);
}

}  // namespace bitforge::cli
