// bitforge cli: the `bitforge` command. One file per subcommand; each registers itself
// on the root app and runs from its callback. Errors propagate as bitforge::Error and
// main() turns them into one line on stderr and exit code 2.
#pragma once

#include <CLI/CLI.hpp>

namespace bitforge::cli {

void add_conv2d_command(CLI::App& app);
void add_dense_command(CLI::App& app);
void add_workloads_command(CLI::App& app);
void add_memplan_command(CLI::App& app);
void add_compile_command(CLI::App& app);
void add_tune_command(CLI::App& app);
void add_roofline_command(CLI::App& app);
void add_analyze_command(CLI::App& app);
void add_bench_command(CLI::App& app);

}  // namespace bitforge::cli
