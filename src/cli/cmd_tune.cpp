// `bitforge tune`: tunes the schedule of one workload (--key) or of every workload of a
// suite (--suite) on a target, appending every trial to a JSON Lines log that a re-run
// resumes from (docs/tuning.md).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/lists.hpp"
#include "codegen/codegen.hpp"
#include "core/error.hpp"
#include "ops/suites.hpp"
#include "tune/progress.hpp"
#include "tune/tuning_session.hpp"

namespace bitforge::cli {

namespace {
struct TuneOptions {
  std::string key, suite, act = "u1", wgt = "b1", op, names, target = "host", fix;
  SessionOptions session;
};

std::vector<SuiteEntry> chosen_workloads(const TuneOptions& opt) {
  if (opt.key.empty() == opt.suite.empty()) fail("give exactly one of --key KEY or --suite NAME");
  if (!opt.key.empty()) {
    const Workload wl = parse_workload_key(opt.key);
    std::visit([](const auto& w) { w.validate(); }, wl);
    return {{workload_key(wl), wl}};
  }
  std::vector<SuiteEntry> entries = load_suite(opt.suite, OperandType::parse(opt.act), OperandType::parse(opt.wgt));
  if (!opt.op.empty()) {
    if (opt.op != "conv2d" && opt.op != "dense") fail("unknown --op '{}' (allowed: conv2d, dense)", opt.op);
    const bool conv = opt.op == "conv2d";
    std::erase_if(entries, [&](const SuiteEntry& e) { return std::holds_alternative<Conv2d>(e.workload) != conv; });
  }
  if (!opt.names.empty()) {
    std::vector<SuiteEntry> picked;
    for (const std::string& name : split_commas(opt.names)) {
      auto it = std::find_if(entries.begin(), entries.end(), [&](const SuiteEntry& e) { return e.name == name; });
      if (it == entries.end()) {
        std::vector<std::string> all;
        for (const SuiteEntry& e : entries) all.push_back(e.name);
        fail("suite '{}' has no workload '{}' (allowed: {})", opt.suite, name, fmt::join(all, ", "));
      }
      picked.push_back(*it);
    }
    entries = std::move(picked);
  }
  if (entries.empty()) fail("no workload of suite '{}' matches --op {}", opt.suite, opt.op);
  return entries;
}

void run_tune(TuneOptions opt) {
  const std::vector<SuiteEntry> workloads = chosen_workloads(opt);
  const CodegenTarget target = resolve_target(opt.target);
  for (const std::string& kv : split_commas(opt.fix)) {
    const std::size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == kv.size())
      fail("--fix '{}' is not knob=value (e.g. --fix microkernel=avx2_nibble_lut)", kv);
    opt.session.fixed[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  opt.session.progress = tune_detail::stderr_is_terminal();
  run_tuning_session(workloads, target, opt.session, [&](const WorkloadSummary& s) {
    const ScheduleSpace space = schedule_space(parse_workload_key(s.key), target);
    const std::string best =
        s.best ? fmt::format("best {:.4f} ms {:.1f} GOP/s config {}", s.best->min_s * 1e3, s.gops(),
                             space.to_json(s.best->config).dump())
               : std::string("no successful trial");
    // One line per workload on stdout, whatever stderr is: scripts read these.
    const std::string who = s.name == s.key ? s.key : s.name + " " + s.key;
    fmt::print("{} trials {} (new {}, failed {}, stop {}) {}\n", who, s.earlier + s.measured, s.measured, s.failed,
               s.stopped, best);
    std::fflush(stdout);
  });
}
}  // namespace

void add_tune_command(CLI::App& app) {
  auto opt = std::make_shared<TuneOptions>();
  const std::vector<std::string> tuners = tuner_names();
  opt->session.tuner = "xgb";  // the model-based tuner: fewest trials to a good config (docs/tuning.md)
  CLI::App* cmd = app.add_subcommand(
      "tune", "tune schedule configs by measuring trials; every trial is appended to a resumable JSON Lines log");
  CLI::Option* key = cmd->add_option("--key", opt->key, "workload key to tune (see docs/workloads.md)");
  cmd->add_option("--suite", opt->suite, "tune every workload of a suite: resnet18 or deepbench-device")->excludes(key);
  // The key names its operand types and its operator: the suite selectors do not apply.
  cmd->add_option("--act", opt->act, "activation type of the suite's workloads")->capture_default_str()->excludes(key);
  cmd->add_option("--wgt", opt->wgt, "weight type of the suite's workloads")->capture_default_str()->excludes(key);
  cmd->add_option("--op", opt->op, "only the suite's workloads of this operator: conv2d or dense")->excludes(key);
  cmd->add_option("--names", opt->names, "only these workloads of the suite (comma-separated names, e.g. C2,C3)")
      ->excludes(key);
  cmd->add_option("--trials", opt->session.trials, "trials per workload in total, earlier trials in the log included")
      ->required();
  cmd->add_option("--tuner", opt->session.tuner, fmt::format("search strategy: {}", fmt::join(tuners, ", ")))
      ->capture_default_str();
  cmd->add_option("--early-stop", opt->session.early_stop,
                  "stop a workload after this many trials in a row without a new best (0: never)")
      ->capture_default_str();
  cmd->add_option("--log", opt->session.log, "JSON Lines tuning log: appended to, and resumed from")->required();
  cmd->add_option("--target", opt->target, "target to tune for (must run here): host, x86-64-avx2, x86-64-avx512, x86-64-avx512-skylake")
      ->capture_default_str();
  cmd->add_option("--batch", opt->session.batch, "configs proposed and measured per round")->capture_default_str();
  cmd->add_option("--seed", opt->session.seed, "seed of the tuner's random choices")->capture_default_str();
  cmd->add_option("--min-seconds", opt->session.measure.min_seconds, "measured repeats of a trial last at least this long")
      ->capture_default_str();
  cmd->add_option("--min-repeats", opt->session.measure.min_repeats, "measured repeats per trial, at least")
      ->capture_default_str();
  cmd->add_option("--timeout", opt->session.measure.timeout_seconds,
                  "seconds a trial may take (compile + check + measure) before it counts as hung")
      ->capture_default_str();
  cmd->add_option("--threads", opt->session.measure.threads, "threads of the measured kernel")->capture_default_str();
  cmd->add_option("--fix", opt->fix,
                  "knobs held at one value while the others are tuned (knob=value,...; e.g. "
                  "microkernel=avx2_nibble_lut); only the log's trials with these values count");
  cmd->callback([opt] { run_tune(*opt); });
}

}  // namespace bitforge::cli
