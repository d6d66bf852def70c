// bitforge bench: reports of a benchmark run — the table `bitforge bench` prints, its CSV
// and its grouped-bar plot of speedups (gnuplot, PNG and SVG).
// What it is not: measurement (bench_run.hpp). Every file is written atomically, so a
// failure leaves no half-written output.
#pragma once

#include <string>
#include <vector>

#include "bench/bench_run.hpp"

namespace bitforge::bench {

// The printed report: a header (suite, threads, timing rule, machine), one row per layer
// and implementation, geometric means per implementation, and the speed goals.
std::string format_report(const BenchResult& result, const std::vector<ImplSummary>& summaries,
                          const GoalCheck& goals);

// Columns: workload,implementation,threads,time_ms,gops,roofline_pct. `workload` is the key
// of the workload the implementation ran (the project's canonical name; its operand types
// differ between implementations of one layer); time_ms the minimum; roofline_pct empty
// when the machine model has no bound for the implementation.
inline constexpr const char* kCsvHeader =
    "workload,implementation,threads,time_ms,gops,roofline_pct";
std::string format_csv(const BenchResult& result);

// Throws Error unless `path` could be written: its directory exists and is writable and it
// is not itself a directory. `what` names the option in the message ("--csv").
void check_writable(const std::string& path, const std::string& what);
// The SVG beside a PNG path: "out/speedup.png" -> "out/speedup.svg". Error unless `png`
// ends in ".png".
std::string svg_path_for(const std::string& png);

// Grouped bars: per layer, one bar per implementation other than onednn-f32 giving its
// speedup over onednn-f32 (log scale; 1 = as fast as oneDNN f32). Writes `png` and its SVG
// through gnuplot; needs onednn-f32 among the run's implementations.
void write_speedup_plot(const BenchResult& result, const std::string& png);

}  // namespace bitforge::bench
