// The XGBoost cost model (cost_model.hpp), over XGBoost's C API.
//
// Why a ranking objective (rank:pairwise) and not regression on seconds: the tuner only
// needs to know which of two configs is faster, timings of different workloads differ by
// orders of magnitude (a regression would spend its capacity on the scale between
// layers, not on the order within one), and a noisy or failed trial only perturbs the
// pairs it is in. Rows are grouped by workload, so pairs are only formed within one
// workload: transfer rows teach "what is faster" without mixing their absolute speeds.
#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.hpp"
#include "tune/cost_model.hpp"

namespace bitforge {

namespace {

void xgb_check(int rc, const char* call) {
  if (rc != 0) fail("XGBoost {} failed: {}", call, XGBGetLastError());
}

struct DMatrixFree {
  void operator()(void* h) const { XGDMatrixFree(h); }
};
struct BoosterFree {
  void operator()(void* h) const { XGBoosterFree(h); }
};
using DMatrix = std::unique_ptr<void, DMatrixFree>;
using Booster = std::unique_ptr<void, BoosterFree>;

// A dense matrix of rows (all of one length); `order` picks and orders the rows.
DMatrix make_matrix(const std::vector<std::vector<float>>& rows, const std::vector<std::size_t>& order) {
  const std::size_t ncol = rows[order.front()].size();
  std::vector<float> data;
  data.reserve(order.size() * ncol);
  for (std::size_t i : order) {
    if (rows[i].size() != ncol)
      fail("cost model: feature rows differ in length ({} and {}); one model serves one operator family", ncol,
           rows[i].size());
    data.insert(data.end(), rows[i].begin(), rows[i].end());
  }
  DMatrixHandle h = nullptr;
  xgb_check(XGDMatrixCreateFromMat(data.data(), order.size(), ncol, std::numeric_limits<float>::quiet_NaN(), &h),
            "XGDMatrixCreateFromMat");
  return DMatrix(h);
}

// Training parameters. Small, shallow-ish trees and a moderate number of rounds: the
// model is retrained before every batch on at most a few thousand rows, so training must
// stay in the tens of milliseconds, and with few rows deeper trees only memorize.
// nthread 1: the machine's cores belong to the measurements (and results stay
// reproducible); seed fixed so the same data gives the same model.
constexpr int kRounds = 60;
constexpr const char* kParams[][2] = {
    {"objective", "rank:pairwise"},
    // Pairs sampled per row and round: with a few dozen rows, the default of 1 leaves
    // most of the order information unused.
    {"num_pairsample", "4"},
    {"eta", "0.3"},
    {"max_depth", "5"},
    {"min_child_weight", "0"},
    {"subsample", "1"},
    {"lambda", "1"},
    {"tree_method", "exact"},
    {"nthread", "1"},
    {"seed", "0"},
    {"verbosity", "0"},
};

}  // namespace

struct CostModel::Impl {
  Booster booster;
  std::size_t n_features = 0;
};

CostModel::CostModel() : impl_(std::make_unique<Impl>()) {}
CostModel::~CostModel() = default;

bool CostModel::trained() const { return impl_->booster != nullptr; }

void CostModel::fit(const std::vector<std::vector<float>>& features, const std::vector<double>& seconds,
                    const std::vector<int>& group) {
  if (features.empty()) fail("cost model: nothing to train on");
  if (seconds.size() != features.size() || group.size() != features.size())
    fail("cost model: {} feature rows, {} costs and {} group ids (they must match)", features.size(),
         seconds.size(), group.size());

  // XGBoost wants each group's rows contiguous, described by group sizes.
  std::vector<std::size_t> order(features.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return group[a] < group[b]; });

  // Label = relative throughput within the group: best seconds / seconds, in (0, 1]. A
  // failed trial (seconds not finite or not positive) gets 0, below every trial that ran:
  // failures cluster in regions of the space (huge unrolled bodies that time out in
  // compilation, ...) and the model should steer away from them.
  std::vector<float> labels(order.size());
  std::vector<unsigned> group_sizes;
  for (std::size_t begin = 0; begin < order.size();) {
    std::size_t end = begin;
    double best = std::numeric_limits<double>::infinity();
    while (end < order.size() && group[order[end]] == group[order[begin]]) {
      const double s = seconds[order[end]];
      if (std::isfinite(s) && s > 0) best = std::min(best, s);
      ++end;
    }
    for (std::size_t i = begin; i < end; ++i) {
      const double s = seconds[order[i]];
      labels[i] = std::isfinite(s) && s > 0 ? static_cast<float>(best / s) : 0.0f;
    }
    group_sizes.push_back(static_cast<unsigned>(end - begin));
    begin = end;
  }

  DMatrix train = make_matrix(features, order);
  xgb_check(XGDMatrixSetFloatInfo(train.get(), "label", labels.data(), labels.size()), "XGDMatrixSetFloatInfo");
  xgb_check(XGDMatrixSetUIntInfo(train.get(), "group", group_sizes.data(), group_sizes.size()),
            "XGDMatrixSetUIntInfo(group)");

  BoosterHandle b = nullptr;
  DMatrixHandle cache[] = {train.get()};
  xgb_check(XGBoosterCreate(cache, 1, &b), "XGBoosterCreate");
  Booster booster(b);
  for (const auto& [name, value] : kParams) xgb_check(XGBoosterSetParam(b, name, value), "XGBoosterSetParam");
  for (int round = 0; round < kRounds; ++round)
    xgb_check(XGBoosterUpdateOneIter(b, round, train.get()), "XGBoosterUpdateOneIter");

  impl_->booster = std::move(booster);
  impl_->n_features = features.front().size();
}

std::vector<float> CostModel::score(const std::vector<std::vector<float>>& features) const {
  if (!trained()) fail("cost model: score() before fit()");
  if (features.empty()) return {};
  if (features.front().size() != impl_->n_features)
    fail("cost model: rows of {} features, the model was trained on {}", features.front().size(),
         impl_->n_features);
  std::vector<std::size_t> order(features.size());
  std::iota(order.begin(), order.end(), 0);
  DMatrix m = make_matrix(features, order);
  bst_ulong len = 0;
  const float* out = nullptr;
  // Option 0: the ranking score (for rank:pairwise, the margin); training=0.
  xgb_check(XGBoosterPredict(impl_->booster.get(), m.get(), 0, 0, 0, &len, &out), "XGBoosterPredict");
  if (len != features.size()) fail("cost model: XGBoost returned {} scores for {} rows", len, features.size());
  return std::vector<float>(out, out + len);
}

}  // namespace bitforge
