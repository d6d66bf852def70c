#include "codegen/target.hpp"

#include <Halide.h>

#include "core/cpu_features.hpp"
#include "core/error.hpp"

namespace bitforge {

namespace {
// "x86-64-avx512" is the AVX-512 level with VPOPCNTDQ and VNNI (Ice Lake, Zen 4, Sapphire
// Rapids), which Halide 14 spells avx512_sapphirerapids: its only feature level whose LLVM
// CPU has the vector popcount. AVX-512 without them (Skylake-SP) is a target of its own,
// so that a target name means the same code whichever machine compiles it (a tuning
// record or an AOT object made on one machine is valid on another).
bool has_avx512_popcnt(const CpuFeatures& f) { return f.avx512vpopcntdq && f.avx512vnni; }

CodegenTarget x86(const std::string& name, const CpuFeatures& host) {
  CodegenTarget t;
  t.name = name;
  if (name == "x86-64-avx512" || name == "x86-64-avx512-skylake") {
    const bool popcnt = name == "x86-64-avx512";
    t.isa = "avx512";
    t.halide = popcnt ? "x86-64-linux-sse41-avx-avx2-fma-f16c-avx512-avx512_skylake-avx512_cannonlake-avx512_sapphirerapids"
                      : "x86-64-linux-sse41-avx-avx2-fma-f16c-avx512-avx512_skylake";
    t.vector_popcount = popcnt;
    t.vector_bits = 512;
    t.runs_here = host.isa_level() == "avx512" && (!popcnt || has_avx512_popcnt(host));
  } else if (name == "x86-64-avx2") {
    t.isa = "avx2";
    t.halide = "x86-64-linux-sse41-avx-avx2-fma-f16c";
    t.vector_bits = 256;
    t.runs_here = host.avx2 && host.fma;
  } else {
    t.isa = "scalar";
    t.halide = "x86-64-linux";
    t.runs_here = host.arch == Arch::x86_64;
  }
  return t;
}

// The x86 target of an ISA level on this host.
std::string x86_target_name(const CpuFeatures& host) {
  const std::string isa = host.isa_level();
  if (isa == "avx512") return has_avx512_popcnt(host) ? "x86-64-avx512" : "x86-64-avx512-skylake";
  if (isa == "avx2") return "x86-64-avx2";
  return "x86-64-scalar";
}
}  // namespace

Halide::Target CodegenTarget::halide_target() const { return Halide::Target(halide); }

std::vector<std::string> target_names() { return {"host", "x86-64-avx2", "x86-64-avx512", "x86-64-avx512-skylake", "arm-64-linux"}; }

CodegenTarget resolve_target(const std::string& name) {
  const CpuFeatures host = host_cpu_features();
  if (name == "host") {
    if (host.arch == Arch::x86_64) return x86(x86_target_name(host), host);
    if (host.arch == Arch::aarch64) {
      CodegenTarget t = resolve_target("arm-64-linux");
      if (host.dotprod) t.halide += "-arm_dot_prod";
      t.isa = host.isa_level();
      return t;
    }
    fail("the host architecture has no code-generation target (allowed targets: {})",
         fmt::join(target_names(), ", "));
  }
  if (name == "x86-64-avx2" || name == "x86-64-avx512" || name == "x86-64-avx512-skylake") return x86(name, host);
  if (name == "arm-64-linux") {
    CodegenTarget t;
    t.name = name;
    t.halide = "arm-64-linux";
    t.isa = "neon";
    t.vector_popcount = true;  // NEON cnt on bytes
    t.vector_bits = 128;
    t.runs_here = host.arch == Arch::aarch64;
    return t;
  }
  fail("unknown target '{}' (allowed: {})", name, fmt::join(target_names(), ", "));
}

}  // namespace bitforge
