// bitforge roofline: probes — microbenchmarks of this machine's limits.
//
// Each compute probe runs one instruction mix in a loop with enough independent
// accumulators to hide latency and consumes every result, so the compiler can neither
// fold nor drop it (tests check the instructions in the disassembly). Bandwidth probes
// read, then write, a buffer sized for each cache level (and one far larger than the last
// level for DRAM) with wide loads and plain wide stores. One core: one thread pinned to the first core; all cores: one
// pinned thread per core, started together, their work summed over the slowest one's
// time. Fastest of several repeats, after a warm-up that lets the clock ramp up.
// What it is not: a model of a kernel (bounds.hpp) or a benchmark of one (bench/).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/cpu_features.hpp"
#include "roofline/machine_model.hpp"

namespace bitforge::roofline {

struct ProbeOptions {
  // Many short repeats, the fastest kept: on a shared machine a 2 ms run often falls between
  // the time slices of other processes, a 50 ms one almost never does (measured here: with
  // two compiler processes on the 2 cores, 2 ms x 50 gave all-cores = 2 x one-core rates
  // where 50 ms x 5 measured the all-cores rates at about one core's).
  double seconds_per_probe = 0.002;  // measured time per repeat
  int repeats = 50;                  // the best (fastest) of these is kept
  int threads = 0;  // all-cores probes; 0 = one per physical core this process may use
  // 10 repeats, a shorter warm-up and a DRAM buffer of at most 1 GiB: what bench and analyze
  // run when no model is stored.
  bool quick = false;
  // Caps every bandwidth buffer (0: only the sizing rules of probes.cpp). For tests: a DRAM
  // buffer under the cap is then not beyond the last cache, and the model says so.
  std::int64_t max_buffer_bytes = 0;
  std::function<void(const std::string&)> progress;  // one line per finished probe, optional
};

// Measures every mix and level this machine (capped by BITFORGE_MAX_ISA) has. Throws Error
// for a thread count this process cannot run.
MachineModel probe_machine(const ProbeOptions& options = {});

// The feature flags a model records for `features`: CpuFeatures::describe's set, plus
// "amx_int8" where the CPU has AMX-INT8 and the ISA level is avx512 (the cap clears it).
std::vector<std::string> model_flags(const CpuFeatures& features);

}  // namespace bitforge::roofline
