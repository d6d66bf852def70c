// The "xgb" tuner on the synthetic cost of xgb_synthetic.hpp (no kernel is compiled):
// it never proposes a config twice or one of its history, proposes only valid configs,
// finds a near-best config much sooner than random search, and transfer from other
// layers makes its first batch better than random.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "test_util.hpp"
#include "tune/tuner_xgb.hpp"
#include "tune/tuners_internal.hpp"
#include "tune/xgb_synthetic.hpp"

namespace bitforge {
namespace {

using testing::synthetic_record;
using testing::synthetic_seconds;

// A dense layer with one output of one row: a space of a few hundred configs, small
// enough to exhaust (and to enumerate quickly: dense has the fewest knobs).
Workload tiny_workload() {
  Dense d;
  d.act = OperandType::parse("u1");
  d.wgt = OperandType::parse("b1");
  d.n = 1;
  d.c = 16;
  d.o = 1;
  d.validate();
  return d;
}

TEST(XgbTuner, NeverRepeatsNorProposesHistoryAndExhaustsTheSpace) {
  const CodegenTarget target = testing::avx512_target();
  const TuningTask task = testing::make_task(tiny_workload(), target);
  const std::uint64_t size = task.space.size();
  ASSERT_GT(size, 100u);
  ASSERT_LT(size, 2000u);

  // A history of 20 measured configs, a few of them failed.
  testing::Rng rng(5);
  std::vector<TrialRecord> history;
  std::set<std::string> seen;
  while (history.size() < 20) {
    Config c = task.space.sample([&] { return rng.next(); });
    if (!seen.insert(c.str()).second) continue;
    TrialRecord r = synthetic_record(task, c);
    if (history.size() % 5 == 0) {
      r.error = TrialError::Compile;
      r.costs.clear();
      r.min_s = r.median_s = 0;
    }
    history.push_back(r);
  }
  auto tuner = tuners::make_xgb(task, 42, history, {});
  std::size_t proposed = 0;
  for (int round = 0; round < 100; ++round) {
    const std::vector<Config> batch = tuner->next_batch(48);
    if (batch.empty()) break;
    std::vector<TrialRecord> results;
    for (const Config& c : batch) {
      EXPECT_EQ(task.space.check(c), "") << c.str();
      EXPECT_TRUE(seen.insert(c.str()).second) << "proposed twice or in the history: " << c.str();
      results.push_back(synthetic_record(task, c));
      if (results.size() % 7 == 0) results.back().error = TrialError::Crash;  // failures do not stop it
    }
    proposed += batch.size();
    tuner->update(results);
  }
  EXPECT_EQ(proposed + history.size(), size) << "every config exactly once, then nothing";
  EXPECT_TRUE(tuner->next_batch(8).empty());
}

// Trials until a config within 5% of the space's best is measured (capped at `cap`).
int trials_to_near_best(Tuner& tuner, const TuningTask& task, double best, int batch, int cap) {
  int trials = 0;
  while (trials < cap) {
    const std::vector<Config> configs = tuner.next_batch(batch);
    if (configs.empty()) return cap;
    std::vector<TrialRecord> results;
    for (const Config& c : configs) {
      ++trials;
      results.push_back(synthetic_record(task, c));
      if (results.back().min_s <= 1.05 * best) return trials;
    }
    tuner.update(results);
  }
  return cap;
}

struct SpaceFacts {
  double best = 0;
  std::uint64_t near_best = 0;  // configs within 5% of the best
};

SpaceFacts space_facts(const TuningTask& task) {
  std::vector<double> s;
  for (std::uint64_t i = 0; i < task.space.size(); ++i) s.push_back(synthetic_seconds(task.workload, task.space.at(i)));
  SpaceFacts f;
  f.best = *std::min_element(s.begin(), s.end());
  for (double x : s) f.near_best += x <= 1.05 * f.best;
  return f;
}

TEST(XgbTuner, FindsANearBestConfigMuchSoonerThanRandomSearch) {
  const CodegenTarget target = testing::avx512_target();
  const TuningTask task = testing::make_task(testing::resnet18_w1a2()[4].workload, target);  // C6
  const SpaceFacts facts = space_facts(task);
  // Uniform sampling without replacement needs (N + 1) / (K + 1) trials on average to
  // meet one of K good configs among N.
  const double random_expected =
      static_cast<double>(task.space.size() + 1) / static_cast<double>(facts.near_best + 1);
  ASSERT_GT(random_expected, 150) << "the synthetic cost must make the test meaningful";

  const int cap = 400;
  double log_sum = 0;
  const std::vector<std::uint64_t> seeds = {1, 2, 3, 4};
  for (std::uint64_t seed : seeds) {
    auto tuner = tuners::make_xgb(task, seed, {}, {});
    const int t = trials_to_near_best(*tuner, task, facts.best, 8, cap);
    std::printf("seed %llu: xgb needed %d trials\n", static_cast<unsigned long long>(seed), t);
    log_sum += std::log(t);
  }
  const double xgb_geomean = std::exp(log_sum / static_cast<double>(seeds.size()));
  std::printf("space %llu configs, %llu within 5%% of the best; random search needs %.0f trials on average, "
              "xgb %.1f (geometric mean over %zu seeds)\n",
              static_cast<unsigned long long>(task.space.size()), static_cast<unsigned long long>(facts.near_best),
              random_expected, xgb_geomean, seeds.size());
  EXPECT_LT(xgb_geomean * 3, random_expected);
}

TEST(XgbTuner, TransferFromOtherLayersMakesTheFirstBatchBetterThanRandom) {
  const CodegenTarget target = testing::avx512_target();
  const auto suite = testing::resnet18_w1a2();
  const TuningTask task = testing::make_task(suite[0].workload, target);  // C2
  // 64 random trials of each of four other layers, plus records the tuner must ignore:
  // another family (u8 x s8), another target, a malformed key.
  std::vector<TrialRecord> transfer;
  testing::Rng rng(17);
  for (std::size_t layer : {2, 4, 6, 8}) {
    // (Sampling needs no enumeration of the space: no make_task here.)
    const TuningTask other{suite[layer].workload, target, schedule_space(suite[layer].workload, target)};
    for (int i = 0; i < 64; ++i)
      transfer.push_back(synthetic_record(other, other.space.sample([&] { return rng.next(); })));
  }
  {
    const Workload int8 = load_suite("resnet18", OperandType::parse("u8"), OperandType::parse("s8"))[0].workload;
    const TuningTask other{int8, target, schedule_space(int8, target)};
    TrialRecord r;
    r.key = workload_key(int8);
    r.target = target.name;
    r.config = other.space.default_config();
    r.min_s = 1;
    transfer.push_back(r);
    r = transfer.front();
    r.target = "arm-64-linux";
    transfer.push_back(r);
    r.key = "conv2d_nonsense";
    r.target = target.name;
    transfer.push_back(r);
  }

  // Mean over seeds of the first batch's best and median cost relative to the optimum.
  const SpaceFacts facts = space_facts(task);
  double warm_best = 0, cold_best = 0, warm_median = 0, cold_median = 0;
  const int seeds = 4, batch = 16;
  for (int seed = 1; seed <= seeds; ++seed) {
    for (bool warm : {true, false}) {
      auto tuner = tuners::make_xgb(task, seed, {}, warm ? transfer : std::vector<TrialRecord>{});
      const std::vector<Config> configs = tuner->next_batch(batch);
      ASSERT_EQ(configs.size(), static_cast<std::size_t>(batch));
      std::vector<double> rel;
      for (const Config& c : configs) rel.push_back(synthetic_seconds(task.workload, c) / facts.best);
      std::sort(rel.begin(), rel.end());
      (warm ? warm_best : cold_best) += rel.front() / seeds;
      (warm ? warm_median : cold_median) += rel[rel.size() / 2] / seeds;
    }
  }
  std::printf("first batch of %d, cost / optimum: with transfer best %.2f median %.2f; without (random) best "
              "%.2f median %.2f\n",
              batch, warm_best, warm_median, cold_best, cold_median);
  EXPECT_LT(warm_median * 1.5, cold_median);
  EXPECT_LT(warm_best, cold_best);
}

TEST(XgbTuner, RefusesABadExplorationFraction) {
  const TuningTask task = testing::make_task(tiny_workload(), testing::avx512_target());
  EXPECT_THROW(tuners::make_xgb_tuner(task, 1, {}, {}, {.explore_fraction = 1.5}), Error);
  // All-random batches (fraction 1) still never repeat.
  auto tuner = tuners::make_xgb_tuner(task, 1, {}, {}, {.explore_fraction = 1.0});
  std::set<std::string> seen;
  for (int round = 0; round < 5; ++round) {
    std::vector<TrialRecord> results;
    for (const Config& c : tuner->next_batch(16)) {
      EXPECT_TRUE(seen.insert(c.str()).second);
      results.push_back(synthetic_record(task, c));
    }
    tuner->update(results);
  }
  EXPECT_EQ(seen.size(), 80u);
}

}  // namespace
}  // namespace bitforge
