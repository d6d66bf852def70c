// bitforge bench: a benchmark run — every layer of a suite times every chosen
// implementation in the same run, then speedups over the baselines, percentages of the
// roofline, their geometric means over the layers, and the project's speed goals.
// What it is not: the printing and plotting of the results (report.hpp).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bench/implementation.hpp"
#include "roofline/machine_model.hpp"

namespace bitforge::bench {

struct BenchOptions {
  std::string suite = "resnet18";
  std::vector<std::string> names;  // only these layers of the suite (empty: all)
  std::vector<std::string> implementations = default_implementations();
  int threads = 1;
  double min_seconds = 0.1;  // per implementation and layer, measured calls only
  int min_repeats = 5;
  PrepareOptions prepare;
  // One line per finished layer, optional (the command sends them to stderr).
  std::function<void(const std::string&)> progress;
};

// Throws Error for an unknown suite, layer or implementation, a duplicate, a thread count
// or measuring budget out of range — before anything is compiled or measured.
void validate_bench_options(const BenchOptions& options);

struct Measurement {
  std::string layer;           // the suite's name for it: "C2"
  std::string implementation;  // "w1a1"
  std::string key;             // the workload key it ran (its operand types and layouts)
  std::string detail;          // PreparedConv::detail()
  Timing timing;
  double ops = 0;  // 2 x MACs
  double gops() const { return ops / timing.min_seconds / 1e9; }
  std::optional<double> bound_seconds;  // the roofline's best possible time; nullopt if no bound
  std::optional<double> roofline_pct;   // 100 x bound_seconds / measured minimum
};

struct BenchResult {
  BenchOptions options;
  std::vector<std::string> layers;  // in suite order
  std::vector<Measurement> rows;    // layer-major, implementations in the options' order
  std::string cpu;                  // the machine model's CPU brand string
  std::string target, halide;       // the generated kernels' target and its Halide string
  std::string host_isa;             // "avx512", "avx2", ... (of that target)
  std::string onednn;               // "oneDNN 2.6.3 (avx512_core_amx)": version, ISA it may use
  bool onednn_above_avx2 = false;
  std::vector<std::string> notes;  // e.g. why a roofline percentage is missing

  const Measurement* find(const std::string& layer, const std::string& implementation) const;
};

// Prepares (compiles, checks against the reference), then times all implementations of one
// layer interleaved, layer after layer. `machine` gives the roofline bounds.
BenchResult run_bench(const BenchOptions& options, const roofline::MachineModel& machine);

// Geometric means over the layers of one implementation.
struct ImplSummary {
  std::string implementation;
  int layers = 0;
  double gops = 0;
  std::optional<double> speedup_f32, speedup_u8s8;  // nullopt when the baseline did not run
  std::optional<double> min_speedup_f32;            // the slowest layer's
  std::optional<double> roofline_pct;               // nullopt if any layer lacks a bound
  // The same speedups if this implementation ran at its roofline on every layer (the
  // baselines as measured): the most the machine allows it; nullopt without bounds.
  std::optional<double> ceiling_f32, ceiling_u8s8, ceiling_min_f32;
};
std::vector<ImplSummary> summarize(const BenchResult& result);

// The speed goals of issue 5 item 4, each with the measured value; only those this run can
// decide (resnet18, all 11 layers, 1 thread, the implementations they name).
struct Goal {
  std::string text;  // "w1a1 geomean speedup over onednn-f32 >= 15x"
  double target = 0;
  double value = 0;
  bool percent = false;           // value and target are percentages, not speedups
  std::optional<double> ceiling;  // the most the roofline allows (speedup goals)
  bool met() const { return value >= target; }
};
struct GoalCheck {
  std::vector<Goal> goals;
  std::string scope;  // which goal set applies, or why none is evaluated
};
GoalCheck check_goals(const BenchResult& result, const std::vector<ImplSummary>& summaries);

}  // namespace bitforge::bench
