#include "core/cpu_features.hpp"

#include <algorithm>
#include <cstdlib>

#include "core/error.hpp"

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace bitforge {

std::vector<std::string> isa_levels(Arch arch) {
  switch (arch) {
    case Arch::x86_64: return {"scalar", "avx2", "avx512"};
    case Arch::aarch64: return {"scalar", "neon", "dotprod"};
    case Arch::other: return {"scalar"};
  }
  return {"scalar"};
}

std::string CpuFeatures::isa_level() const {
  if (arch == Arch::x86_64) {
    if (avx512f && avx512bw && avx512vl) return "avx512";
    if (avx2 && fma) return "avx2";
  } else if (arch == Arch::aarch64) {
    if (dotprod) return "dotprod";
    if (neon) return "neon";
  }
  return "scalar";
}

std::string CpuFeatures::describe() const {
  std::vector<std::string> flags;
  auto add = [&](bool on, const char* name) {
    if (on) flags.emplace_back(name);
  };
  add(popcnt, "popcnt");
  add(avx2, "avx2");
  add(fma, "fma");
  add(avx512f, "avx512f");
  add(avx512bw, "avx512bw");
  add(avx512vl, "avx512vl");
  add(avx512vpopcntdq, "avx512vpopcntdq");
  add(avx512vnni, "avx512vnni");
  add(avx512bitalg, "avx512bitalg");
  add(neon, "neon");
  add(dotprod, "dotprod");
  const char* arch_name = arch == Arch::x86_64 ? "x86-64" : arch == Arch::aarch64 ? "aarch64" : "other";
  std::string s = fmt::format("{} {} [{}]", arch_name, isa_level(), fmt::join(flags, " "));
  if (!cap.empty()) s += fmt::format(" (capped at {} by BITFORGE_MAX_ISA)", cap);
  return s;
}

std::string CpuFeatures::cpu_name() const {
  if (arch != Arch::x86_64) return brand;
  return fmt::format("{} (family {}, model {})", brand, family, model);
}

CpuFeatures detect_cpu_features() {
  CpuFeatures f;
#if defined(__x86_64__)
  f.arch = Arch::x86_64;
  unsigned a = 0, b = 0, c = 0, d = 0;
  unsigned max_leaf = __get_cpuid_max(0, nullptr);
  __cpuid(1, a, b, c, d);
  // Display family and model (Intel SDM / AMD APM): the extended fields count only for
  // base family 15 (family) and families 6 and 15 (model).
  const int base_family = (a >> 8) & 0xf, base_model = (a >> 4) & 0xf;
  f.family = base_family == 0xf ? base_family + static_cast<int>((a >> 20) & 0xff) : base_family;
  f.model = base_family == 0x6 || base_family == 0xf ? base_model + static_cast<int>(((a >> 16) & 0xf) << 4) : base_model;
  f.popcnt = (c & bit_POPCNT) != 0;
  bool osxsave = (c & bit_OSXSAVE) != 0;
  bool has_fma = (c & bit_FMA) != 0;
  // The OS must save YMM (bits 1-2) for AVX and opmask/ZMM (bits 5-7) for AVX-512.
  unsigned long long xcr0 = 0;
  if (osxsave) {
    unsigned lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    xcr0 = (static_cast<unsigned long long>(hi) << 32) | lo;
  }
  bool os_ymm = (xcr0 & 0x6) == 0x6;
  bool os_zmm = os_ymm && (xcr0 & 0xe0) == 0xe0;
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    f.avx2 = os_ymm && (b & bit_AVX2) != 0;
    f.fma = os_ymm && has_fma;
    f.avx512f = os_zmm && (b & bit_AVX512F) != 0;
    f.avx512bw = os_zmm && (b & bit_AVX512BW) != 0;
    f.avx512vl = os_zmm && (b & bit_AVX512VL) != 0;
    f.avx512vnni = os_zmm && (c & bit_AVX512VNNI) != 0;
    f.avx512bitalg = os_zmm && (c & bit_AVX512BITALG) != 0;
    f.avx512vpopcntdq = os_zmm && (c & bit_AVX512VPOPCNTDQ) != 0;
  }
  char brand[49] = {};
  if (__get_cpuid_max(0x80000000, nullptr) >= 0x80000004) {
    for (unsigned i = 0; i < 3; ++i) {
      __cpuid(0x80000002 + i, a, b, c, d);
      unsigned regs[4] = {a, b, c, d};
      std::copy_n(reinterpret_cast<const char*>(regs), 16, brand + 16 * i);
    }
  }
  f.brand = brand;
  f.brand.erase(0, f.brand.find_first_not_of(' '));
#elif defined(__aarch64__)
  f.arch = Arch::aarch64;
  unsigned long hwcap = getauxval(AT_HWCAP);
  f.neon = (hwcap & HWCAP_ASIMD) != 0;
  f.dotprod = (hwcap & HWCAP_ASIMDDP) != 0;
  f.brand = "aarch64";
#endif
  return f;
}

CpuFeatures cap_cpu_features(CpuFeatures f, std::string_view level) {
  std::vector<std::string> levels = isa_levels(f.arch);
  auto it = std::find(levels.begin(), levels.end(), level);
  if (it == levels.end())
    fail("BITFORGE_MAX_ISA='{}' is not an ISA level of this machine (allowed: {})", level,
         fmt::join(levels, ", "));
  auto rank = it - levels.begin();
  if (f.arch == Arch::x86_64) {
    if (rank < 2)
      f.avx512f = f.avx512bw = f.avx512vl = f.avx512vpopcntdq = f.avx512vnni = f.avx512bitalg =
          false;
    if (rank < 1) f.avx2 = f.fma = false;
  } else if (f.arch == Arch::aarch64) {
    if (rank < 2) f.dotprod = false;
    if (rank < 1) f.neon = false;
  }
  f.cap = std::string(level);
  return f;
}

CpuFeatures host_cpu_features() {
  static const CpuFeatures detected = detect_cpu_features();
  const char* cap = std::getenv("BITFORGE_MAX_ISA");
  if (cap == nullptr || *cap == '\0') return detected;
  return cap_cpu_features(detected, cap);
}

}  // namespace bitforge
