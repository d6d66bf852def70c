// bitforge tune (internal): the worker side of measurement — runs in a forked process,
// compiles, checks and times configs one after another, and reports each result as one
// line on a pipe. The parent side (measure.cpp) supervises it.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "tune/measure.hpp"
#include "tune/measure_operands.hpp"

namespace bitforge::tune_detail {

struct WorkerResult {
  std::vector<double> costs;  // seconds per measured repeat
  TrialError error = TrialError::None;
  std::string detail;
};

// The result line the worker writes for configs[index] (one line, no newline) and its
// parse; Error if the line is malformed (a worker bug, reported as a crash).
std::string worker_result_line(std::size_t index, const WorkerResult& r);
WorkerResult parse_worker_result_line(const std::string& line, std::size_t* index);

// The worker's body, in the forked child: measures configs[order[from]], configs[order[from+1]], ...
// writing one result line each to `out_fd`, and _exits after the last one, or right
// after a compile error (the next config gets a fresh process). Never returns.
[[noreturn]] void run_worker(const TuningTask& task, const std::vector<Config>& configs,
                             const std::vector<std::size_t>& order, std::size_t from,
                             const TrialOperands& operands, const MeasureOptions& options, int out_fd);

}  // namespace bitforge::tune_detail
