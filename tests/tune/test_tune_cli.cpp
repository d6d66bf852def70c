// `bitforge tune` as users run it: resuming a log after the tuner was SIGKILLed mid-run,
// extending a finished run (--trials 32 then 48 measures 16 more; trials on another thread
// count or CPU are not counted), refusals, and
// `conv2d --config best --log`.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "cli/cli_support.hpp"
#include "core/npy.hpp"
#include "ops/reference/reference.hpp"
#include "tune/dispatch.hpp"
#include "tune/records.hpp"
#include "test_util.hpp"
#include "tune_test_support.hpp"

extern char** environ;

namespace bitforge {
namespace {

using cli_test::run_bitforge;
using tune_test::kTinyKey;

std::vector<std::string> tune_args(const std::string& log, int trials, const std::string& tuner = "random") {
  return {"tune", "--key", kTinyKey, "--trials", std::to_string(trials), "--tuner", tuner, "--log", log,
          "--batch", "8", "--min-seconds", "0.001", "--min-repeats", "1"};
}

std::size_t count_lines(const std::string& path) {
  if (!std::filesystem::exists(path)) return 0;
  return static_cast<std::size_t>(cli_test::count_newlines(cli_test::read_bytes(path)));
}

// The log's records, asserting that every line parses and no config was measured twice.
std::vector<TrialRecord> checked_log(const std::string& path) {
  const LoadedRecords loaded = load_records({path});
  EXPECT_TRUE(loaded.skipped.empty()) << loaded.skipped.front();
  std::set<Config> configs;
  for (const TrialRecord& r : loaded.records) {
    EXPECT_EQ(r.key, kTinyKey);
    EXPECT_TRUE(configs.insert(r.config).second) << "measured twice: " << r.config.str();
  }
  return loaded.records;
}

TEST(TuneCli, ResumesAfterSigkillWithoutMeasuringAnythingTwice) {
  cli_test::TempDir dir;
  const std::string log = dir.file("t.jsonl");
  std::vector<std::string> storage{cli_test::bitforge_binary()};
  for (const std::string& a : tune_args(log, 14)) storage.push_back(a);
  std::vector<char*> argv;
  for (std::string& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::freopen("/dev/null", "w", stdout);
    ::execve(argv[0], argv.data(), environ);
    ::_exit(127);
  }
  // Kill it once a few trials are in the log, i.e. in the middle of a batch or a trial.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (count_lines(log) < 5 && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the tuner finished before it could be killed";
  const std::size_t before = checked_log(log).size();
  ASSERT_GE(before, 5u);
  ASSERT_LT(before, 14u);

  const auto r = run_bitforge(tune_args(log, 14));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(fmt::format("trials 14 (new {},", 14 - before)), std::string::npos) << r.out;
  EXPECT_EQ(checked_log(log).size(), 14u);
}

TEST(TuneCli, MoreTrialsOnTheSameLogMeasuresOnlyTheDifference) {
  cli_test::TempDir dir;
  const std::string log = dir.file("t.jsonl");
  const auto first = run_bitforge(tune_args(log, 32, "ga"));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("trials 32 (new 32,"), std::string::npos) << first.out;
  EXPECT_EQ(first.err, "") << "stderr is not a terminal: no progress bar";
  EXPECT_EQ(checked_log(log).size(), 32u);

  const auto second = run_bitforge(tune_args(log, 48, "ga"));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("trials 48 (new 16,"), std::string::npos) << second.out;
  EXPECT_EQ(checked_log(log).size(), 48u);

  // Nothing left to do: nothing measured.
  const auto third = run_bitforge(tune_args(log, 40, "ga"));
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_NE(third.out.find("trials 48 (new 0,"), std::string::npos) << third.out;
  EXPECT_EQ(count_lines(log), 48u);
}

