// bitforge tune (internal): the "xgb" tuner's settings, for callers (tests, benchmarks)
// that want other values than make_tuner's defaults.
#pragma once

#include "tune/tuner.hpp"

namespace bitforge::tuners {

struct XgbTunerOptions {
  // Share of each batch given to uniformly random unseen configs instead of the model's
  // best guesses. The model is fitted on few trials and can be confidently wrong about a
  // whole region it has never seen; random picks keep sampling such regions (and give
  // the model unbiased training rows) at a bounded cost. AutoTVM uses 0.05 with much
  // larger budgets; at a few dozen trials per layer a larger share works better.
  double explore_fraction = 0.25;
  // Simulated annealing: parallel chains, steps per chain, and the start temperature in
  // units of the standard deviation of the model's scores (it falls linearly to 0).
  int sa_chains = 64;
  int sa_steps = 60;
  double sa_start_temperature = 1.0;
};

std::unique_ptr<Tuner> make_xgb_tuner(const TuningTask& task, std::uint64_t seed,
                                      const std::vector<TrialRecord>& history,
                                      const std::vector<TrialRecord>& transfer, const XgbTunerOptions& options);

}  // namespace bitforge::tuners
