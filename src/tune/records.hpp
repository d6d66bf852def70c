// bitforge tune: trial records — one JSON object per line, appended as each trial ends.
//
// A line: {"key": workload key, "target": resolved target name, "halide": Halide target
// string, "threads": threads the kernel ran on, "cpu": the CPU it ran on
// (CpuFeatures::cpu_name), "config": {knob: value, ...}, "costs":
// [seconds of each measured repeat] (empty if the trial failed), "min_s", "median_s",
// "spread" (max/min - 1), "error": "" | "compile" | "crash" | "timeout" | "wrong_result" |
// "invalid", "detail": text, "time": ISO-8601 UTC, "version": bitforge version}. A line
// without "threads" (logs older than the field) was measured on one thread, tune's default;
// one without "cpu" on a CPU not recorded ("").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "codegen/schedule_space.hpp"
#include "core/utc_time.hpp"

namespace bitforge {

enum class TrialError { None, Compile, Crash, Timeout, WrongResult, Invalid };
std::string_view trial_error_name(TrialError e);

struct TrialRecord {
  std::string key;       // workload key
  std::string target;    // resolved target name, e.g. "x86-64-avx512"
  std::string halide;    // Halide target string (distinguishes AVX-512 with/without VPOPCNTDQ)
  int threads = 1;       // threads the measured kernel ran on: a best config is per thread count
  std::string cpu;       // the CPU it ran on ("" if not recorded): and per CPU
  Config config;
  std::vector<double> costs;  // seconds per repeat
  double min_s = 0, median_s = 0, spread = 0;
  TrialError error = TrialError::None;
  std::string detail;   // error message, signal name, ...
  std::string time;     // ISO-8601 UTC
  std::string version;  // bitforge version
  bool ok() const { return error == TrialError::None; }
};

// The Error kind named `name` ("", "compile", ...); Error naming the allowed names otherwise.
TrialError parse_trial_error(std::string_view name);
// Stamp for new records: this build's bitforge version (the time: core/utc_time.hpp).
std::string bitforge_version();

std::string record_to_json_line(const TrialRecord& r);  // one line, no newline
// Parses one line; Error with the reason if malformed.
TrialRecord record_from_json_line(const std::string& line);

// Appends records to a JSONL log, flushing each line as it is written (a killed tuner
// loses at most the trial in flight).
class RecordLog {
 public:
  explicit RecordLog(const std::string& path);  // opens for append, creating it
  ~RecordLog();
  RecordLog(const RecordLog&) = delete;
  RecordLog& operator=(const RecordLog&) = delete;
  void append(const TrialRecord& r);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

struct LoadedRecords {
  std::vector<TrialRecord> records;
  // "FILE:LINE: why" for each malformed line skipped.
  std::vector<std::string> skipped;
};
// Reads one or more logs; malformed lines are skipped and reported with their line number.
LoadedRecords load_records(const std::vector<std::string>& paths);

}  // namespace bitforge
