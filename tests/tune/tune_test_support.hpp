// Shared pieces of the tuning tests: the tiny workload they tune (so a trial costs a
// fraction of a second) and quick measurement options.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "codegen/codegen.hpp"
#include "tune/tune.hpp"

namespace bitforge::tune_test {

// 8 channels in and out, 6x6 pixels, 3x3 window: compiles and runs in well under a second.
inline const std::string kTinyKey = "conv2d_u1b1_mb1ic8ih6iw6oc8kh3kw3_nchw_oihw_i32";

inline TuningTask tiny_task() {
  const Workload wl = parse_workload_key(kTinyKey);
  const CodegenTarget target = resolve_target("host");
  return {wl, target, schedule_space(wl, target)};
}

// Timing precision does not matter to these tests; the isolation and bookkeeping do.
inline MeasureOptions quick_measure() {
  MeasureOptions m;
  m.min_seconds = 0.001;
  m.min_repeats = 1;
  m.timeout_seconds = 20;
  return m;
}

// n distinct valid configs, drawn with a fixed seed. (Not ScheduleSpace::at: indexing
// enumerates the whole space first, which takes seconds for a convolution space.)
inline std::vector<Config> distinct_configs(const ScheduleSpace& space, int n, std::uint64_t seed = 42) {
  std::vector<Config> out;
  auto next = [&] {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return seed ^ (seed >> 29);
  };
  while (static_cast<int>(out.size()) < n) {
    Config c = space.sample(next);
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  }
  return out;
}

}  // namespace bitforge::tune_test
