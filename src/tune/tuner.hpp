// bitforge tune: search strategies over a schedule space.
//
// A tuner proposes batches of configs it has not proposed (or seen in the history it was
// given) before, and learns from measured results. Implementations: "random", "grid",
// "ga" (genetic), "xgb" (XGBoost cost model + simulated annealing over the space).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "codegen/schedule_space.hpp"
#include "codegen/target.hpp"
#include "ops/workload.hpp"
#include "tune/records.hpp"

namespace bitforge {

struct TuningTask {
  Workload workload;
  CodegenTarget target;
  ScheduleSpace space;
};

class Tuner {
 public:
  virtual ~Tuner() = default;
  // Up to n configs never proposed before and not in the history; fewer (possibly none)
  // when the space is exhausted.
  virtual std::vector<Config> next_batch(int n) = 0;
  // Measured results of proposed configs (failed trials included: error != None).
  virtual void update(const std::vector<TrialRecord>& results) = 0;
};

std::vector<std::string> tuner_names();  // random, grid, ga, xgb
// `history`: this task's earlier trials (never proposed again; model tuners learn from
// them). `transfer`: trials of other workloads of the same operator family and target,
// which a model-based tuner may use to warm its model before the first batch.
std::unique_ptr<Tuner> make_tuner(const std::string& name, const TuningTask& task, std::uint64_t seed,
                                  const std::vector<TrialRecord>& history,
                                  const std::vector<TrialRecord>& transfer);

}  // namespace bitforge