// A config's speed depends on the threads it runs on: trials measured on another thread
// count do not count towards this run's, but the best of them is among the first measured:
// adapted to these threads, as a run on them would use it without a record of its own, and
// as recorded (a serial kernel may beat the parallel one on a small layer).
TEST(TuneCli, TrialsOnAnotherThreadCountAreNotThisRunsTrials) {
  cli_test::TempDir dir;
  const std::string log = dir.file("t.jsonl");
  const auto one = run_bitforge(tune_args(log, 8));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  // A serial one-thread best that no trial above measured, so that its adapted and its
  // recorded form differ and neither is a coincidence of the tuner's own proposals.
  const TuningTask t = tune_test::tiny_task();
  Config serial = t.space.default_config();
  serial.set("parallel", "none");
  serial.set("unroll_window", serial.get("unroll_window") == "0" ? "1" : "0");
  ASSERT_EQ(t.space.check(serial), "");
  const Config adapted = adapt_to_threads(serial, t.space, 1, 2);
  ASSERT_NE(adapted, serial);
  {
    TrialRecord best = load_records({log}).records.front();
    best.config = serial;
    best.costs = {1e-9};
    best.min_s = best.median_s = 1e-9;
    RecordLog(log).append(best);
  }
  std::vector<std::string> two_threads = tune_args(log, 8);
  two_threads.insert(two_threads.end(), {"--threads", "2"});
  const auto two = run_bitforge(two_threads);
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_NE(two.out.find("trials 8 (new 8,"), std::string::npos) << two.out;
  const LoadedRecords loaded = load_records({log});
  ASSERT_EQ(loaded.records.size(), 17u);
  for (std::size_t i = 0; i < 17; ++i) EXPECT_EQ(loaded.records[i].threads, i < 9 ? 1 : 2) << i;
  // The first two-thread trials: the default config, then the one-thread best adapted and
  // as recorded.
  for (const Config& start : {adapted, serial})
    EXPECT_TRUE(std::any_of(loaded.records.begin() + 9, loaded.records.begin() + 12,
                            [&](const TrialRecord& r) { return r.config == start; }))
        << "the one-thread best is among the first two-thread trials: " << start.str();
}

// Tuning is per CPU: a log's trials from another CPU neither count towards this run's
// trials nor teach its tuner, but their best config is among this run's first trials.
TEST(TuneCli, TrialsOnAnotherCpuAreNotThisRunsTrialsButTheirBestIsTriedFirst) {
  cli_test::TempDir dir;
  const std::string log = dir.file("t.jsonl");
  const auto first = run_bitforge(tune_args(log, 8));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::vector<TrialRecord> measured = load_records({log}).records;
  ASSERT_EQ(measured.size(), 8u);
  EXPECT_EQ(measured.front().cpu, detect_cpu_features().cpu_name());
  // The same trials as if measured on another CPU, and a best there that none of them is.
  const TuningTask t = tune_test::tiny_task();
  std::optional<Config> unmeasured;
  for (const Config& c : tune_test::distinct_configs(t.space, 16))
    if (std::none_of(measured.begin(), measured.end(), [&](const TrialRecord& r) { return r.config == c; }))
      unmeasured = c;
  ASSERT_TRUE(unmeasured.has_value());
  std::filesystem::remove(log);
  {
    RecordLog other(log);
    for (TrialRecord r : measured) {
      r.cpu = "Another CPU (family 0, model 0)";
      other.append(r);
    }
    TrialRecord best = measured.front();
    best.cpu = "Another CPU (family 0, model 0)";
    best.config = *unmeasured;
    best.costs = {1e-9};
    best.min_s = best.median_s = 1e-9;
    other.append(best);
  }
  const auto second = run_bitforge(tune_args(log, 8));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("trials 8 (new 8,"), std::string::npos) << second.out;
  const LoadedRecords loaded = load_records({log});
  ASSERT_EQ(loaded.records.size(), 17u);
  for (std::size_t i = 9; i < 17; ++i) EXPECT_EQ(loaded.records[i].cpu, detect_cpu_features().cpu_name()) << i;
  // The first trials: the default config, then the other CPU's best.
  EXPECT_TRUE(std::any_of(loaded.records.begin() + 9, loaded.records.begin() + 12,
                          [&](const TrialRecord& r) { return r.config == *unmeasured; }))
      << "the other CPU's best is among this CPU's first trials: " << unmeasured->str();
}

