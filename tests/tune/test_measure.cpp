// Measurement isolation: a config that crashes (a signal), hangs past the timeout or
// computes a wrong result costs one failed trial, recorded with its kind, and the
// configs after it are still measured; a good config gets robust timings. The failures
// are injected through MeasureOptions' seams, which run inside the real worker process.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <set>

#include "cli/cli_support.hpp"
#include "tune/tuning_session.hpp"
#include "tune_test_support.hpp"

namespace bitforge {
namespace {

using tune_test::quick_measure;
using tune_test::tiny_task;

// Distinct valid configs of the tiny task, the default first.
std::vector<Config> some_configs(const TuningTask& task, int n) {
  std::vector<Config> out{task.space.default_config()};
  for (const Config& c : tune_test::distinct_configs(task.space, n))
    if (static_cast<int>(out.size()) < n && c != out[0]) out.push_back(c);
  return out;
}

// Injects the failures by config: SIGSEGV before compiling, a sleep far past the
// timeout, or one output element off by one.
void inject(MeasureOptions& m, const Config& crash, const Config& hang, const Config& wrong) {
  m.before_trial = [=](const Config& c) {
    if (c == crash) ::raise(SIGSEGV);
    if (c == hang) ::sleep(600);
  };
  m.after_first_run = [=](const Config& c, Tensor& out) {
    if (c == wrong) out.data<std::int32_t>()[0] += 1;
  };
}

void expect_measured(const TrialRecord& r, int min_repeats) {
  EXPECT_TRUE(r.ok()) << trial_error_name(r.error) << ": " << r.detail;
  EXPECT_GE(static_cast<int>(r.costs.size()), min_repeats);
  EXPECT_GT(r.min_s, 0);
  EXPECT_LE(r.min_s, r.median_s);
  EXPECT_GE(r.spread, 0);
  EXPECT_EQ(r.min_s, *std::min_element(r.costs.begin(), r.costs.end()));
}

TEST(TuneMeasure, CrashHangAndWrongResultAreFailedTrialsAndMeasuringGoesOn) {
  const TuningTask task = tiny_task();
  std::vector<Config> configs = some_configs(task, 5);  // ok, crash, hang, wrong, ok
  Config invalid = configs[0];
  invalid.set("tile_o", "3");  // not an allowed value
  configs.push_back(invalid);
  MeasureOptions m = quick_measure();
  m.min_repeats = 3;
  m.timeout_seconds = 6;
  inject(m, configs[1], configs[2], configs[3]);

  std::vector<std::string> reported;
  const std::vector<TrialRecord> recs =
      measure_trials(task, configs, m, [&](const TrialRecord& r) { reported.push_back(r.config.str()); });
  ASSERT_EQ(recs.size(), configs.size());
  for (std::size_t i = 0; i < recs.size(); ++i) {
    EXPECT_EQ(recs[i].config, configs[i]);
    EXPECT_EQ(recs[i].key, tune_test::kTinyKey);
    EXPECT_EQ(recs[i].halide, task.target.halide);
  }
  expect_measured(recs[0], 3);
  EXPECT_EQ(recs[1].error, TrialError::Crash);
  EXPECT_EQ(recs[1].detail.rfind("SIGSEGV", 0), 0u) << recs[1].detail;
  EXPECT_EQ(recs[2].error, TrialError::Timeout);
  EXPECT_EQ(recs[3].error, TrialError::WrongResult);
  EXPECT_NE(recs[3].detail.find("element 0"), std::string::npos) << recs[3].detail;
  expect_measured(recs[4], 3);
  EXPECT_EQ(recs[5].error, TrialError::Invalid);
  EXPECT_NE(recs[5].detail.find("tile_o"), std::string::npos) << recs[5].detail;
  for (std::size_t i = 1; i < 4; ++i) EXPECT_TRUE(recs[i].costs.empty());
  // Every trial was reported once, as it ended (the invalid one first: it is not run).
  ASSERT_EQ(reported.size(), configs.size());
  EXPECT_EQ(reported[0], invalid.str());
  EXPECT_EQ(std::set<std::string>(reported.begin(), reported.end()).size(), configs.size());
}

TEST(TuneMeasure, SessionRecordsFailuresInTheLogAndReachesItsTrialCount) {
  const TuningTask task = tiny_task();
  // A session measures the space's default config first; the grid tuner's order is fixed
  // by the space (and skips what the history holds), so the proposals are known in advance.
  TrialRecord first;
  first.config = task.space.default_config();
  std::vector<Config> order = {first.config};
  for (const Config& c : make_tuner("grid", task, 0, {first}, {})->next_batch(7)) order.push_back(c);
  ASSERT_EQ(order.size(), 8u);
  cli_test::TempDir dir;
  SessionOptions s;
  s.tuner = "grid";
  s.trials = 8;
  s.batch = 4;
  s.log = dir.file("log.jsonl");
  s.measure = quick_measure();
  s.measure.timeout_seconds = 6;
  inject(s.measure, order[1], order[4], order[6]);

  const auto summaries = run_tuning_session({{"tiny", task.workload}}, task.target, s);
  ASSERT_EQ(summaries.size(), 1u);
  EXPECT_EQ(summaries[0].measured, 8);
  EXPECT_EQ(summaries[0].failed, 3);
  ASSERT_TRUE(summaries[0].best.has_value());
  EXPECT_TRUE(summaries[0].best->ok());

  const LoadedRecords log = load_records({s.log});
  EXPECT_TRUE(log.skipped.empty());
  ASSERT_EQ(log.records.size(), 8u);
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(log.records[i].config, order[i]) << "trial " << i;
    const TrialError want = i == 1 ? TrialError::Crash : i == 4 ? TrialError::Timeout
                            : i == 6 ? TrialError::WrongResult : TrialError::None;
    EXPECT_EQ(log.records[i].error, want) << "trial " << i << ": " << log.records[i].detail;
  }
}

}  // namespace
}  // namespace bitforge
