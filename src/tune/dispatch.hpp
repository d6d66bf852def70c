// bitforge tune: dispatch — the best recorded config per (workload key, target).
//
// Records come from tuning logs and from the shipped best-record files ("tophub",
// data/tophub/*.jsonl, like TVM's). A record applies only to the exact workload key and
// the exact Halide target string it was measured on: an AVX-512 machine without
// VPOPCNTDQ compiles different code than one with it, so their timings do not transfer.
// Records of this machine's CPU come before those of others (tuning is per CPU).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "codegen/codegen.hpp"
#include "core/cpu_features.hpp"
#include "tune/records.hpp"

namespace bitforge {

// The directory of the shipped best-record files: $BITFORGE_TOPHUB_DIR if set, else the
// first that exists of <executable dir>/../share/bitforge/tophub and the source tree's
// data/tophub. Empty if none exists (dispatch then uses the given logs only).
std::string tophub_dir();
// Its *.jsonl files, sorted; empty when there is no directory.
std::vector<std::string> tophub_files();

// The successful record with the smallest min_s for (key, target), among those whose
// config is valid in `space` (a record from an older space is ignored) and measured on the
// thread count nearest `threads` (exactly it when there is one; on a tie, the fewer
// threads), and among those on `cpu` (CpuFeatures::cpu_name; this machine's by default)
// when there is one: times on different thread counts or CPUs do not compare, and a
// config tuned on this CPU beats a faster time measured on another. nullopt if none.
std::optional<TrialRecord> best_record(const std::vector<TrialRecord>& records, const std::string& key,
                                       const CodegenTarget& target, const ScheduleSpace& space, int threads = 1,
                                       const std::string& cpu = detect_cpu_features().cpu_name());

// A config recorded on `recorded_threads` threads, for a run on `threads`: one recorded on
// fewer threads may run no parallel loop; it then runs its output rows in parallel instead
// (`parallel=pixels`, where the space allows it) rather than leaving cores idle. Otherwise
// the config itself.
Config adapt_to_threads(const Config& config, const ScheduleSpace& space, int recorded_threads, int threads);

struct Dispatched {
  Config config;
  std::optional<TrialRecord> record;  // the record it came from; nullopt = default config
};
// The best recorded config of `wl` on `target` for `threads` (best_record) from `logs`
// plus, if `use_tophub`, the shipped files. Without a record: the space's default config,
// with a warning on stderr the first time this process falls back for that key and target.
// Malformed log lines are reported on stderr ("FILE:LINE: why") and skipped; an unreadable
// log is an Error.
Dispatched best_config(const Workload& wl, const CodegenTarget& target, const std::vector<std::string>& logs,
                       bool use_tophub = true, int threads = 1);

}  // namespace bitforge
