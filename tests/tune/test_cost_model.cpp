// The config features and the XGBoost cost model, on the synthetic cost of
// xgb_synthetic.hpp (no kernel is compiled).
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <set>

#include "core/error.hpp"
#include "test_util.hpp"
#include "tune/xgb_synthetic.hpp"

namespace bitforge {
namespace {

using testing::kendall_tau;
using testing::synthetic_seconds;

// `n` distinct random valid configs of a space.
std::vector<Config> distinct_configs(const ScheduleSpace& space, std::uint64_t seed, std::size_t n) {
  testing::Rng rng(seed);
  std::set<std::string> seen;
  std::vector<Config> out;
  while (out.size() < n) {
    Config c = space.sample([&] { return rng.next(); });
    if (seen.insert(c.str()).second) out.push_back(std::move(c));
  }
  return out;
}

TEST(ConfigFeatures, FixedLengthPerOperatorFamily) {
  const CodegenTarget target = testing::avx512_target();
  std::set<std::size_t> lengths;
  for (const SuiteEntry& e : testing::resnet18_w1a2()) {
    const ScheduleSpace space = schedule_space(e.workload, target);
    for (const Config& c : distinct_configs(space, 7, 40))
      lengths.insert(config_features(e.workload, target, space, c).size());
  }
  EXPECT_EQ(lengths.size(), 1u) << "every resnet18 layer's rows must have one length";
  // Other bit widths of the same family: the same layout.
  for (const SuiteEntry& e : load_suite("resnet18", OperandType::parse("u1"), OperandType::parse("b2"))) {
    const ScheduleSpace space = schedule_space(e.workload, target);
    EXPECT_EQ(config_features(e.workload, target, space, space.default_config()).size(), *lengths.begin());
  }
  // The baseline family has other knobs, hence another (still fixed) length.
  std::set<std::size_t> baseline;
  for (const SuiteEntry& e : load_suite("resnet18", OperandType::parse("u8"), OperandType::parse("s8"))) {
    const ScheduleSpace space = schedule_space(e.workload, target);
    for (const Config& c : distinct_configs(space, 9, 10))
      baseline.insert(config_features(e.workload, target, space, c).size());
  }
  EXPECT_EQ(baseline.size(), 1u);
  EXPECT_NE(*baseline.begin(), *lengths.begin());
}

TEST(ConfigFeatures, DistinctConfigsGiveDistinctRows) {
  const CodegenTarget target = testing::avx512_target();
  const Workload wl = testing::resnet18_w1a2().front().workload;
  const ScheduleSpace space = schedule_space(wl, target);
  std::set<std::vector<float>> rows;
  const std::vector<Config> configs = distinct_configs(space, 11, 600);
  for (const Config& c : configs) {
    const std::vector<float> f = config_features(wl, target, space, c);
    for (float x : f) ASSERT_TRUE(std::isfinite(x)) << c.str();
    rows.insert(f);
  }
  EXPECT_EQ(rows.size(), configs.size());
  // The same config twice: the same row.
  EXPECT_EQ(config_features(wl, target, space, configs[0]), config_features(wl, target, space, configs[0]));
}

// Trains on 240 random configs of one layer, ranks 120 held-out ones.
struct HeldOut {
  std::vector<std::vector<float>> train_x, test_x;
  std::vector<double> train_s, test_s;
};

HeldOut held_out_split(std::uint64_t seed) {
  const CodegenTarget target = testing::avx512_target();
  const Workload wl = testing::resnet18_w1a2().front().workload;  // C2
  const ScheduleSpace space = schedule_space(wl, target);
  HeldOut h;
  const std::vector<Config> configs = distinct_configs(space, seed, 360);
  for (std::size_t i = 0; i < configs.size(); ++i) {
    auto& x = i < 240 ? h.train_x : h.test_x;
    auto& s = i < 240 ? h.train_s : h.test_s;
    x.push_back(config_features(wl, target, space, configs[i]));
    s.push_back(synthetic_seconds(wl, configs[i]));
  }
  return h;
}

// Kendall tau between the model's score and speed (-seconds) on held-out rows.
double held_out_tau(const CostModel& m, const HeldOut& h) {
  const std::vector<float> score = m.score(h.test_x);
  std::vector<double> speed, sc(score.begin(), score.end());
  for (double s : h.test_s) speed.push_back(-s);
  return kendall_tau(sc, speed);
}

TEST(CostModel, LearnsTheRankingOfASyntheticCostAndAShuffledOneDoesNot) {
  for (std::uint64_t seed : {1, 2}) {
    const HeldOut h = held_out_split(seed);
    CostModel m;
    EXPECT_FALSE(m.trained());
    m.fit(h.train_x, h.train_s, std::vector<int>(h.train_s.size(), 0));
    EXPECT_TRUE(m.trained());
    const double tau = held_out_tau(m, h);
    EXPECT_GT(tau, 0.6) << "seed " << seed;

    // The same rows with their costs shuffled: nothing to learn, no ranking power.
    std::vector<double> shuffled = h.train_s;
    testing::Rng rng(seed);
    for (std::size_t i = shuffled.size() - 1; i > 0; --i) std::swap(shuffled[i], shuffled[rng.next() % (i + 1)]);
    CostModel baseline;
    baseline.fit(h.train_x, shuffled, std::vector<int>(shuffled.size(), 0));
    const double tau0 = held_out_tau(baseline, h);
    EXPECT_LT(std::abs(tau0), 0.25) << "seed " << seed;
    std::printf("seed %llu: held-out Kendall tau %.3f (shuffled costs: %.3f)\n",
                static_cast<unsigned long long>(seed), tau, tau0);
  }
}

TEST(CostModel, RanksWithinGroupsWhateverTheScaleBetweenThem) {
  // Two copies of the training rows, one 1000x slower, as two groups: the ranking within
  // each is what counts, so the held-out ranking stays as good as with one group.
  const HeldOut h = held_out_split(3);
  std::vector<std::vector<float>> x = h.train_x;
  std::vector<double> s = h.train_s;
  std::vector<int> g(s.size(), 0);
  for (std::size_t i = 0; i < h.train_x.size(); ++i) {
    std::vector<float> row = h.train_x[i];
    row.back() += 10;  // another "workload": its MAC count descriptor differs
    x.push_back(row);
    s.push_back(h.train_s[i] * 1000);
    g.push_back(1);
  }
  CostModel m;
  m.fit(x, s, g);
  EXPECT_GT(held_out_tau(m, h), 0.6);
}

// The column of a choice knob's value in a feature row (knobs come first, in space order:
// a numeric knob takes one column, a choice knob one per value).
std::size_t one_hot_column(const ScheduleSpace& space, const std::string& knob, const std::string& value) {
  std::size_t col = 0;
  for (const Knob& k : space.knobs()) {
    if (k.name == knob) return col + static_cast<std::size_t>(std::find(k.values.begin(), k.values.end(), value) -
                                                               k.values.begin());
    col += k.numeric ? 1 : k.values.size();
  }
  throw Error("no knob " + knob);
}

TEST(CostModel, FailedTrialsRankBelowEveryMeasuredOne) {
  // Rows whose cost is infinite (failed trials) are learned as the slowest: configs like
  // them score below the measured ones.
  const HeldOut h = held_out_split(4);
  std::vector<double> s = h.train_s;
  const Workload wl = testing::resnet18_w1a2().front().workload;
  const std::size_t failing_column =  // configs packing u8 words "fail"
      one_hot_column(schedule_space(wl, testing::avx512_target()), "word", "u8");
  for (std::size_t i = 0; i < s.size(); ++i)
    if (h.train_x[i][failing_column] == 1.0f) s[i] = std::numeric_limits<double>::infinity();
  CostModel m;
  m.fit(h.train_x, s, std::vector<int>(s.size(), 0));
  const std::vector<float> score = m.score(h.test_x);
  float worst_ok = std::numeric_limits<float>::max(), best_failing = std::numeric_limits<float>::lowest();
  int failing = 0;
  double mean_ok = 0, mean_failing = 0;
  for (std::size_t i = 0; i < score.size(); ++i) {
    if (h.test_x[i][failing_column] == 1.0f) {
      best_failing = std::max(best_failing, score[i]);
      mean_failing += score[i];
      ++failing;
    } else {
      worst_ok = std::min(worst_ok, score[i]);
      mean_ok += score[i];
    }
  }
  ASSERT_GT(failing, 5);
  mean_failing /= failing;
  mean_ok /= static_cast<double>(score.size() - failing);
  EXPECT_LT(mean_failing, mean_ok);
  // Most failing-like configs rank in the bottom quarter.
  std::vector<float> sorted = score;
  std::sort(sorted.begin(), sorted.end());
  const float q1 = sorted[sorted.size() / 4];
  int low = 0;
  for (std::size_t i = 0; i < score.size(); ++i) low += h.test_x[i][failing_column] == 1.0f && score[i] <= q1;
  EXPECT_GE(low, failing * 3 / 4);
}

TEST(CostModel, IsDeterministicAndRefusesBadInput) {
  const HeldOut h = held_out_split(5);
  CostModel a, b;
  EXPECT_THROW(a.score(h.test_x), Error);
  a.fit(h.train_x, h.train_s, std::vector<int>(h.train_s.size(), 0));
  b.fit(h.train_x, h.train_s, std::vector<int>(h.train_s.size(), 0));
  EXPECT_EQ(a.score(h.test_x), b.score(h.test_x));
  EXPECT_THROW(a.fit(h.train_x, {1.0}, {0}), Error);
  EXPECT_THROW(a.fit({}, {}, {}), Error);
  std::vector<std::vector<float>> ragged = {{1, 2}, {1, 2, 3}};
  EXPECT_THROW(a.fit(ragged, {1, 2}, {0, 0}), Error);
  EXPECT_THROW(a.score({{1, 2}}), Error);  // wrong number of features
  // XGBoost's own refusals become Errors carrying its message (it refuses infinite inputs).
  std::vector<std::vector<float>> with_inf = h.train_x;
  with_inf[3][0] = std::numeric_limits<float>::infinity();
  try {
    a.fit(with_inf, h.train_s, std::vector<int>(h.train_s.size(), 0));
    ADD_FAILURE() << "XGBoost accepted an infinite feature";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("XGBoost"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("inf"), std::string::npos) << e.what();
  }
  // Refitting replaces the model.
  a.fit(h.train_x, h.train_s, std::vector<int>(h.train_s.size(), 0));
  EXPECT_EQ(a.score(h.test_x), b.score(h.test_x));
}

}  // namespace
}  // namespace bitforge
