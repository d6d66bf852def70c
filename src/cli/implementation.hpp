// bitforge cli: choosing the implementation that runs an operator command.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "ops/workload.hpp"

namespace bitforge::cli {

struct ImplOptions {
  std::string impl = "generated";  // generated | reference
  std::string config = "default";  // default | best | FILE.json
  std::vector<std::string> logs;   // tuning logs searched by --config best (plus the shipped ones)
  std::string target = "host";
};

void add_impl_options(CLI::App* cmd, ImplOptions& options);

// Runs `wl` on levels x, w with the chosen implementation; int32 accumulator output.
Tensor run_implementation(const Workload& wl, const Tensor& x, const Tensor& w, const ImplOptions& options);

}  // namespace bitforge::cli
