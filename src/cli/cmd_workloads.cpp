// `bitforge workloads`: lists the built-in suites with each workload's key.
#include <memory>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "ops/suites.hpp"

namespace bitforge::cli {

namespace {
struct WorkloadsOptions {
  std::string suite;  // empty: all suites
  std::string act = "u1", wgt = "b1";
};

void run_workloads(const WorkloadsOptions& opt) {
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
  cmd->callback([opt] { run_workloads(*opt); });
}

}  // namespace bitforge::cli
