// bitforge roofline (internal): the probe kernels — the loops whose speed is measured.
//
// Each compute kernel runs one instruction mix the way a register-tiled convolution inner
// loop does: one operand vector is loaded per iteration (cycling over 1 KiB, so it is never
// a compile-time constant and never loop-invariant) and combined with R register-resident
// weight vectors into R independent accumulators. R is chosen so that latency x ports is
// covered while everything still fits in the register file (no spills; the test reads the
// disassembly). Every accumulator is summed into the return value, which the caller
// consumes, so nothing can be dropped.
// The kernels have C names (`bitforge_probe_...`) so that the test can find them in the
// disassembly; each is compiled for its own ISA with a target attribute, so the library
// builds for generic x86-64 and a kernel is only called when the CPU has its ISA.
// What it is not: the timing, threading and calibration around them (probes.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/cpu_features.hpp"

namespace bitforge::roofline::detail {

// The operand buffer every compute kernel reads: kOperandBytes bytes, 64-byte aligned;
// bytes [0, 4096) random, bytes [4096, 8192) floats in [0.5, 1) (so the FMA chains neither
// overflow nor become denormal, which would slow them down).
inline constexpr std::int64_t kOperandBytes = 8192;

// Runs `iters` iterations; returns a value derived from every accumulator.
using ComputeKernel = std::uint64_t (*)(const std::uint8_t* operands, std::int64_t iters);

struct ComputeProbe {
  std::string name;         // the ComputePeak name (machine_model.hpp)
  const char* instruction;  // the inner loop, for the table and the JSON
  const char* isa;          // "avx512", "avx2", "amx", "scalar"
  const char* symbol;       // the kernel's C name (for the disassembly test)
  double ops_per_iter;      // operations (1 MAC = 2) of one iteration
  ComputeKernel kernel;
};

// The mixes `features` allows, in table order (widest first within a family). AMX is
// listed only when the CPU has AMX-INT8, the ISA level is avx512 and the OS granted this
// process the tile state (request_amx_permission()).
std::vector<ComputeProbe> compute_probes(const CpuFeatures& features, bool amx_permitted);
// Every kernel this build has, whatever the CPU (for the disassembly test).
std::vector<ComputeProbe> all_compute_probes();

// Reads `bytes` (a multiple of kReadChunk) of `buffer` `passes` times with the widest loads
// the ISA level allows, as four interleaved streams summed into eight accumulators.
inline constexpr std::int64_t kReadChunk = 512;
using ReadKernel = std::uint64_t (*)(const std::uint8_t* buffer, std::int64_t bytes,
                                     std::int64_t passes);
struct ReadProbe {
  const char* instruction;
  const char* symbol;
  ReadKernel kernel;
};
ReadProbe read_probe(const CpuFeatures& features);
// Writes `bytes` (a multiple of kReadChunk) of `buffer` `passes` times with the widest
// aligned stores the ISA level allows, as the read probe's four streams; returns a byte of
// the buffer.
using WriteKernel = std::uint64_t (*)(std::uint8_t* buffer, std::int64_t bytes, std::int64_t passes);
struct WriteProbe {
  const char* instruction;
  const char* symbol;
  WriteKernel kernel;
};
WriteProbe write_probe(const CpuFeatures& features);

// A chain of dependent register adds: `iters` x kClockAddsPerIter adds, one per cycle.
inline constexpr int kClockAddsPerIter = 100;
std::uint64_t clock_kernel(std::int64_t iters);

// AMX-INT8 present and enabled by the OS (cpuid + XCR0), uncapped.
bool cpu_has_amx_int8();
// Asks Linux for the AMX tile-data state (arch_prctl ARCH_REQ_XCOMP_PERM); once per process.
// False when the CPU lacks AMX or the kernel refuses.
bool request_amx_permission();

}  // namespace bitforge::roofline::detail
