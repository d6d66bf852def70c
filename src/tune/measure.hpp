// bitforge tune: measuring one trial robustly.
//
// The kernel is compiled and run in an isolated worker process with a timeout: a config
// that crashes (any signal), hangs or fails to compile costs one trial. The worker warms
// up, repeats until a minimum measured duration, and checks the first run's output against
// the reference (a wrong result is a failed trial).
#pragma once

#include <functional>

#include "core/tensor.hpp"
#include "tune/records.hpp"
#include "tune/tuner.hpp"

namespace bitforge {

struct MeasureOptions {
  double min_seconds = 0.1;    // measured repeats run at least this long in total
  int min_repeats = 3;
  double timeout_seconds = 60; // compile + check + measure, per trial
  int threads = 1;             // Halide threads in the worker

  // Test seams, empty in production. Both run inside the worker process, so what they do
  // goes through the real isolation path: `before_trial` is called with each config
  // before it is compiled (a test raises a signal or sleeps past the timeout there);
  // `after_first_run` may alter the first run's output before it is checked against the
  // reference (a test corrupts it there to make a wrong result).
  std::function<void(const Config&)> before_trial;
  std::function<void(const Config&, Tensor& output)> after_first_run;
};

// Refuses options outside their meaningful ranges, naming the option and what is allowed.
void validate_measure_options(const MeasureOptions& options);

// Measures each config of `configs` for `task`; one record per config, in order. A
// config the space rejects is an "invalid" trial and is not run. Never throws for a
// config's failure: compile errors, crashes, timeouts and wrong results are records.
// The calling process never compiles a kernel itself: workers are forked from it, so it
// should not have JIT-compiled anything (Halide/LLVM state is not fork-safe mid-use).
std::vector<TrialRecord> measure_trials(const TuningTask& task, const std::vector<Config>& configs,
                                        const MeasureOptions& options);
// The same, calling `on_trial` with each record as soon as its trial ends (in the order
// trials end), so a caller can log it before the next one starts.
std::vector<TrialRecord> measure_trials(const TuningTask& task, const std::vector<Config>& configs,
                                        const MeasureOptions& options,
                                        const std::function<void(const TrialRecord&)>& on_trial);

}  // namespace bitforge
