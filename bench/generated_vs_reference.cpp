// Times each resnet18 layer's generated kernel (default config, no tuning) against the
// reference path (the bit-serial oracle), single thread, at one bit-width pair.
//
//   build/bench_generated_vs_reference [--act u1] [--wgt b1] [--target host] [--suite resnet18]
//
// Kernel time: minimum over repeats after a warm-up, at least 0.2 s of repeats per layer.
// Reference time: one run (it is the slow oracle; its speed is not the point).
// This is a benchmark, not a test: it asserts nothing but bit-exactness of the run it times.
#include <chrono>
#include <cstdlib>
#include <string>

#include <CLI/CLI.hpp>

#include "codegen/codegen.hpp"
#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "ops/reference/reference.hpp"
#include "ops/suites.hpp"
#include "quant/encoding.hpp"

using namespace bitforge;
using Clock = std::chrono::steady_clock;

namespace {
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

Tensor random_levels(Encoding e, const Shape& shape, std::uint64_t seed) {
  Tensor t(e.level_dtype(), shape);
  std::uint64_t s = seed;
  for_each_index(shape, [&](std::span<const std::int64_t> idx) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    t.set_int(idx, e.level_of(static_cast<std::uint32_t>((s >> 33) % static_cast<std::uint64_t>(e.max_level() + 1))));
  });
  return t;
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"generated kernels (default configs) against the reference path"};
  std::string act = "u1", wgt = "b1", target_name = "host", suite = "resnet18";
  app.add_option("--act", act);
  app.add_option("--wgt", wgt);
  app.add_option("--target", target_name);
  app.add_option("--suite", suite);
  CLI11_PARSE(app, argc, argv);
  setenv("HL_NUM_THREADS", "1", 1);  // single thread: Halide reads this when its pool starts
  try {
    const CodegenTarget target = resolve_target(target_name);
    fmt::print("# {} x {} on {} ({}), 1 thread, default configs\n", act, wgt, target.name, host_cpu_features().brand);
    fmt::print("{:<5} {:>12} {:>12} {:>9} {:>9}  {}\n", "layer", "kernel_ms", "reference_ms", "speedup", "GOP/s", "kernel");
    for (const SuiteEntry& e : load_suite(suite, OperandType::parse(act), OperandType::parse(wgt))) {
      const Conv2d& wl = std::get<Conv2d>(e.workload);
      const auto k = compile_kernel(e.workload, schedule_space(e.workload, target).default_config(), target);
      const Tensor x = random_levels(wl.act.encoding(), wl.input_shape(), 1);
      const Tensor w = random_levels(wl.wgt.encoding(), wl.weight_shape(), 2);
      const Tensor prepared = k->prepare(w);
      Tensor out(wl.output_dtype(), wl.output_shape());
      k->run_unchecked(x, prepared, {}, out);  // warm-up
      double best = 1e30, spent = 0;
      for (int rep = 0; rep < 5 || spent < 0.2; ++rep) {
        const auto t0 = Clock::now();
        k->run_unchecked(x, prepared, {}, out);
        const double s = seconds_since(t0);
        best = std::min(best, s);
        spent += s;
      }
      const auto t0 = Clock::now();
      const Tensor ref = reference::conv2d(wl, x, w);
      const double ref_s = seconds_since(t0);
      if (std::memcmp(ref.raw_data(), out.raw_data(), out.nbytes()) != 0) fail("{}: kernel differs from the reference", e.name);
      fmt::print("{:<5} {:>12.3f} {:>12.1f} {:>8.0f}x {:>9.1f}  {}\n", e.name, best * 1e3, ref_s * 1e3, ref_s / best,
                 2.0 * static_cast<double>(wl.macs()) / best / 1e9, k->name());
    }
  } catch (const Error& e) {
    fmt::print(stderr, "bench: error: {}\n", e.what());
    return 2;
  }
  return 0;
}
