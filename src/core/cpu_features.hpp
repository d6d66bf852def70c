// bitforge core: what the CPU can run, and the BITFORGE_MAX_ISA cap on it.
//
// Detection reads cpuid/xgetbv on x86 (a feature counts only if the OS saves its
// register state) and the auxiliary vector on ARM. The cap lets tests and benchmarks
// force the AVX2 or scalar paths on an AVX-512 machine, like oneDNN's
// ONEDNN_MAX_CPU_ISA. Choosing kernels from these features is dispatch's job, not this
// module's.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bitforge {

enum class Arch { x86_64, aarch64, other };

struct CpuFeatures {
  Arch arch = Arch::other;
  std::string brand;  // e.g. "AMD EPYC 9R14 96-Core Processor"
  int family = 0, model = 0;  // x86: cpuid's display family and model (0 elsewhere)
  // x86
  bool popcnt = false;  // scalar popcnt (not SIMD: kept under every cap)
  bool avx2 = false;    // with FMA: the AVX2 level needs both
  bool fma = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512vpopcntdq = false;
  bool avx512vnni = false;
  bool avx512bitalg = false;
  // ARM
  bool neon = false;
  bool dotprod = false;
  // The cap applied ("" if none).
  std::string cap;

  // The highest ISA level present: "scalar", "avx2", "avx512" (F+BW+VL) on x86;
  // "scalar", "neon", "dotprod" on ARM.
  std::string isa_level() const;
  // One line: arch, level, and every feature flag present.
  std::string describe() const;
  // The CPU as tuning records name it, e.g. "AMD EPYC (family 25, model 1)": the brand
  // string alone does not tell microarchitectures apart (virtual machines often show a
  // generic one), and a tuned config is only known to be best on the one it ran on.
  std::string cpu_name() const;
};

// ISA level names accepted by BITFORGE_MAX_ISA on this architecture, lowest first.
std::vector<std::string> isa_levels(Arch arch);

// What the hardware and OS support, uncapped.
CpuFeatures detect_cpu_features();
// `features` with everything above `level` cleared; throws Error for an unknown level.
CpuFeatures cap_cpu_features(CpuFeatures features, std::string_view level);
// The detected features capped by the BITFORGE_MAX_ISA environment variable (read on
// every call, so tests can change it). An unknown value is an Error naming the allowed ones.
CpuFeatures host_cpu_features();

}  // namespace bitforge
