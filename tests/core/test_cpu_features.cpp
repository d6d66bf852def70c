#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "core/cpu_features.hpp"
#include "core/error.hpp"

namespace bitforge {
namespace {

// The kernel's view of the CPU flags, an independent source to check cpuid decoding.
std::set<std::string> proc_cpuinfo_flags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) == 0 || line.rfind("Features", 0) == 0) {
      std::istringstream words(line.substr(line.find(':') + 1));
      std::set<std::string> flags;
      for (std::string w; words >> w;) flags.insert(w);
      return flags;
    }
  }
  return {};
}

class EnvGuard {
 public:
  explicit EnvGuard(const char* value) {
    if (const char* old = std::getenv("BITFORGE_MAX_ISA")) old_ = old;
    if (value) setenv("BITFORGE_MAX_ISA", value, 1); else unsetenv("BITFORGE_MAX_ISA");
  }
  ~EnvGuard() {
    if (old_.empty()) unsetenv("BITFORGE_MAX_ISA"); else setenv("BITFORGE_MAX_ISA", old_.c_str(), 1);
  }

 private:
  std::string old_;
};

TEST(CpuFeatures, AgreeWithProcCpuinfo) {
  CpuFeatures f = detect_cpu_features();
  auto flags = proc_cpuinfo_flags();
  if (flags.empty()) GTEST_SKIP() << "no /proc/cpuinfo flags on this system";
  if (f.arch == Arch::x86_64) {
    EXPECT_EQ(f.popcnt, flags.count("popcnt") == 1);
    EXPECT_EQ(f.avx2, flags.count("avx2") == 1);
    EXPECT_EQ(f.avx512f, flags.count("avx512f") == 1);
    EXPECT_EQ(f.avx512bw, flags.count("avx512bw") == 1);
    EXPECT_EQ(f.avx512vl, flags.count("avx512vl") == 1);
    EXPECT_EQ(f.avx512vpopcntdq, flags.count("avx512_vpopcntdq") == 1);
    EXPECT_EQ(f.avx512vnni, flags.count("avx512_vnni") == 1);
    EXPECT_EQ(f.avx512bitalg, flags.count("avx512_bitalg") == 1);
  } else if (f.arch == Arch::aarch64) {
    EXPECT_EQ(f.neon, flags.count("asimd") == 1);
    EXPECT_EQ(f.dotprod, flags.count("asimddp") == 1);
  }
}

// The value of the first "name : value" line of /proc/cpuinfo, or "".
std::string proc_cpuinfo_field(const std::string& name) {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos || line.rfind(name, 0) != 0) continue;
    if (line.find_first_not_of(" \t", name.size()) != colon) continue;
    return line.substr(line.find_first_not_of(' ', colon + 1));
  }
  return "";
}

// Tuning records name the CPU by its brand, family and model (cpuid's display values,
// which Linux prints as "cpu family" and "model").
TEST(CpuFeatures, CpuNameHasTheFamilyAndModelLinuxReports) {
  const CpuFeatures f = detect_cpu_features();
  if (f.arch != Arch::x86_64) GTEST_SKIP() << "family and model are x86's";
  const std::string family = proc_cpuinfo_field("cpu family"), model = proc_cpuinfo_field("model");
  if (family.empty() || model.empty()) GTEST_SKIP() << "no family and model in /proc/cpuinfo";
  EXPECT_EQ(std::to_string(f.family), family);
  EXPECT_EQ(std::to_string(f.model), model);
  EXPECT_EQ(f.cpu_name(), f.brand + " (family " + family + ", model " + model + ")");
  // The cap changes what runs, not which CPU it runs on.
  EXPECT_EQ(cap_cpu_features(f, "scalar").cpu_name(), f.cpu_name());
}

TEST(CpuFeatures, CapClearsEverythingAboveTheLevel) {
  CpuFeatures all;
  all.arch = Arch::x86_64;
  all.popcnt = all.avx2 = all.fma = all.avx512f = all.avx512bw = all.avx512vl = true;
  all.avx512vpopcntdq = all.avx512vnni = all.avx512bitalg = true;
  EXPECT_EQ(all.isa_level(), "avx512");
  CpuFeatures avx2 = cap_cpu_features(all, "avx2");
  EXPECT_EQ(avx2.isa_level(), "avx2");
  EXPECT_FALSE(avx2.avx512vpopcntdq || avx2.avx512vnni || avx2.avx512f);
  EXPECT_TRUE(avx2.avx2 && avx2.popcnt);
  CpuFeatures scalar = cap_cpu_features(all, "scalar");
  EXPECT_EQ(scalar.isa_level(), "scalar");
  EXPECT_FALSE(scalar.avx2 || scalar.fma);
  EXPECT_TRUE(scalar.popcnt) << "scalar popcnt is not SIMD and survives the cap";
  EXPECT_EQ(cap_cpu_features(all, "avx512").describe(), all.describe() + " (capped at avx512 by BITFORGE_MAX_ISA)");
}

TEST(CpuFeatures, EnvironmentCapIsReadAndUnknownLevelsAreRefused) {
  {
    EnvGuard env("scalar");
    EXPECT_EQ(host_cpu_features().isa_level(), "scalar");
    EXPECT_EQ(host_cpu_features().cap, "scalar");
  }
  {
    EnvGuard env("avx3");
    try {
      host_cpu_features();
      FAIL() << "an unknown level must be refused";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("avx3"), std::string::npos);
      EXPECT_NE(std::string(e.what()).find("allowed: scalar"), std::string::npos);
    }
  }
  {
    EnvGuard env(nullptr);
    EXPECT_EQ(host_cpu_features().isa_level(), detect_cpu_features().isa_level());
  }
}

}  // namespace
}  // namespace bitforge
