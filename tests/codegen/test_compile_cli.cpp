// `bitforge compile`: writes a deployable library + header for a workload and target, and
// refuses bad input with one line on stderr, exit code 2 and no files written.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/cli_support.hpp"
#include "codegen/codegen.hpp"

namespace bitforge {
namespace {

using cli_test::run_bitforge;
using cli_test::TempDir;

const std::string kKey = "conv2d_u1b1_mb1ic64ih8iw8oc32kh3kw3ph1pw1_nhwc_hwio_thr-b1-pack-u64-bit3";

// The files a successful compile of kernel `name` leaves, and nothing else (no scratch).
std::set<std::string> deployed_files(const std::string& name) {
  return {"lib" + name + ".a", name + ".h", name + "_prepare.h", name + "_run.h",
          "HalideRuntime.h"};
}

std::string kernel_line(const std::string& out) {
  const auto at = out.find("kernel");
  if (at == std::string::npos) return "";
  std::string line = out.substr(at, out.find('\n', at) - at);
  return line.substr(line.find_last_of(' ') + 1);
}

TEST(CompileCli, DefaultConfigWritesLibraryAndHeader) {
  TempDir dir;
  const auto r = run_bitforge(
      {"compile", "--key", kKey, "--target", "arm-64-linux", "-o", dir.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string name = kernel_line(r.out);
  ASSERT_FALSE(name.empty()) << r.out;
  EXPECT_EQ(dir.entries(), deployed_files(name));
  for (const std::string& f : deployed_files(name))
    EXPECT_NE(r.out.find(dir.file(f)), std::string::npos) << f;
  const std::string header = cli_test::read_bytes(dir.file(name + ".h"));
  EXPECT_NE(header.find("// workload: " + kKey + "\n"), std::string::npos);
  EXPECT_NE(header.find(name + "_run_raw("), std::string::npos);
  const Workload wl = parse_workload_key(kKey);
  const CodegenTarget target = resolve_target("arm-64-linux");
  const ScheduleSpace space = schedule_space(wl, target);
  EXPECT_NE(header.find("// config:   " + space.to_json(space.default_config()).dump() + "\n"),
            std::string::npos);
}

TEST(CompileCli, JsonConfigIsCompiled) {
  const Workload wl = parse_workload_key(kKey);
  const ScheduleSpace space = schedule_space(wl, resolve_target("arm-64-linux"));
  // A config other than the default, as a JSON file of every knob's value.
  Config config = space.default_config();
  for (std::uint64_t i = 0; i < space.size() && config == space.default_config(); ++i)
    config = space.at(i);
  ASSERT_NE(config, space.default_config());
  TempDir dir;
  cli_test::write_bytes(dir.file("config.json"), space.to_json(config).dump());
  const std::string out = (dir.path() / "out").string();
  std::filesystem::create_directory(out);
  const auto r = run_bitforge({"compile", "--key", kKey, "--config", dir.file("config.json"),
                               "--target", "arm-64-linux", "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string name = kernel_line(r.out);
  const std::string header = cli_test::read_bytes(out + "/" + name + ".h");
  EXPECT_NE(header.find("// config:   " + space.to_json(config).dump() + "\n"), std::string::npos)
      << header;
}

// A refusal: exit 2, exactly one line on stderr containing every `needles`, nothing
// written into the output directory.
void expect_refused(const std::vector<std::string>& args, const TempDir& out,
                    const std::vector<std::string>& needles) {
  const std::set<std::string> before = out.entries();
  const auto r = run_bitforge(args);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(cli_test::count_newlines(r.err), 1) << r.err;
  for (const std::string& n : needles)
    EXPECT_NE(r.err.find(n), std::string::npos) << "'" << n << "' not in: " << r.err;
  EXPECT_EQ(out.entries(), before);
}

TEST(CompileCli, RefusesUnknownKeyField) {
  TempDir dir;
  expect_refused({"compile", "--key", "conv2d_u1b1_mb1ic8ih4iw4oc8kh3kw3zz2_nchw_oihw_i32",
                  "--target", "arm-64-linux", "-o", dir.path().string()},
                 dir, {"zz"});
}

TEST(CompileCli, RefusesKnobValueOutsideItsSet) {
  const Workload wl = parse_workload_key(kKey);
  const ScheduleSpace space = schedule_space(wl, resolve_target("arm-64-linux"));
  const Knob& knob = space.knobs().front();
  TempDir dir;
  cli_test::write_bytes(dir.file("bad.json"), nlohmann::json{{knob.name, "not-a-value"}}.dump());
  TempDir empty;
  expect_refused({"compile", "--key", kKey, "--config", dir.file("bad.json"), "--target",
                  "arm-64-linux", "-o", empty.path().string()},
                 empty,
                 {"knob '" + knob.name + "'", "not-a-value", "allowed: " + knob.values.front()});
}

TEST(CompileCli, RefusesUnknownTarget) {
  TempDir dir;
  expect_refused({"compile", "--key", kKey, "--target", "riscv-64", "-o", dir.path().string()}, dir,
                 {"riscv-64", "arm-64-linux", "x86-64-avx2"});
}

TEST(CompileCli, RefusesMissingOutputDirectory) {
  TempDir dir;
  const std::string missing = dir.file("no-such-dir");
  expect_refused({"compile", "--key", kKey, "--target", "arm-64-linux", "-o", missing}, dir,
                 {missing});
}

TEST(CompileCli, RefusesOutputThatIsNotADirectory) {
  TempDir dir;
  cli_test::write_bytes(dir.file("file"), "x");
  expect_refused({"compile", "--key", kKey, "--target", "arm-64-linux", "-o", dir.file("file")},
                 dir, {dir.file("file"), "not a directory"});
}

// A directory nothing can be created in (procfs refuses new entries, even to root): the
// file-system error must reach the user as a refusal, not an abort.
TEST(CompileCli, RefusesUnwritableOutputDirectory) {
  if (!std::filesystem::is_directory("/proc/self")) GTEST_SKIP() << "no procfs at /proc";
  const auto r =
      run_bitforge({"compile", "--key", kKey, "--target", "arm-64-linux", "-o", "/proc"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(cli_test::count_newlines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("cannot write kernel files into '/proc'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace bitforge
