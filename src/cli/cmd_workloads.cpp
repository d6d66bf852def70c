// `bitforge workloads`: lists the built-in suites with each workload's key, or describes
// one workload given by its key (validating it and printing its canonical form).
#include <memory>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "ops/suites.hpp"

namespace bitforge::cli {

namespace {
struct WorkloadsOptions {
  std::string suite;  // empty: all suites
  std::string act = "u1", wgt = "b1";
  std::string key;  // describe this workload instead of listing suites
};

void describe(const Workload& w) {
  fmt::print("key       {}\n", workload_key(w));
  std::visit(
      [](const auto& wl) {
        fmt::print("family    {} ({} x {})\n", op_family_name(wl.family()), wl.act.name(), wl.wgt.name());
        fmt::print("input     {}\nweight    {}\noutput    {} {}\n", shape_str(wl.input_shape()),
                   shape_str(wl.weight_shape()), dtype_name(wl.output_dtype()), shape_str(wl.output_shape()));
        fmt::print("GOP       {:.6f} (2 x {} MACs)\n", 2.0 * static_cast<double>(wl.macs()) / 1e9, wl.macs());
        if (!wl.act.is_float()) fmt::print("max |Y|   {} (int32 max 2147483647)\n", wl.accumulator_bound());
      },
      w);
}

void run_workloads(const WorkloadsOptions& opt) {
  if (!opt.key.empty()) return describe(parse_workload_key(opt.key));
  const OperandType act = OperandType::parse(opt.act), wgt = OperandType::parse(opt.wgt);
  std::vector<std::string> names = opt.suite.empty() ? suite_names() : std::vector{opt.suite};
  std::vector<std::vector<SuiteEntry>> suites;
  for (const std::string& name : names) suites.push_back(load_suite(name, act, wgt));  // all or nothing
  for (std::size_t s = 0; s < names.size(); ++s) {
    fmt::print("{}{} ({} x {}, {} workloads)\n", s ? "\n" : "", names[s], act.name(), wgt.name(),
               suites[s].size());
    fmt::print("{:<30} {:>10}  {}\n", "name", "GOP", "key");
    for (const SuiteEntry& e : suites[s])
      fmt::print("{:<30} {:>10.3f}  {}\n", e.name, 2.0 * static_cast<double>(workload_macs(e.workload)) / 1e9,
                 workload_key(e.workload));
  }
}
}  // namespace

void add_workloads_command(CLI::App& app) {
  auto opt = std::make_shared<WorkloadsOptions>();
  CLI::App* cmd = app.add_subcommand("workloads", "list the built-in workload suites and their keys");
  cmd->add_option("--suite", opt->suite, "resnet18 or deepbench-device (default: all)")
      ->check(CLI::IsMember({"resnet18", "deepbench-device"}));
  cmd->add_option("--act", opt->act, "activation type of every workload")->capture_default_str();
  cmd->add_option("--wgt", opt->wgt, "weight type of every workload")->capture_default_str();
  cmd->add_option("--key", opt->key, "describe one workload given by its key (see docs/workloads.md)")
      ->excludes("--suite");
  cmd->callback([opt] { run_workloads(*opt); });
}

}  // namespace bitforge::cli
