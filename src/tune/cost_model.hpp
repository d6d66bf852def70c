// bitforge tune: the learned cost model of the "xgb" tuner — XGBoost (Debian
// libxgboost-dev, its C API) over config features, trained with a ranking objective on
// measured trials, used to rank candidate configs.
#pragma once

#include <memory>
#include <vector>

#include "codegen/schedule_space.hpp"
#include "codegen/target.hpp"
#include "ops/workload.hpp"

namespace bitforge {

// Features of a config of a workload on a target: knob values (one-hot or numeric) plus
// derived features (register tile sizes, vector width, loop order, estimated working set
// per cache level, ...). Fixed length for a given operator family.
std::vector<float> config_features(const Workload& wl, const CodegenTarget& target, const ScheduleSpace& space,
                                   const Config& config);

class CostModel {
 public:
  CostModel();
  ~CostModel();
  // Trains on (features, seconds) pairs; rows from several workloads may be mixed
  // (`group` says which rows belong to one workload, for the ranking objective).
  void fit(const std::vector<std::vector<float>>& features, const std::vector<double>& seconds,
           const std::vector<int>& group);
  bool trained() const;
  // Higher = predicted faster (a ranking score, not seconds).
  std::vector<float> score(const std::vector<std::vector<float>>& features) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bitforge
