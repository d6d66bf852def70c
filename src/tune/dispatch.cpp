#include "tune/dispatch.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <set>
#include <tuple>

namespace bitforge {

namespace fs = std::filesystem;

namespace {
fs::path executable_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}
}  // namespace

std::string tophub_dir() {
  if (const char* env = std::getenv("BITFORGE_TOPHUB_DIR")) {
    std::error_code ec;
    return fs::is_directory(env, ec) ? std::string(env) : std::string();
  }
  std::vector<fs::path> candidates;
  if (fs::path dir = executable_dir(); !dir.empty()) candidates.push_back(dir / ".." / "share" / "bitforge" / "tophub");
  candidates.emplace_back(BITFORGE_SOURCE_TOPHUB_DIR);
  for (const fs::path& p : candidates) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) return fs::weakly_canonical(p, ec).string();
  }
  return "";
}

std::vector<std::string> tophub_files() {
  std::vector<std::string> files;
  const std::string dir = tophub_dir();
  if (dir.empty()) return files;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".jsonl") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

std::optional<TrialRecord> best_record(const std::vector<TrialRecord>& records, const std::string& key,
                                       const CodegenTarget& target, const ScheduleSpace& space, int threads,
                                       const std::string& cpu) {
  // Nearer thread counts first, then fewer threads, then this CPU's, then the faster trial.
  // Threads before the CPU: another thread count's best may have the wrong parallel loop,
  // where another CPU's best on these threads is still a config of the right shape.
  auto rank = [threads, &cpu](const TrialRecord& r) {
    return std::make_tuple(std::abs(r.threads - threads), r.threads, r.cpu != cpu, r.min_s);
  };
  std::optional<TrialRecord> best;
  for (const TrialRecord& r : records) {
    if (!r.ok() || r.key != key || r.halide != target.halide || r.target != target.name) continue;
    if (!space.check(r.config).empty()) continue;
    if (!best || rank(r) < rank(*best)) best = r;
  }
  return best;
}

Config adapt_to_threads(const Config& config, const ScheduleSpace& space, int recorded_threads, int threads) {
  if (threads <= recorded_threads || !config.values().count("parallel") || config.get("parallel") != "none")
    return config;
  Config parallel = config;
  parallel.set("parallel", "pixels");
  return space.check(parallel).empty() ? parallel : config;
}

Dispatched best_config(const Workload& wl, const CodegenTarget& target, const std::vector<std::string>& logs,
                       bool use_tophub, int threads) {
  std::vector<std::string> paths = logs;
  if (use_tophub)
    for (std::string& f : tophub_files()) paths.push_back(std::move(f));
  const LoadedRecords loaded = load_records(paths);
  for (const std::string& why : loaded.skipped) std::cerr << "bitforge: warning: " << why << " (line skipped)\n";

  const ScheduleSpace space = schedule_space(wl, target);
  const std::string key = workload_key(wl);
  if (auto best = best_record(loaded.records, key, target, space, threads)) return {best->config, best};

  static std::mutex mutex;
  static std::set<std::string> warned;
  std::lock_guard lock(mutex);
  if (warned.insert(key + '\n' + target.halide).second)
    std::cerr << "bitforge: warning: no tuning record for " << key << " on " << target.name << " (" << target.halide
              << "); using the default config\n";
  return {space.default_config(), std::nullopt};
}

}  // namespace bitforge
