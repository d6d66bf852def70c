// `bitforge compile`: ahead-of-time compiles one workload's generated operator for a
// target and writes the deployable static library and C header into a directory.
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "codegen/codegen.hpp"
#include "core/error.hpp"

namespace bitforge::cli {

namespace {
struct CompileOptions {
  std::string key, config = "default", target, out_dir;
};

void run_compile(const CompileOptions& opt) {
  const Workload wl = parse_workload_key(opt.key);
  const CodegenTarget target = resolve_target(opt.target);
  const ScheduleSpace space = schedule_space(wl, target);
  // "default" or a JSON file of knob values (knobs it leaves out keep their defaults).
  const Config config = load_config(space, opt.config);
  // Checked here too (compile_kernel_aot checks it as well) so that a bad directory is
  // refused before the seconds a compilation takes.
  if (!std::filesystem::exists(opt.out_dir))
    fail("output directory '{}' does not exist (create it first)", opt.out_dir);
  if (!std::filesystem::is_directory(opt.out_dir))
    fail("output '{}' is not a directory", opt.out_dir);
  const std::string name = compile_kernel_aot(wl, config, target, opt.out_dir);
  const std::filesystem::path dir(opt.out_dir);
  fmt::print("kernel    {}\nworkload  {}\ntarget    {} ({})\nconfig    {}\n", name,
             workload_key(wl), target.name, target.halide, space.to_json(config).dump());
  for (const std::string& f : {"lib" + name + ".a", name + ".h", name + "_prepare.h",
                               name + "_run.h", std::string("HalideRuntime.h")})
    fmt::print("wrote     {}\n", (dir / f).string());
}
}  // namespace

void add_compile_command(CLI::App& app) {
  auto opt = std::make_shared<CompileOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compile",
      "ahead-of-time compile a workload's kernel: static library + C header for deployment");
  cmd->add_option("--key", opt->key, "workload key (see docs/workloads.md)")->required();
  cmd->add_option("--config", opt->config,
                  "schedule config: 'default' or a JSON file of knob values")
      ->capture_default_str();
  cmd->add_option("--target", opt->target, "host, x86-64-avx2, x86-64-avx512, x86-64-avx512-skylake or arm-64-linux")
      ->required();
  cmd->add_option("-o,--out", opt->out_dir, "existing output directory")->required();
  cmd->callback([opt] { run_compile(*opt); });
}

}  // namespace bitforge::cli
