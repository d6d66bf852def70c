// bitforge roofline: the machine model — this machine's measured limits.
//
// What it is for: the peak rate of each instruction mix a convolution implementation can
// be bound by (float32 FMA, int8 dot products, int16 multiply-add, AND + popcount +
// accumulate with each popcount the CPU has) and the read and write bandwidth of each memory level,
// measured on one core and on all cores by the probes (probes.hpp), stored as JSON so the
// rest of bitforge (analyze, bench) reads them instead of re-measuring.
// What it is not: a model of any one kernel; per-workload bounds are in bounds.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bitforge::roofline {

// Compute peaks are in GOP/s where one multiply-accumulate counts as 2 operations, for
// every mix, so every implementation's GOP/s compares with its peak directly:
//   "f32_fma"            float32 FMA (one lane = 2 ops)
//   "u8s8_vnni"          vpdpbusd (u8 x s8 -> s32; one lane = 4 MACs = 8 ops)
//   "u8s8_amx"           AMX tdpbusd, where the CPU and OS allow it (one tile op = 16x16x64 MACs)
//   "u8s8_pmaddubsw"     vpmaddubsw + vpmaddwd + vpaddd, the int8 path without VNNI (4 MACs per
//   32-bit lane) "s16_madd"           vpmaddwd + vpaddd (one 32-bit lane = 2 MACs = 4 ops)
//   "popcount_vpopcntdq" AND + vpopcntq + add on 64-bit lanes (one lane = 64 binary MACs = 128 ops)
//   "popcount_avx2_lookup" the same with the AVX2 nibble-lookup popcount (vpshufb + vpsadbw)
//   "popcount_scalar"    the same with scalar popcnt on 64-bit registers
// Each name is measured at the widest vector the model's ISA level has (the scalar level is
// the x86-64 baseline with SSE2, where f32_fma is mulps + addps); on an avx512 model
// the ymm variants of f32_fma, u8s8_pmaddubsw and s16_madd are also there as
// "<name>_avx2", for reading AVX2 code on the same machine.
// Names are stable: the JSON and the bounds refer to them.
struct ComputePeak {
  std::string name;         // one of the names above
  std::string instruction;  // what the probe's inner loop is, e.g. "vpandq+vpopcntq+vpaddq zmm"
  std::string isa;          // "avx512", "avx2", "scalar", "amx", ...
  double gops_one_core = 0;
  double gops_all_cores = 0;
  bool operator==(const ComputePeak&) const = default;
};

struct MemoryLevel {
  std::string name;  // "L1", "L2", "L3", "DRAM"
  std::int64_t bytes_per_core =
      0;              // capacity of one instance, as one core sees it (DRAM: 0 = unbounded)
  int shared_by = 1;  // CPUs sharing one instance (L3: usually all of them)
  std::int64_t buffer_bytes =
      0;  // what the probe read (per thread; DRAM: one buffer split among them)
  double read_gbps_one_core = 0;  // GB/s = 1e9 bytes/s
  double read_gbps_all_cores = 0;
  double write_gbps_one_core = 0;  // plain stores (a line that misses is read for ownership)
  double write_gbps_all_cores = 0;
  std::string note;  // e.g. that the DRAM buffer was not beyond L3 ("" if nothing to say)
  bool operator==(const MemoryLevel&) const = default;
};

struct MachineModel {
  std::string cpu;        // cpuid brand string
  std::string isa_level;  // host_cpu_features().isa_level() when probed (cap applied)
  std::vector<std::string>
      flags;             // feature flags present (probes.hpp model_flags: cpu_features + amx_int8)
  int cores = 1;         // cores the all-cores probes used
  double clock_ghz = 0;  // measured from a dependent-add chain (1 add per cycle)
  std::string measured_at;           // UTC ISO-8601
  bool quick = false;                // measured with ProbeOptions::quick
  std::vector<ComputePeak> compute;  // only mixes the machine can run
  std::vector<MemoryLevel> memory;   // L1, L2, L3 (if present), DRAM, in that order

  // nullptr when the mix was not measured (the machine lacks it).
  const ComputePeak* peak(std::string_view name) const;
  const MemoryLevel* level(std::string_view name) const;
  bool operator==(const MachineModel&) const = default;
};

std::string to_json(const MachineModel& m);
// Throws Error naming the file and the problem.
MachineModel machine_model_from_json(const std::string& text, const std::string& source_name);
// Writes to_json(m) to `path` atomically, creating its directory.
void save_machine_model(const MachineModel& m, const std::string& path);

// Where the model is kept: $BITFORGE_MACHINE_MODEL if set, else
// ${XDG_CACHE_HOME:-$HOME/.cache}/bitforge/machine-model.json, or machine-model-<level>.json
// under a BITFORGE_MAX_ISA cap (so capped runs do not replace the uncapped model).
std::string default_machine_model_path();
// Reads `path` (default_machine_model_path() if empty); nullopt if the file does not exist.
std::optional<MachineModel> load_machine_model(const std::string& path = "");
// The stored model if it exists and was measured on this CPU with the same ISA level
// (cap included) and flags; otherwise (none, another CPU, or unreadable) probes with quick
// settings, saves it (atomically) and returns it.
// `note` (if given) receives one line saying which happened.
MachineModel machine_model_for_host(std::string* note = nullptr);

}  // namespace bitforge::roofline
