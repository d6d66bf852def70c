// `bitforge bench`: times every layer of a suite with the generated operators and the
// oneDNN baselines in the same run, and reports time, GOP/s, speedups, % of the roofline
// and the speed goals; optionally a CSV and a speedup plot (docs/performance.md).
#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>

#include "bench/bench_run.hpp"
#include "bench/report.hpp"
#include "cli/commands.hpp"
#include "cli/lists.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "roofline/machine_model.hpp"

namespace bitforge::cli {

namespace {

struct BenchCommandOptions {
  bench::BenchOptions bench;
  std::string impls, names, csv, plot;
};

// The machine model (measured on the first run, then read from its file). The probes
// run on threads of their own, so this thread's affinity, which the kernels' thread pools
// inherit, is left as it was.
roofline::MachineModel host_machine_model() {
  std::string note;
  roofline::MachineModel model = roofline::machine_model_for_host(&note);
  if (!note.empty()) std::cerr << "bench: " << note << "\n";
  return model;
}

void run_bench_command(BenchCommandOptions& opt) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  bench::BenchOptions& o = opt.bench;
  o.implementations = split_commas(opt.impls, /*keep_empty=*/true);
  if (!opt.names.empty()) o.names = split_commas(opt.names, /*keep_empty=*/true);
  // Every refusal before anything is compiled or measured.
  bench::validate_bench_options(o);
  if (!opt.csv.empty()) bench::check_writable(opt.csv, "--csv");
  if (!opt.plot.empty()) {
    bench::check_writable(opt.plot, "--plot");
    bench::check_writable(bench::svg_path_for(opt.plot), "--plot");
    if (std::find(o.implementations.begin(), o.implementations.end(), "onednn-f32") ==
            o.implementations.end() ||
        o.implementations.size() < 2)
      fail(
          "--plot draws speedups over onednn-f32: --impls needs onednn-f32 and at least one other "
          "implementation");
  }

  const roofline::MachineModel machine = host_machine_model();
  o.progress = [](const std::string& line) { std::cerr << line << std::endl; };
  const bench::BenchResult result = bench::run_bench(o, machine);
  const std::vector<bench::ImplSummary> summaries = bench::summarize(result);
  fmt::print("{}", bench::format_report(result, summaries, bench::check_goals(result, summaries)));
  std::fflush(stdout);

  // The plot first: gnuplot is the step that can fail (not installed), and then no file
  // at all is written.
  if (!opt.plot.empty()) bench::write_speedup_plot(result, opt.plot);
  if (!opt.csv.empty()) write_file_atomically(opt.csv, bench::format_csv(result));
  std::cerr << fmt::format("bench: done in {:.0f} s",
                           std::chrono::duration<double>(Clock::now() - start).count());
  if (!opt.csv.empty()) std::cerr << "; wrote " << opt.csv;
  if (!opt.plot.empty())
    std::cerr << "; wrote " << opt.plot << " and " << bench::svg_path_for(opt.plot);
  std::cerr << "\n";
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto opt = std::make_shared<BenchCommandOptions>();
  opt->impls = fmt::format("{}", fmt::join(bench::default_implementations(), ","));
  CLI::App* cmd = app.add_subcommand("bench",
                                     "time a suite's layers with the generated operators and the "
                                     "oneDNN baselines in one run: time, GOP/s, "
                                     "speedups, % of the roofline and the speed goals");
  cmd->add_option("--suite", opt->bench.suite,
                  "workload suite whose convolutions are timed: resnet18 or deepbench-device")
      ->capture_default_str();
  cmd->add_option("--impls", opt->impls,
                  "comma-separated implementations: wXaY (generated bit-serial, X-bit bipolar "
                  "weights, Y-bit unsigned "
                  "activations, X, Y in 1..8), int16 (generated), onednn-f32, onednn-u8s8")
      ->capture_default_str();
  cmd->add_option("--names", opt->names,
                  "only these layers of the suite (comma-separated names, e.g. C2,C3)");
  cmd->add_option("--threads", opt->bench.threads,
                  "threads of every implementation (Halide and oneDNN's OpenMP)")
      ->capture_default_str();
  cmd->add_option(
      "--csv", opt->csv,
      "write workload,implementation,threads,time_ms,gops,roofline_pct (one row per layer and "
      "implementation; workload is the key it ran) to FILE");
  cmd->add_option("--plot", opt->plot,
                  "write a grouped-bar plot of each layer's speedups over onednn-f32 to FILE.png "
                  "and FILE.svg (gnuplot)");
  cmd->add_option("--log", opt->bench.prepare.logs,
                  "tuning log whose best records the generated kernels use, besides the shipped "
                  "ones (repeatable)");
  cmd->add_option("--min-seconds", opt->bench.min_seconds,
                  "time each implementation of a layer for at least this many seconds of calls")
      ->capture_default_str();
  cmd->add_option("--min-repeats", opt->bench.min_repeats, "and for at least this many calls")
      ->capture_default_str();
  cmd->callback([opt] { run_bench_command(*opt); });
}

}  // namespace bitforge::cli
