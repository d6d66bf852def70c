// Search strategies: every proposal is a valid config of the space, none is proposed
// twice or taken from the history, and on a small space each strategy ends up proposing
// every valid config exactly once and then nothing.
#include <gtest/gtest.h>

#include <set>

#include "core/error.hpp"
#include "tune_test_support.hpp"

namespace bitforge {
namespace {

// 4 x 3 x 5 = 60 raw configs, of which those with a * b > 8 are invalid.
ScheduleSpace small_space() {
  std::vector<Knob> knobs{int_knob("a", {1, 2, 4, 8}, "a"), choice_knob("mode", {"x", "y", "z"}, "mode"),
                          int_knob("b", {1, 2, 3, 4, 5}, "b")};
  auto rule = [](const Config& c) {
    return c.get_int("a") * c.get_int("b") > 8 ? std::string("a * b must be at most 8") : std::string();
  };
  return ScheduleSpace("small", knobs, rule, Config({{"a", "1"}, {"mode", "x"}, {"b", "1"}}));
}

TuningTask small_task() {
  TuningTask t = tune_test::tiny_task();
  t.space = small_space();
  return t;
}

// A made-up cost for the genetic tuner to learn from; every 7th config "fails".
TrialRecord fake_result(const Config& c) {
  TrialRecord r;
  r.config = c;
  const std::size_t h = std::hash<std::string>{}(c.str());
  if (h % 7 == 0) {
    r.error = TrialError::Crash;
    return r;
  }
  const std::int64_t a = c.values().count("a") ? c.get_int("a") : 0;
  r.min_s = r.median_s = 1e-3 * static_cast<double>(a + static_cast<std::int64_t>(h % 5) + 1);
  r.costs = {r.min_s};
  return r;
}

std::vector<TrialRecord> history_of(const ScheduleSpace& space, std::initializer_list<std::uint64_t> indices) {
  std::vector<TrialRecord> h;
  for (std::uint64_t i : indices) h.push_back(fake_result(space.at(i)));
  return h;
}

class EveryTuner : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryTuner, ProposesEachValidConfigOnceSkippingTheHistory) {
  const TuningTask task = small_task();
  const std::uint64_t size = task.space.size();
  ASSERT_EQ(size, 60u - 3 * (1 + 3 + 4));  // invalid per mode: a=2,b=5; a=4,b=3..5; a=8,b=2..5
  const auto history = history_of(task.space, {0, 5, 17});
  auto tuner = make_tuner(GetParam(), task, 7, history, {});
  std::set<Config> seen;
  for (const TrialRecord& r : history) seen.insert(r.config);
  int rounds = 0;
  while (true) {
    const std::vector<Config> batch = tuner->next_batch(5);
    if (batch.empty()) break;
    ASSERT_LE(batch.size(), 5u);
    std::vector<TrialRecord> results;
    for (const Config& c : batch) {
      EXPECT_EQ(task.space.check(c), "") << c.str();
      EXPECT_TRUE(seen.insert(c).second) << GetParam() << " proposed " << c.str() << " again";
      results.push_back(fake_result(c));
    }
    tuner->update(results);
    ASSERT_LT(++rounds, 100) << "never exhausted";
  }
  EXPECT_EQ(seen.size(), size);
  EXPECT_TRUE(tuner->next_batch(3).empty());
}

class SamplingTuner : public ::testing::TestWithParam<std::string> {};

TEST_P(SamplingTuner, ProposalsOnARealSpaceAreValidAndNew) {
  const TuningTask task = tune_test::tiny_task();
  std::vector<TrialRecord> history;
  for (const Config& c : tune_test::distinct_configs(task.space, 30)) history.push_back(fake_result(c));
  auto tuner = make_tuner(GetParam(), task, 11, history, {});
  std::set<Config> seen;
  for (const TrialRecord& r : history) seen.insert(r.config);
  for (int round = 0; round < 12; ++round) {
    const std::vector<Config> batch = tuner->next_batch(16);
    ASSERT_EQ(batch.size(), 16u);
    std::vector<TrialRecord> results;
    for (const Config& c : batch) {
      EXPECT_EQ(task.space.check(c), "") << c.str();
      EXPECT_TRUE(seen.insert(c).second) << c.str();
      results.push_back(fake_result(c));
    }
    tuner->update(results);
  }
}

INSTANTIATE_TEST_SUITE_P(Tuners, EveryTuner, ::testing::Values("random", "grid", "ga"));
// The grid tuner is left out here: its walk indexes the space, which enumerates every raw
// config first (seconds); GridSpreadsItsFirstProposalsOverTheSpace runs it on this space.
INSTANTIATE_TEST_SUITE_P(Tuners, SamplingTuner, ::testing::Values("random", "ga"));

TEST(TuneTuners, SameSeedSameProposals) {
  const TuningTask task = tune_test::tiny_task();
  for (const char* name : {"random", "ga"}) {
    auto a = make_tuner(name, task, 3, {}, {}), b = make_tuner(name, task, 3, {}, {}), c = make_tuner(name, task, 4, {}, {});
    const auto ba = a->next_batch(8), bb = b->next_batch(8), bc = c->next_batch(8);
    EXPECT_EQ(ba, bb) << name;
    EXPECT_NE(ba, bc) << name;
  }
}

TEST(TuneTuners, GridSpreadsItsFirstProposalsOverTheSpace) {
  const TuningTask task = tune_test::tiny_task();
  const std::uint64_t size = task.space.size();
  const auto first = make_tuner("grid", task, 0, {}, {})->next_batch(8);
  std::set<std::uint64_t> quarters;
  for (const Config& c : first) quarters.insert(task.space.index_of(c) * 4 / size);
  EXPECT_EQ(quarters.size(), 4u) << "8 grid proposals should touch every quarter of the index range";
}

TEST(TuneTuners, UnknownTunerIsRefusedNamingTheAllowedOnes) {
  try {
    make_tuner("annealing", tune_test::tiny_task(), 0, {}, {});
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown tuner 'annealing' (allowed: "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("random"), std::string::npos);
  }
  const auto names = tuner_names();
  for (const char* n : {"ga", "random", "grid"}) EXPECT_NE(std::find(names.begin(), names.end(), n), names.end());
}

}  // namespace
}  // namespace bitforge
