#include "codegen/target.hpp"

#include <Halide.h>

#include "core/cpu_features.hpp"
#include "core/error.hpp"

namespace bitforge {

namespace {
// "avx512" with VPOPCNTDQ and VNNI maps to Halide's avx512_sapphirerapids: it is the only
// Halide 14 feature level whose LLVM CPU has VPOPCNTDQ (vector popcount) and VNNI.
bool has_avx512_popcnt(const CpuFeatures& f) { return f.avx512vpopcntdq && f.avx512vnni; }

CodegenTarget x86(const std::string& isa, const CpuFeatures& host) {
  CodegenTarget t;
  t.isa = isa;
  if (isa == "avx512") {
    t.name = "x86-64-avx512";
    const bool popcnt = has_avx512_popcnt(detect_cpu_features());
    t.halide = popcnt ? "x86-64-linux-sse41-avx-avx2-fma-f16c-avx512-avx512_skylake-avx512_cannonlake-avx512_sapphirerapids"
                      : "x86-64-linux-sse41-avx-avx2-fma-f16c-avx512-avx512_skylake";
    t.vector_popcount = popcnt;
    t.vector_bits = 512;
    t.runs_here = host.isa_level() == "avx512" && (!popcnt || has_avx512_popcnt(host));
  } else if (isa == "avx2") {
    t.name = "x86-64-avx2";
    t.halide = "x86-64-linux-sse41-avx-avx2-fma-f16c";
    t.vector_bits = 256;
    t.runs_here = host.avx2 && host.fma;
  } else {
    t.name = "x86-64-scalar";
    t.halide = "x86-64-linux";
    t.runs_here = host.arch == Arch::x86_64;
  }
  return t;
}
}  // namespace

Halide::Target CodegenTarget::halide_target() const { return Halide::Target(halide); }

std::vector<std::string> target_names() { return {"host", "x86-64-avx2", "x86-64-avx512", "arm-64-linux"}; }

CodegenTarget resolve_target(const std::string& name) {
  const CpuFeatures host = host_cpu_features();
  if (name == "host") {
    if (host.arch == Arch::x86_64) return x86(host.isa_level(), host);
    if (host.arch == Arch::aarch64) {
      CodegenTarget t = resolve_target("arm-64-linux");
      if (host.dotprod) t.halide += "-arm_dot_prod";
      t.isa = host.isa_level();
      return t;
    }
    fail("the host architecture has no code-generation target (allowed targets: {})",
         fmt::join(target_names(), ", "));
  }
  if (name == "x86-64-avx2") return x86("avx2", host);
  if (name == "x86-64-avx512") return x86("avx512", host);
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
