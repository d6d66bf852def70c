// bitforge codegen: code-generation targets.
//
// `host` is this machine's best ISA capped by BITFORGE_MAX_ISA (JIT); `x86-64-avx2`,
// `x86-64-avx512` (with VPOPCNTDQ and VNNI: Halide's Sapphire-Rapids feature level),
// `x86-64-avx512-skylake` (Skylake-SP's AVX-512, without them) and `arm-64-linux` name
// targets for ahead-of-time compilation (and JIT where this machine can run them). A
// name means the same code on every machine that compiles it. The mapping to Halide
// targets lives here and nowhere else.
#pragma once

#include <string>
#include <vector>

namespace Halide {
struct Target;
}

namespace bitforge {

struct CodegenTarget {
  std::string name;        // the resolved name: "x86-64-avx512", never "host"
  std::string halide;      // Halide target string, e.g. "x86-64-linux-avx512_sapphirerapids"
  std::string isa;         // "scalar", "avx2", "avx512", "neon", "dotprod"
  bool vector_popcount = false;  // a native vector popcount (VPOPCNTDQ or NEON cnt)
  int vector_bits = 128;         // natural vector width
  bool runs_here = false;  // can this process JIT-compile and run it?

  Halide::Target halide_target() const;
};

std::vector<std::string> target_names();  // host, x86-64-avx2, x86-64-avx512[-skylake], arm-64-linux
// Resolves a target name; Error naming the allowed names otherwise.
CodegenTarget resolve_target(const std::string& name);

}  // namespace bitforge
