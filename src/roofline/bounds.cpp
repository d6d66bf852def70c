#include "roofline/bounds.hpp"

#include <fmt/ranges.h>

#include <algorithm>

#include "core/error.hpp"

namespace bitforge::roofline {

namespace {
// The peaks a kind may use, best first in spirit; the fastest one the model has wins.
std::vector<std::string> candidate_peaks(ImplKind kind) {
  switch (kind) {
    case ImplKind::BitSerial:
      return {"popcount_vpopcntdq", "popcount_avx2_lookup", "popcount_scalar"};
    case ImplKind::Int16:
      return {"s16_madd"};
    case ImplKind::OnednnF32:
      return {"f32_fma"};
    // oneDNN picks AMX, VNNI or the pmaddubsw path by what the CPU has: the best is its bound.
    case ImplKind::OnednnU8S8:
      return {"u8s8_amx", "u8s8_vnni", "u8s8_pmaddubsw"};
  }
  return {};
}

double compute_rate(const ComputePeak& p, const MachineModel& m, int threads) {
  if (threads <= 1) return p.gops_one_core;
  return std::min(p.gops_one_core * std::min(threads, m.cores), p.gops_all_cores);
}

double bandwidth(double one_core, double all_cores, const MachineModel& m, int threads) {
  if (threads <= 1) return one_core;
  return std::min(one_core * std::min(threads, m.cores), all_cores);
}

// What `threads` threads can keep in a level: a private cache per core used, a shared one
// per group of shared_by CPUs used.
double capacity(const MemoryLevel& l, const MachineModel& m, int threads) {
  if (l.bytes_per_core <= 0) return -1;  // DRAM: unbounded
  const int used = std::clamp(threads, 1, m.cores);
  const int per_instance = std::max(l.shared_by, 1);
  return static_cast<double>(l.bytes_per_core) * ((used + per_instance - 1) / per_instance);
}

struct Operands {
  double input = 0, weights = 0, output = 0;
};

// Compulsory bytes at the storage types of the implementation kind.
Operands operand_bytes(const Workload& wl, ImplKind kind, int* planes) {
  return std::visit(
      [&](const auto& w) {
        const auto in = static_cast<double>(shape_numel(w.input_shape()));
        const auto wt = static_cast<double>(shape_numel(w.weight_shape()));
        const auto acc = static_cast<double>(shape_numel(w.accumulator_shape()));
        *planes = 1;
        switch (kind) {
          case ImplKind::BitSerial: {
            if (!w.act.is_low_bit() || !w.wgt.is_low_bit())
              fail("a bit-serial bound needs low-bit operand types (u1..u8, b1..b8), not {} x {}",
                   w.act.name(), w.wgt.name());
            *planes = w.act.bits * w.wgt.bits;
            // Activations as one byte per level, weights packed to their bits, and the
            // output the workload's epilogue writes (int32 accumulators, or packed bits).
            const double out = static_cast<double>(shape_numel(w.output_shape())) *
                               static_cast<double>(dtype_size(w.output_dtype()));
            return Operands{in, wt * w.wgt.bits / 8.0, out};
          }
          case ImplKind::Int16:
            return Operands{2 * in, 2 * wt, 4 * acc};
          case ImplKind::OnednnF32:
            return Operands{4 * in, 4 * wt, 4 * acc};
          case ImplKind::OnednnU8S8:
            return Operands{in, wt, 4 * acc};
        }
        return Operands{};
      },
      wl);
}
}  // namespace

std::string_view impl_kind_name(ImplKind kind) {
  switch (kind) {
    case ImplKind::BitSerial:
      return "bit-serial";
    case ImplKind::Int16:
      return "int16";
    case ImplKind::OnednnF32:
      return "oneDNN f32";
    case ImplKind::OnednnU8S8:
      return "oneDNN u8s8";
  }
  return "?";
}

Bound bound(const Workload& wl, ImplKind kind, const MachineModel& machine, int threads) {
  if (threads < 1) fail("thread count {} must be >= 1", threads);
  Bound b;
  b.ops = 2.0 * static_cast<double>(workload_macs(wl));

  const std::vector<std::string> names = candidate_peaks(kind);
  const ComputePeak* best = nullptr;
  for (const std::string& name : names)
    if (const ComputePeak* p = machine.peak(name))
      if (!best || compute_rate(*p, machine, threads) > compute_rate(*best, machine, threads))
        best = p;
  if (!best)
    fail(
        "the machine model ({}, ISA level {}) has no compute peak for {} (needs one of: {}; a "
        "probe runs only "
        "where the ISA level has its instructions)",
        machine.cpu, machine.isa_level, impl_kind_name(kind), fmt::join(names, ", "));

  const Operands bytes = operand_bytes(wl, kind, &b.planes);
  b.compute_peak = best->name;
  b.peak_gops = compute_rate(*best, machine, threads);
  b.compute_gops = b.peak_gops / b.planes;
  if (b.compute_gops <= 0) fail("the machine model's '{}' peak is 0 GOP/s", best->name);
  b.compute_seconds = b.ops / (b.compute_gops * 1e9);
  b.input_bytes = bytes.input;
  b.weight_bytes = bytes.weights;
  b.output_bytes = bytes.output;
  b.bytes = bytes.input + bytes.weights + bytes.output;
  b.intensity = b.ops / b.bytes;

  b.binding = "compute";
  b.best_seconds = b.compute_seconds;
  // Every level from the registers' side down to the one the working set fits in must
  // move the compulsory bytes at least once.
  for (const MemoryLevel& level : machine.memory) {
    LevelBound lb;
    lb.level = level.name;
    lb.read_bytes = bytes.input + bytes.weights;
    lb.write_bytes = bytes.output;
    lb.read_gbps = bandwidth(level.read_gbps_one_core, level.read_gbps_all_cores, machine, threads);
    lb.write_gbps = bandwidth(level.write_gbps_one_core, level.write_gbps_all_cores, machine, threads);
    if (lb.read_gbps <= 0 || lb.write_gbps <= 0)
      fail("the machine model's {} bandwidth is 0 GB/s (read {}, write {})", level.name, lb.read_gbps,
           lb.write_gbps);
    lb.read_seconds = lb.read_bytes / (lb.read_gbps * 1e9);
    lb.write_seconds = lb.write_bytes / (lb.write_gbps * 1e9);
    lb.seconds = std::max(lb.read_seconds, lb.write_seconds);
    if (lb.seconds > b.best_seconds) b.best_seconds = lb.seconds, b.binding = level.name;
    b.memory.push_back(lb);
    const double cap = capacity(level, machine, threads);
    if (cap < 0 || b.bytes <= cap) break;
  }
  return b;
}

}  // namespace bitforge::roofline
