// Ahead-of-time kernels for x86-64 work outside bitforge: compiled with
// compile_kernel_aot, linked by the host g++ into an application that uses only the
// generated header's raw-pointer API (tests/codegen/arm/aot_driver.cpp), run natively,
// and compared with the reference. Skipped where this machine cannot run the target.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "aot_support.hpp"

namespace bitforge {
namespace {

void check_target(const std::string& target_name, const std::vector<std::string>& keys) {
  const CodegenTarget target = resolve_target(target_name);
  if (!target.runs_here) GTEST_SKIP() << "this machine cannot run " << target.name << " code";
  const auto cxx = testing::find_program("g++");
  if (!cxx) GTEST_SKIP() << "g++ is not installed";
  std::vector<testing::GeneratedCase> cases;
  for (const std::string& key : keys) {
    const Workload wl = parse_workload_key(key);
    const ScheduleSpace space = schedule_space(wl, target);
    testing::Rng rng(7);
    // A sampled (usually non-default) config: the default is what the JIT tests use most.
    // Microkernels are JIT-only (compile_kernel_aot refuses them).
    std::map<std::string, std::string> fixed;
    for (const Knob& k : space.knobs())
      if (k.name == "microkernel") fixed[k.name] = "none";
    cases.push_back({wl, space.sample([&] { return rng.next(); }, fixed)});
  }
  const testing::ScratchDir root("bitforge_aot_x86_");
  const testing::Toolchain tc{*cxx, {"-lpthread", "-ldl"}, {}};
  for (const std::string& f : testing::run_aot_cases(cases, target, tc, root.path(), 2))
    ADD_FAILURE() << f;
}

TEST(X86Aot, HostKernelsMatchReference) {
  check_target("host", {"conv2d_u2b1_mb1ic64ih8iw8oc32kh3kw3ph1pw1_nhwc_hwio_thr-b1-pack-u64-bit3",
                        "dense_b1b1_mb3ic200oc40_affine-clip"});
}

TEST(X86Aot, Avx2KernelsMatchReference) {
  check_target("x86-64-avx2", {"conv2d_b1b2_mb1ic33ih7iw7oc16kh3kw3ph1pw1_nchw_oihw_i32",
                               "conv2d_u8s8_mb1ic16ih6iw6oc8kh3kw3_nhwc_oihw_affine"});
}

// The header is the deployment interface: it must be valid, warning-free C99 and C++
// (the raw API is meant for C applications too), whatever the epilogue's parameters.
TEST(X86Aot, HeaderIsWarningFreeC99AndCxx) {
  const auto gcc = testing::find_program("gcc"), gxx = testing::find_program("g++");
  if (!gcc || !gxx) GTEST_SKIP() << "gcc / g++ is not installed";
  const testing::ScratchDir dir("bitforge_aot_header_");
  // Assembly-only use of the target: arm-64-linux compiles on any host.
  const CodegenTarget target = resolve_target("arm-64-linux");
  for (const char* key :
       {"conv2d_b1b1_mb1ic32ih6iw6oc16kh3kw3ph1pw1_nchw_oihw_thr-b2",
        "dense_u2b1_mb2ic64oc8_affine-clip", "conv2d_f32f32_mb1ic3ih5iw5oc4kh3kw3_nhwc_hwio_f32"}) {
    const Workload wl = parse_workload_key(key);
    const std::string name = compile_kernel_aot(wl, schedule_space(wl, target).default_config(),
                                                target, dir.path().string());
    const std::string source = (dir.path() / (name + "_use.c")).string();
    std::ofstream(source) << "#include \"" << name << ".h\"\n";
    struct Language {
      std::string compiler, name, standard;
    };
    for (const Language& lang :
         {Language{*gcc, "c", "-std=c99"}, Language{*gxx, "c++", "-std=c++17"}}) {
      const std::vector<std::string> cmd = {
          lang.compiler, "-x",        lang.name, lang.standard,   "-Wall",
          "-Wextra",     "-pedantic", "-Werror", "-fsyntax-only", "-I" + dir.path().string(),
          source};
      const testing::Completed c = testing::run(cmd, dir.path() / "log");
      EXPECT_EQ(c.status, 0) << key << " as " << lang.standard << ":\n" << c.output;
    }
  }
}

}  // namespace
}  // namespace bitforge
