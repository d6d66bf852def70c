// bitforge tune: a tuning session — tunes workloads one after another on one target,
// appending every trial to a log it resumes from.
//
// Per workload: the log's records of that (key, target) are the history (never measured
// again; the trial budget counts them), records of other workloads of the same operator
// family and target are the tuner's transfer set; then batches of proposals are measured
// and each trial is appended as it ends, until the workload has `trials` trials, the
// tuner runs out of unvisited configs, or `early_stop` trials in a row brought no
// improvement.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <map>
#include <string>
#include <vector>

#include "ops/suites.hpp"
#include "tune/measure.hpp"

namespace bitforge {

struct SessionOptions {
  std::string tuner = "ga";
  int trials = 32;          // total per workload, earlier trials in the log included
  int early_stop = 0;       // stop a workload after this many trials in a row without a new best; 0 = never
  int batch = 8;            // configs proposed and measured per round
  std::uint64_t seed = 1;
  std::string log;          // JSON Lines log, appended to (created if missing)
  MeasureOptions measure;
  bool progress = false;    // draw a progress bar on stderr
  // Knobs held at one value: the session explores the rest (ScheduleSpace::restricted),
  // and counts and learns only from the log's trials that have these values.
  std::map<std::string, std::string> fixed;
};

struct WorkloadSummary {
  std::string name;  // suite entry name, or the key
  std::string key;
  int earlier = 0;   // trials already in the log
  int measured = 0;  // trials measured now
  int failed = 0;    // of those, failed ones
  std::optional<TrialRecord> best;  // over earlier and new trials
  std::string stopped;  // why the workload ended: "trials", "early-stop", "exhausted"
  double gops() const;  // 2 * MACs / best min_s / 1e9, 0 without a best
  std::int64_t macs = 0;
};

// Refuses options out of range (naming the option and what is allowed) or an unknown tuner.
void validate_session_options(const SessionOptions& options);

// Tunes each workload in order; `on_done` is called as each finishes (for a summary line).
std::vector<WorkloadSummary> run_tuning_session(const std::vector<SuiteEntry>& workloads, const CodegenTarget& target,
                                                const SessionOptions& options,
                                                const std::function<void(const WorkloadSummary&)>& on_done = {});

}  // namespace bitforge