TEST(TuneCli, EarlyStopEndsAWorkloadAfterNTrialsWithoutImprovement) {
  cli_test::TempDir dir;
  const std::string log = dir.file("t.jsonl");
  std::vector<std::string> args = tune_args(log, 60);
  args.insert(args.end(), {"--early-stop", "3"});
  const auto r = run_bitforge(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<TrialRecord> recs = checked_log(log);
  // Replay the log: the run must end exactly when 3 trials in a row brought no new best.
  double best = 0;
  int since_best = 0;
  std::size_t stopped_at = recs.size();
  for (std::size_t i = 0; i < recs.size(); ++i) {
    if (recs[i].ok() && (best == 0 || recs[i].min_s < best)) {
      best = recs[i].min_s;
      since_best = 0;
    } else if (++since_best == 3) {
      stopped_at = i + 1;
      break;
    }
  }
  EXPECT_EQ(recs.size(), stopped_at);
  EXPECT_LT(recs.size(), 60u);
  EXPECT_NE(r.out.find(fmt::format("trials {} (new {}, failed 0, stop early-stop)", recs.size(), recs.size())),
            std::string::npos)
      << r.out;
}

TEST(TuneCli, RefusalsAreOneLineAndExitCode2) {
  cli_test::TempDir dir;
  const std::string log = dir.file("t.jsonl");
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases{
      {{"tune", "--key", kTinyKey, "--trials", "4", "--tuner", "annealing", "--log", log}, "unknown tuner 'annealing' (allowed: "},
      {{"tune", "--key", kTinyKey, "--trials", "4", "--log", dir.file("missing/t.jsonl")}, "does not exist"},
      {{"tune", "--key", "conv2d_u1b1_bogus", "--trials", "4", "--log", log}, "conv2d_u1b1_bogus"},
      {{"tune", "--trials", "4", "--log", log}, "give exactly one of --key KEY or --suite NAME"},
      {{"tune", "--key", kTinyKey, "--act", "u2", "--trials", "4", "--log", log}, "--key excludes --act"},
      {{"tune", "--key", kTinyKey, "--trials", "0", "--log", log}, "--trials 0 is out of range"},
      {{"tune", "--suite", "resnet18", "--names", "C99", "--trials", "4", "--log", log}, "no workload 'C99'"},
      {{"tune", "--key", kTinyKey, "--trials", "4", "--log", log, "--target", "arm-64-linux"}, "cannot run on this machine"},
      {{"tune", "--key", kTinyKey, "--trials", "4", "--log", log, "--fix", "tile_o"}, "--fix 'tile_o' is not knob=value"},
      {{"tune", "--key", kTinyKey, "--trials", "4", "--log", log, "--fix", "tile_o=3"}, "knob 'tile_o' of bit-serial conv2d has no value '3' (allowed: "},
      {{"tune", "--key", kTinyKey, "--trials", "4", "--log", log, "--fix", "colour=red"}, "unknown knob 'colour'"},
      {{"conv2d", "--input", "x.npy", "--weight", "w.npy", "--act", "u1", "--wgt", "b1", "--out", "y.npy", "--log", log}, "--log is read by --config best only"},
  };
  for (const Case& c : cases) {
    const auto r = run_bitforge(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.message << "\n" << r.err;
    EXPECT_EQ(cli_test::count_newlines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(log)) << "a refused run must not create the log";
}

TEST(TuneCli, FixedKnobsHoldInEveryTrialAndOnlyMatchingTrialsCount) {
  cli_test::TempDir dir;
  const std::string log = dir.file("t.jsonl");
  ASSERT_EQ(run_bitforge(tune_args(log, 3)).exit_code, 0);  // unrestricted trials first
  std::vector<std::string> args = tune_args(log, 3);
  for (const char* a : {"--fix", "unroll_planes=1,split_words=1"}) args.push_back(a);
  const auto r = run_bitforge(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const LoadedRecords loaded = load_records({log});
  int matching = 0;
  for (std::size_t i = 0; i < loaded.records.size(); ++i) {
    const Config& c = loaded.records[i].config;
    const bool fixed = c.get("unroll_planes") == "1" && c.get("split_words") == "1";
    if (i >= 3) {
      EXPECT_TRUE(fixed) << "trial " << i << " broke --fix: " << c.str();
    }
    matching += fixed;
  }
  // The run measured until three trials had the fixed values, earlier ones included.
  EXPECT_EQ(matching, 3) << loaded.records.size() << " trials in the log";
}

TEST(TuneCli, Conv2dConfigBestUsesTheLogAndComputesTheReferenceResult) {
  cli_test::TempDir dir;
  const std::string log = dir.file("t.jsonl");
  const auto tuned = run_bitforge(tune_args(log, 4));
  ASSERT_EQ(tuned.exit_code, 0) << tuned.err;

  const Conv2d wl = parse_conv2d_key(kTinyKey);
  bitforge::testing::Rng rng(5);
  const Tensor x = bitforge::testing::random_levels(rng, wl.act.encoding(), wl.input_shape(), DType::i8);
  const Tensor w = bitforge::testing::random_levels(rng, wl.wgt.encoding(), wl.weight_shape(), DType::i8);
  npy_write(dir.file("x.npy"), x);
  npy_write(dir.file("w.npy"), w);
  const std::vector<std::string> args{"conv2d", "--input", dir.file("x.npy"), "--weight", dir.file("w.npy"), "--act", "u1",
                                      "--wgt", "b1", "--pad", "0", "--out", dir.file("y.npy"), "--config", "best"};
  std::vector<std::string> with_log = args;
  with_log.insert(with_log.end(), {"--log", log});
  const auto r = run_bitforge(with_log);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "") << "a tuned workload needs no fallback warning";
  EXPECT_TRUE(bitforge::testing::tensors_equal(npy_read(dir.file("y.npy")), reference::conv2d(wl, x, w)));

  // Not in the given log nor the shipped files: the default config, with one warning.
  const auto fallback = run_bitforge(args);
  ASSERT_EQ(fallback.exit_code, 0) << fallback.err;
  EXPECT_EQ(cli_test::count_newlines(fallback.err), 1) << fallback.err;
  EXPECT_NE(fallback.err.find("no tuning record for " + kTinyKey), std::string::npos) << fallback.err;
  EXPECT_TRUE(bitforge::testing::tensors_equal(npy_read(dir.file("y.npy")), reference::conv2d(wl, x, w)));
}

}  // namespace
}  // namespace bitforge

namespace bitforge {
namespace {

// Without --log, --config best reads the shipped files: on a machine whose host target
// they were tuned for (AVX-512 with VPOPCNTDQ, or AVX2 under BITFORGE_MAX_ISA=avx2) the
// resnet18 C3 layer is dispatched silently, elsewhere it falls back with the warning.
TEST(TuneCli, Conv2dConfigBestUsesTheShippedRecords) {
  const std::string key = "conv2d_u1b1_mb1ic64ih56iw56oc64kh1kw1_nchw_oihw_i32";
  const Conv2d wl = parse_conv2d_key(key);
  const CodegenTarget host = resolve_target("host");
  const bool shipped =
      best_record(load_records(tophub_files()).records, key, host, schedule_space(wl, host)).has_value();
  cli_test::TempDir dir;
  bitforge::testing::Rng rng(9);
  const Tensor x = bitforge::testing::random_levels(rng, wl.act.encoding(), wl.input_shape(), DType::u8);
  const Tensor w = bitforge::testing::random_levels(rng, wl.wgt.encoding(), wl.weight_shape(), DType::i8);
  npy_write(dir.file("x.npy"), x);
  npy_write(dir.file("w.npy"), w);
  const auto r = run_bitforge({"conv2d", "--input", dir.file("x.npy"), "--weight", dir.file("w.npy"), "--act", "u1",
                               "--wgt", "b1", "--out", dir.file("y.npy"), "--config", "best"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(key), std::string::npos) << r.out;
  if (shipped) EXPECT_EQ(r.err, "");
  else EXPECT_NE(r.err.find("no tuning record for " + key), std::string::npos) << r.err;
  EXPECT_TRUE(bitforge::testing::tensors_equal(npy_read(dir.file("y.npy")), reference::conv2d(wl, x, w)));
}

}  // namespace
}  // namespace bitforge
