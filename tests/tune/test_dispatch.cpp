// Dispatch: the best config of a (key, target) is the successful record with the smallest
// min_s for exactly that key and Halide target string, among those measured on the thread
// count nearest the one asked for, this CPU's first; without one, the default config with a
// single warning.
// The shipped best-record files load cleanly.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <set>

#include "cli/cli_support.hpp"
#include "tune/dispatch.hpp"
#include "tune_test_support.hpp"

namespace bitforge {
namespace {

// The i-th of some distinct valid configs of the tiny task.
Config config_no(const TuningTask& t, int i) {
  static const std::vector<Config> configs = tune_test::distinct_configs(t.space, 16);
  return configs.at(static_cast<std::size_t>(i));
}

TrialRecord record(const TuningTask& t, int index, double min_s, TrialError error = TrialError::None) {
  TrialRecord r;
  r.key = workload_key(t.workload);
  r.target = t.target.name;
  r.halide = t.target.halide;
  r.config = config_no(t, index);
  r.error = error;
  if (error == TrialError::None) r.costs = {min_s, min_s * 1.1};
  r.min_s = error == TrialError::None ? min_s : 0;
  r.median_s = r.min_s;
  r.time = "2026-11-22T00:00:00Z";
  r.version = "0.1.0";
  return r;
}

TEST(TuneDispatch, PicksTheMinimumAmongMatchingSuccessfulRecords) {
  const TuningTask t = tune_test::tiny_task();
  std::vector<TrialRecord> recs{record(t, 1, 3e-5), record(t, 2, 1e-5), record(t, 3, 2e-5),
                                record(t, 4, 0, TrialError::WrongResult)};
  // Faster, but not applicable: another workload, the same ISA name on a Halide target
  // without VPOPCNTDQ, and a config the current space no longer accepts.
  TrialRecord other_key = record(t, 5, 1e-7);
  other_key.key = "conv2d_u1b1_mb1ic8ih6iw6oc16kh3kw3_nchw_oihw_i32";
  TrialRecord other_halide = record(t, 6, 1e-7);
  other_halide.halide = t.target.halide + "-no_vpopcntdq_variant";
  TrialRecord stale = record(t, 7, 1e-7);
  stale.config.set("tile_o", "3");
  recs.insert(recs.end(), {other_key, other_halide, stale});

  const auto best = best_record(recs, workload_key(t.workload), t.target, t.space);
  ASSERT_TRUE(best.has_value());
  EXPECT_EQ(best->config, config_no(t, 2));
  EXPECT_EQ(best->min_s, 1e-5);
  EXPECT_FALSE(best_record({recs[3]}, workload_key(t.workload), t.target, t.space).has_value());
}

TEST(TuneDispatch, PrefersRecordsMeasuredOnTheThreadsAskedFor) {
  const TuningTask t = tune_test::tiny_task();
  auto on = [&](int threads, int index, double min_s) {
    TrialRecord r = record(t, index, min_s);
    r.threads = threads;
    return r;
  };
  // The 4-thread trial is the fastest, but its time does not compare with the others'.
  const std::vector<TrialRecord> recs{on(1, 1, 3e-5), on(1, 2, 2e-5), on(2, 3, 2.5e-5), on(2, 4, 1.5e-5),
                                      on(4, 5, 1e-6)};
  const std::string key = workload_key(t.workload);
  auto picked = [&](const std::vector<TrialRecord>& from, int threads) {
    const auto best = best_record(from, key, t.target, t.space, threads);
    return best ? best->config : Config();
  };
  EXPECT_EQ(picked(recs, 1), config_no(t, 2));
  EXPECT_EQ(picked(recs, 2), config_no(t, 4));
  EXPECT_EQ(picked(recs, 4), config_no(t, 5));
  EXPECT_EQ(picked(recs, 8), config_no(t, 5));  // no 8-thread record: the nearest count
  // Equally near 1 and 3 threads: the fewer.
  EXPECT_EQ(picked({on(1, 6, 5e-5), on(3, 7, 1e-5)}, 2), config_no(t, 6));
  // Only one-thread records: still used for two threads.
  EXPECT_EQ(picked({recs[0], recs[1]}, 2), config_no(t, 2));
}

TEST(TuneDispatch, PrefersRecordsOfThisCpuOnTheSameThreads) {
  const TuningTask t = tune_test::tiny_task();
  const std::string here = "CPU A (family 25, model 1)", there = "CPU B (family 6, model 143)";
  auto on = [&](const std::string& cpu, int threads, int index, double min_s) {
    TrialRecord r = record(t, index, min_s);
    r.cpu = cpu;
    r.threads = threads;
    return r;
  };
  const std::string key = workload_key(t.workload);
  auto picked = [&](const std::vector<TrialRecord>& from, int threads, const std::string& cpu) {
    const auto best = best_record(from, key, t.target, t.space, threads, cpu);
    return best ? best->config : Config();
  };
  // The other CPU's trials are faster; this CPU's are what was measured here.
  const std::vector<TrialRecord> recs{on(here, 1, 1, 3e-5), on(here, 1, 2, 2e-5), on(there, 1, 3, 1e-5),
                                      on(there, 2, 4, 1e-6)};
  EXPECT_EQ(picked(recs, 1, here), config_no(t, 2));
  EXPECT_EQ(picked(recs, 1, there), config_no(t, 3));
  EXPECT_EQ(picked(recs, 1, "CPU C"), config_no(t, 3));  // no record of its own: the fastest
  // The thread count ranks first: on two threads the other CPU's two-thread record.
  EXPECT_EQ(picked(recs, 2, here), config_no(t, 4));
  // By default, this machine's CPU.
  const std::string mine = detect_cpu_features().cpu_name();
  EXPECT_EQ(best_record({on(mine, 1, 5, 4e-5), on(there, 1, 6, 1e-5)}, key, t.target, t.space)->config,
            config_no(t, 5));
}

TEST(TuneDispatch, AConfigFromFewerThreadsRunsItsRowsInParallel) {
  const TuningTask t = tune_test::tiny_task();
  Config serial = t.space.default_config();
  serial.set("parallel", "none");
  ASSERT_EQ(t.space.check(serial), "");
  Config rows = serial;
  rows.set("parallel", "pixels");
  EXPECT_EQ(adapt_to_threads(serial, t.space, 1, 2), rows);
  EXPECT_EQ(adapt_to_threads(serial, t.space, 2, 2), serial);  // tuned on these threads: as it is
  EXPECT_EQ(adapt_to_threads(serial, t.space, 2, 1), serial);
  Config channels = serial;
  channels.set("parallel", "channels");
  EXPECT_EQ(adapt_to_threads(channels, t.space, 1, 2), channels);  // already parallel
}

TEST(TuneDispatch, BestConfigReadsLogsAndFallsBackOnceWithAWarning) {
  const TuningTask t = tune_test::tiny_task();
  cli_test::TempDir dir;
  const std::string a = dir.file("a.jsonl"), b = dir.file("b.jsonl");
  cli_test::write_bytes(a, record_to_json_line(record(t, 10, 5e-5)) + "\nbroken line\n");
  cli_test::write_bytes(b, record_to_json_line(record(t, 11, 4e-5)) + "\n");
  ::testing::internal::CaptureStderr();
  const Dispatched d = best_config(t.workload, t.target, {a, b}, /*use_tophub=*/false);
  const std::string warned = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(d.config, config_no(t, 11));
  ASSERT_TRUE(d.record.has_value());
  EXPECT_EQ(warned, "bitforge: warning: " + a + ":2: not valid JSON (line skipped)\n");

  // An untuned workload: the default config, and the warning only the first time.
  const Workload untuned = parse_workload_key("conv2d_u1b1_mb1ic8ih5iw5oc8kh3kw3_nchw_oihw_i32");
  ::testing::internal::CaptureStderr();
  const Dispatched first = best_config(untuned, t.target, {b}, false);
  const Dispatched second = best_config(untuned, t.target, {b}, false);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(first.config, schedule_space(untuned, t.target).default_config());
  EXPECT_EQ(second.config, first.config);
  EXPECT_FALSE(first.record.has_value());
  EXPECT_EQ(cli_test::count_newlines(err), 1) << err;
  EXPECT_NE(err.find("no tuning record for conv2d_u1b1_mb1ic8ih5iw5oc8kh3kw3_nchw_oihw_i32"), std::string::npos) << err;
}

TEST(TuneDispatch, MissingTophubDirectoryMeansNoShippedRecords) {
  const TuningTask t = tune_test::tiny_task();
  ::setenv("BITFORGE_TOPHUB_DIR", "/nonexistent/bitforge/tophub", 1);
  EXPECT_EQ(tophub_dir(), "");
  EXPECT_TRUE(tophub_files().empty());
  ::testing::internal::CaptureStderr();
  const Dispatched d = best_config(t.workload, t.target, {}, true);
  ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(d.config, t.space.default_config());
  ::unsetenv("BITFORGE_TOPHUB_DIR");
}

// Every shipped record parses, names its CPU, applies to a workload key that parses, and
// names a config that is valid in that workload's space on its target.
TEST(TuneDispatch, ShippedRecordsAreWellFormed) {
  const std::string dir = std::string(BITFORGE_TEST_SOURCE_DIR) + "/data/tophub";
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".jsonl") files.push_back(e.path().string());
  ASSERT_FALSE(files.empty()) << "no tophub files in " << dir;
  for (const std::string& f : files) {
    const LoadedRecords loaded = load_records({f});
    EXPECT_TRUE(loaded.skipped.empty()) << loaded.skipped.front();
    EXPECT_FALSE(loaded.records.empty()) << f;
    const std::string text = cli_test::read_bytes(f);
    EXPECT_EQ(text.rfind("# ", 0), 0u) << f << " should open with a comment saying how it was tuned";
    std::set<std::string> keys;
    for (const TrialRecord& r : loaded.records) {
      EXPECT_TRUE(r.ok()) << f << ": " << r.key;
      // Tuning is per CPU: a shipped record says which one it was measured on.
      EXPECT_NE(r.cpu, "") << f << ": " << r.key;
      EXPECT_TRUE(keys.insert(fmt::format("{} {} {} {}", r.key, r.halide, r.threads, r.cpu)).second)
          << f << " has two records for " << r.key << " on " << r.threads << " thread(s) of " << r.cpu;
      const Workload wl = parse_workload_key(r.key);
      const CodegenTarget target = resolve_target(r.target);
      EXPECT_EQ(schedule_space(wl, target).check(r.config), "") << f << ": " << r.key;
    }
  }
}

}  // namespace
}  // namespace bitforge
