// Helpers of the cost-model and xgb-tuner tests: a synthetic cost — a known function of
// (workload, config) shaped like a bit-serial kernel's speed — so the tests can check
// what the model learns and what the tuner finds without compiling a single kernel.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "codegen/codegen.hpp"
#include "core/random.hpp"
#include "ops/suites.hpp"
#include "tune/cost_model.hpp"
#include "tune/records.hpp"
#include "tune/tuner.hpp"

namespace bitforge::testing {

// Seconds of a bit-serial conv2d config on a made-up 16-lane machine: the work (tail
// waste included) over a throughput set by the register tile (accumulators amortize the
// operand loads; too few of them leave the popcount latency exposed), the word size,
// loop order and the other knobs, with a deterministic ±1% "noise" per config. The
// optimum depends on the layer's shape, which is what transfer must carry over.
// Dense layers run as 1x1 convolutions over a row of pixels (their tile_n is tile_x).
inline double synthetic_seconds(const Workload& wl, const Config& c) {
  const Dense* dense = std::get_if<Dense>(&wl);
  const Conv2d cv = dense ? dense->as_conv2d() : std::get<Conv2d>(wl);
  auto knob = [&](const std::string& name, const std::string& fallback) {
    auto it = c.values().find(name);
    return it == c.values().end() ? fallback : it->second;
  };
  const std::int64_t g = cv.groups, cg = cv.c / g, og = cv.o / g, oh = cv.out_h(), ow = cv.out_w();
  const std::int64_t taps = cv.kh * cv.kw, planes = cv.act.bits * cv.wgt.bits;
  const double v = static_cast<double>(c.get_int("vector_width"));
  const std::int64_t to = c.get_int("tile_o"), tx = c.get_int(dense ? "tile_n" : "tile_x");
  const std::int64_t ty = std::stoll(knob("tile_y", "1"));
  const bool on_o = c.get("vector_axis") == "o";
  const std::string& word = c.get("word");
  const int wb = word == "u8" ? 8 : word == "u16" ? 16 : word == "u32" ? 32 : 64;
  const std::int64_t words = (cg + wb - 1) / wb;
  auto up = [](std::int64_t a, std::int64_t b) { return static_cast<double>((a + b - 1) / b * b); };
  const double work = up(og, to) * up(ow, tx) * up(oh, ty) * static_cast<double>(g * taps * planes * words) *
                      static_cast<double>(cv.n);
  const double acc = static_cast<double>(to * tx * ty) / v;
  const double loads = on_o ? static_cast<double>(to) / v + static_cast<double>(tx * ty)
                            : static_cast<double>(to) + static_cast<double>(tx * ty) / v;
  double cycles = 1.0 + 0.8 * loads / acc + (acc < 6 ? 0.25 * (6 - acc) : 0.0);
  cycles *= word == "u8" ? 2.0 : word == "u16" ? 1.4 : word == "u32" ? 1.0 : 1.15;
  const std::string& lo = c.get("loop_order");
  cycles *= lo == "taps_planes_words" ? 1.0 : lo == "planes_taps_words" ? 1.08 : 1.2;
  if (c.get_bool("unroll_planes")) cycles *= planes <= 4 ? 0.92 : 1.03;
  const std::int64_t split = c.get_int("split_words");
  cycles *= split == 1 ? 1.0 : words % split == 0 ? 0.96 : 1.1;
  cycles *= c.get("parallel") == "none" ? 1.0 : c.get("parallel") == "pixels" ? 1.01 : 1.04;
  cycles *= c.get("plane_axis") == "pixel" ? 1.0 : 1.06;
  if (knob("unroll_window", "0") == "1") cycles *= 0.95;
  if (knob("pack_at", "root") == "row") cycles *= cg * cv.h * cv.w > 128 * 28 * 28 ? 0.97 : 1.02;
  const double ops = work / v;
  const std::uint64_t h = fnv1a(c.str());  // the same "noise" on every platform
  const double noise = 1.0 + 0.01 * (static_cast<double>(h % 2001) / 1000.0 - 1.0);
  return ops * cycles * noise / 3e9;
}

// The resnet18 suite at w1a2 (activations u2, weights b1), the benchmark setting.
inline std::vector<SuiteEntry> resnet18_w1a2() {
  return load_suite("resnet18", OperandType::parse("u2"), OperandType::parse("b1"));
}

// A fixed target (not the host), so the tests do not depend on the machine.
inline CodegenTarget avx512_target() { return resolve_target("x86-64-avx512"); }

inline TuningTask make_task(const Workload& wl, const CodegenTarget& target) {
  TuningTask t{wl, target, schedule_space(wl, target)};
  t.space.size();  // enumerate once; copies of the task share the enumeration
  return t;
}

// A successful trial record of `config` with the synthetic cost.
inline TrialRecord synthetic_record(const TuningTask& task, const Config& config) {
  TrialRecord r;
  r.key = workload_key(task.workload);
  r.target = task.target.name;
  r.config = config;
  const double s = synthetic_seconds(task.workload, config);
  r.costs = {s, s, s};
  r.min_s = r.median_s = s;
  return r;
}

// Kendall's tau-a between two sequences (1: same order, -1: reversed, ~0: unrelated).
inline double kendall_tau(const std::vector<double>& a, const std::vector<double>& b) {
  long long concordant = 0, discordant = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::size_t j = i + 1; j < a.size(); ++j) {
      const double x = (a[i] - a[j]) * (b[i] - b[j]);
      if (x > 0) ++concordant;
      if (x < 0) ++discordant;
    }
  const double pairs = static_cast<double>(a.size() * (a.size() - 1) / 2);
  return static_cast<double>(concordant - discordant) / pairs;
}

}  // namespace bitforge::testing
