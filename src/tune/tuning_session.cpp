#include "tune/tuning_session.hpp"

#include <algorithm>
#include <fmt/ranges.h>
#include <filesystem>
#include <iostream>

#include "codegen/codegen.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "tune/dispatch.hpp"
#include "tune/progress.hpp"
#include "tune/tuner.hpp"

namespace bitforge {

namespace {
// Same operator (conv2d / dense) and family (bit-serial, int8, ...): the records whose
// knobs mean the same thing, so a cost model may learn across them.
bool same_family(const Workload& a, const std::string& other_key) {
  try {
    const Workload b = parse_workload_key(other_key);
    return a.index() == b.index() &&
           std::visit([](const auto& x) { return x.family(); }, a) == std::visit([](const auto& x) { return x.family(); }, b);
  } catch (const Error&) {
    return false;
  }
}

// Same target, thread count and CPU: trials measured otherwise neither count towards this
// session's trials nor teach its tuner (a config's speed depends on all three).
bool same_conditions(const TrialRecord& r, const CodegenTarget& t, int threads, const std::string& cpu) {
  return r.halide == t.halide && r.target == t.name && r.threads == threads && r.cpu == cpu;
}

struct BestTracker {
  std::optional<TrialRecord> best;
  int since_best = 0;  // trials since the best one (all trials count, failed ones too)
  void add(const TrialRecord& r) {
    if (r.ok() && (!best || r.min_s < best->min_s)) {
      best = r;
      since_best = 0;
    } else {
      ++since_best;
    }
  }
};
}  // namespace

double WorkloadSummary::gops() const { return best ? 2.0 * static_cast<double>(macs) / best->min_s / 1e9 : 0.0; }

void validate_session_options(const SessionOptions& o) {
  const std::vector<std::string> names = tuner_names();
  if (std::find(names.begin(), names.end(), o.tuner) == names.end())
    fail("unknown tuner '{}' (allowed: {})", o.tuner, fmt::join(names, ", "));
  if (o.trials < 1 || o.trials > 1'000'000) fail("--trials {} is out of range (allowed: 1 to 1000000)", o.trials);
  if (o.early_stop < 0) fail("--early-stop {} is out of range (allowed: 0 = off, or a positive number of trials)", o.early_stop);
  if (o.batch < 1 || o.batch > 1024) fail("--batch {} is out of range (allowed: 1 to 1024)", o.batch);
  if (o.log.empty()) fail("a tuning log is required (--log FILE)");
  const std::filesystem::path dir = std::filesystem::absolute(o.log).parent_path();
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    fail("the directory '{}' of tuning log '{}' does not exist (create it first)", dir.string(), o.log);
  validate_measure_options(o.measure);
}

std::vector<WorkloadSummary> run_tuning_session(const std::vector<SuiteEntry>& workloads, const CodegenTarget& target,
                                                const SessionOptions& options,
                                                const std::function<void(const WorkloadSummary&)>& on_done) {
  validate_session_options(options);
  if (!target.runs_here)
    fail("target '{}' ({}) cannot run on this machine; tuning measures on the machine it runs on", target.name,
         target.halide);
  // Every workload's space is built before anything is measured, so a workload the
  // target cannot compile is refused up front rather than after an hour of tuning.
  std::vector<ScheduleSpace> spaces;
  for (const SuiteEntry& e : workloads) {
    const ScheduleSpace space = schedule_space(e.workload, target);
    spaces.push_back(options.fixed.empty() ? space : space.restricted(options.fixed));
  }

  std::vector<TrialRecord> all;  // the log's records, then this session's
  std::error_code ec;
  if (std::filesystem::exists(options.log, ec)) {
    LoadedRecords loaded = load_records({options.log});
    for (const std::string& why : loaded.skipped) std::cerr << "bitforge: warning: " << why << " (line skipped)\n";
    all = std::move(loaded.records);
  }
  // The shipped best records: what a run would use without this session's (dispatch).
  const std::vector<TrialRecord> shipped = load_records(tophub_files()).records;
  const std::string cpu = detect_cpu_features().cpu_name();
  const int threads = options.measure.threads;
  RecordLog log(options.log);

  std::vector<WorkloadSummary> summaries;
  for (std::size_t w = 0; w < workloads.size(); ++w) {
    const SuiteEntry& entry = workloads[w];
    const TuningTask task{entry.workload, target, spaces[w]};
    const std::string key = workload_key(entry.workload);
    std::vector<TrialRecord> history, transfer;
    for (const TrialRecord& r : all) {
      if (!same_conditions(r, target, threads, cpu)) continue;
      if (!ScheduleSpace::has_values(r.config, options.fixed)) continue;
      if (r.key == key) history.push_back(r);
      else if (same_family(entry.workload, r.key)) transfer.push_back(r);
    }

    WorkloadSummary summary;
    summary.name = entry.name;
    summary.key = key;
    summary.macs = workload_macs(entry.workload);
    summary.earlier = static_cast<int>(history.size());
    BestTracker tracker;
    for (const TrialRecord& r : history) tracker.add(r);

    int done = summary.earlier;
    summary.stopped = "trials";
    if (done < options.trials) {
      // The seed also depends on the key and on how far the log got, so a resumed run
      // does not replay the proposals of the first (all visited) before finding new ones.
      const std::uint64_t seed = options.seed ^ fnv1a(key) ^ (static_cast<std::uint64_t>(done) * 0x9e3779b97f4a7c15ULL);
      const std::string label =
          workloads.size() > 1 ? fmt::format("{} ({}/{})", entry.name, w + 1, workloads.size()) : entry.name;
      tune_detail::ProgressBar bar(options.progress, label, done, options.trials);
      auto measure = [&](const std::vector<Config>& configs) {
        return measure_trials(task, configs, options.measure, [&](const TrialRecord& r) {
          log.append(r);
          tracker.add(r);
          ++done;
          ++summary.measured;
          if (!r.ok()) ++summary.failed;
          bar.update(done, tracker.best ? 2.0 * static_cast<double>(summary.macs) / tracker.best->min_s / 1e9 : 0.0);
        });
      };
      // A config the history does not have yet is measured before the tuner starts.
      auto measure_first = [&](const Config& c) {
        if (std::any_of(history.begin(), history.end(), [&](const TrialRecord& r) { return r.config == c; })) return;
        for (const TrialRecord& r : measure({c})) {
          all.push_back(r);
          history.push_back(r);
        }
      };
      // The space's default config is the first trial of every workload, so a tuned
      // result is never slower than what an untuned run would use (as measured).
      measure_first(task.space.default_config());
      // Then the best config of this workload recorded under other conditions (another
      // thread count, the nearest, or another CPU; in the log or shipped), adapted to
      // these threads: what a run here would use without a record of its own, so the
      // tuned one is never slower than that either (as measured); it also hands a new CPU
      // the configs another one's tuning found (hand-written microkernels, which the
      // tuners rarely visit by themselves). And that config as recorded: a serial one runs
      // the same on any thread count, and on a layer of a few microseconds the fork and
      // join of a parallel loop can cost more than the second core saves (resnet18's
      // strided 1x1 layers, on two threads). best_record keeps the key and target; the
      // history holds this session's conditions' trials.
      std::vector<TrialRecord> elsewhere = shipped;
      for (const TrialRecord& r : all)
        if (r.threads != threads || r.cpu != cpu) elsewhere.push_back(r);
      if (auto nearest = best_record(elsewhere, key, target, task.space, threads, cpu)) {
        measure_first(adapt_to_threads(nearest->config, task.space, nearest->threads, threads));
        measure_first(nearest->config);
      }
      auto tuner = make_tuner(options.tuner, task, seed, history, transfer);
      while (done < options.trials) {
        // "Without improvement" counts from the last new best, or from the start while no
        // trial has succeeded.
        if (options.early_stop > 0 && tracker.since_best >= options.early_stop) {
          summary.stopped = "early-stop";
          break;
        }
        int want = std::min(options.batch, options.trials - done);
        // Never run past the early stop inside a batch.
        if (options.early_stop > 0) want = std::min(want, options.early_stop - tracker.since_best);
        const std::vector<Config> configs = tuner->next_batch(want);
        if (configs.empty()) {
          summary.stopped = "exhausted";
          break;
        }
        const std::vector<TrialRecord> results = measure(configs);
        for (const TrialRecord& r : results) all.push_back(r);
        tuner->update(results);
      }
    }
    summary.best = tracker.best;
    if (on_done) on_done(summary);
    summaries.push_back(std::move(summary));
  }
  return summaries;
}

}  // namespace bitforge
