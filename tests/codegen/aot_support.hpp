// Helpers of the ahead-of-time tests: compile a kernel with compile_kernel_aot, build the
// stand-alone driver (tests/codegen/arm/aot_driver.cpp) against the generated library
// with a real toolchain, run it (natively or under qemu), and compare its output with
// the reference.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "codegen/codegen.hpp"
#include "generated_cases.hpp"

namespace bitforge::testing {

// How to build and run an application for a target.
struct Toolchain {
  std::string cxx;                      // compiler driver, e.g. "aarch64-linux-gnu-g++"
  std::vector<std::string> link_flags;  // e.g. {"-static", "-lpthread", "-ldl"}
  std::vector<std::string> runner;      // e.g. {"qemu-aarch64"}; empty: run natively
};

struct Completed {
  int status = -1;     // exit code, or 128 + signal number
  std::string output;  // stdout and stderr together
};
// Runs argv (no shell), stdout and stderr captured into the file `log`.
Completed run(const std::vector<std::string>& argv, const std::filesystem::path& log);

// The full path of `program` on $PATH, if it is there.
std::optional<std::string> find_program(const std::string& program);

// The element type compile_kernel_aot's raw API takes for activations / weights (the
// same rule as the JIT kernel's input_dtype(); restated here because the test must not
// trust the code it checks).
DType aot_input_dtype(const Workload& wl);
DType aot_weight_dtype(const Workload& wl);

// One (workload, config) through the whole AOT flow in its own subdirectory of `root`:
// compile_kernel_aot, checks that the library and headers exist and that the header
// names the workload, the driver built with `tc` and run on random operands (`seed`),
// and its output compared with the reference. Returns the failure with the case in it.
::testing::AssertionResult aot_matches_reference(const GeneratedCase& c,
                                                 const CodegenTarget& target, const Toolchain& tc,
                                                 const std::filesystem::path& root,
                                                 std::uint64_t seed);

// Runs every case through aot_matches_reference on `threads` threads and returns the
// failures (one message each; empty if all passed).
std::vector<std::string> run_aot_cases(const std::vector<GeneratedCase>& cases,
                                       const CodegenTarget& target, const Toolchain& tc,
                                       const std::filesystem::path& root, int threads);

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace bitforge::testing
