// bitforge roofline: per-workload bounds — what a workload must cost on this machine.
//
// For one workload and one implementation kind: its operation count (2 x MACs; the
// bit-serial ones do act_bits x wgt_bits binary passes, so their compute peak is the
// popcount peak divided by that), the minimum bytes each memory level must move
// (compulsory traffic: operands read once, output written once, at the implementation's
// storage types), the arithmetic intensity, which limit binds, and the best possible time.
// What it is not: a measurement (bench/ measures; analyze puts the two side by side).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ops/workload.hpp"
#include "roofline/machine_model.hpp"

namespace bitforge::roofline {

// How an implementation computes, which decides its compute peak and operand bytes.
enum class ImplKind {
  BitSerial,   // generated wXaY: best popcount peak / (X*Y); u8 levels, weights packed bits
  Int16,       // generated int16: s16_madd
  OnednnF32,   // oneDNN float32: f32_fma
  OnednnU8S8,  // oneDNN u8 x s8 -> s32: the best of u8s8_amx / u8s8_vnni / u8s8_pmaddubsw
};

struct LevelBound {
  std::string level;                     // "L1", "L2", "L3", "DRAM"
  double read_bytes = 0;                 // minimum bytes read from this level: the operands
  double write_bytes = 0;                // and written to it: the output
  double read_gbps = 0, write_gbps = 0;  // its measured bandwidths at the thread count
  double read_seconds = 0, write_seconds = 0;
  double seconds = 0;  // the larger of the two: reads and writes may overlap
};

struct Bound {
  double ops = 0;            // 2 x MACs
  std::string compute_peak;  // the ComputePeak name used
  double peak_gops = 0;      // that peak's rate at the thread count
  int planes = 1;            // bit-serial: act_bits x wgt_bits binary passes; 1 otherwise
  double compute_gops = 0;   // peak_gops / planes
  double compute_seconds = 0;
  double input_bytes = 0, weight_bytes = 0, output_bytes = 0;  // at the kind's storage types
  double bytes = 0;                                            // compulsory traffic: their sum
  std::vector<LevelBound> memory;  // L1 up to the level the working set (= bytes) fits in
  double intensity = 0;            // ops per byte of compulsory traffic
  std::string binding;             // "compute" or the level name
  double best_seconds = 0;         // max(compute_seconds, each level's seconds)
};

// Rates at `threads` threads: one core's rate x min(threads, model cores), but never more
// than the all-cores rate (shared L3 and DRAM, power limits); threads = 1 is the one-core
// rate. An optimistic rule, as a bound should be.
// Operand bytes count against each level's read bandwidth, output bytes against its write
// bandwidth (measured with plain stores, whose misses read the line for ownership: on this
// project's machines writing to L2 is 2-3x slower than reading it, which binds the 1x1
// layers' int32 outputs).
// Throws Error if the machine model lacks the peak the kind needs (e.g. no popcount probe)
// or a bit-serial bound is asked for non-low-bit operand types.
Bound bound(const Workload& wl, ImplKind kind, const MachineModel& machine, int threads = 1);

// "bit-serial", "int16", "oneDNN f32", "oneDNN u8s8".
std::string_view impl_kind_name(ImplKind kind);

}  // namespace bitforge::roofline
