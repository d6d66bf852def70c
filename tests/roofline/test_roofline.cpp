// The roofline module: machine model JSON, per-workload bounds on hand-computed workloads,
// the probes (they run and give sane numbers; their machine code is what it claims), and
// the `bitforge roofline` / `bitforge analyze` commands. Speed itself is never asserted.
#include <fmt/ranges.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <regex>
#include <sstream>

#include "cli/cli_support.hpp"
#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "roofline/bounds.hpp"
#include "roofline/machine_model.hpp"
#include "roofline/probe_kernels.hpp"
#include "roofline/probes.hpp"
#include "test_util.hpp"

namespace bitforge::roofline {
namespace {

using ::testing::HasSubstr;

// Sets an environment variable for one test and restores it.
class EnvGuard {
 public:
  EnvGuard(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~EnvGuard() {
    if (had_)
      setenv(name_.c_str(), old_.c_str(), 1);
    else
      unsetenv(name_.c_str());
  }

 private:
  std::string name_, old_;
  bool had_ = false;
};

// A machine with round numbers, so every bound below can be computed by hand.
MachineModel synthetic_machine() {
  MachineModel m;
  m.cpu = "Synthetic CPU";
  m.isa_level = "avx512";
  m.flags = {"popcnt",          "avx2",      "fma", "avx512f", "avx512bw", "avx512vl",
             "avx512vpopcntdq", "avx512vnni"};
  m.cores = 2;
  m.clock_ghz = 3.0;
  m.measured_at = "2024-01-02T03:04:05Z";
  m.compute = {
      {"f32_fma", "vfmadd231ps zmm", "avx512", 200, 400},
      {"u8s8_vnni", "vpdpbusd zmm", "avx512", 800, 1600},
      {"u8s8_amx", "tdpbusd", "amx", 4000, 6000},
      {"s16_madd", "vpmaddwd+vpaddd zmm", "avx512", 300, 600},
      {"popcount_vpopcntdq", "vpandq+vpopcntq+vpaddq zmm", "avx512", 1000, 1800},
      {"popcount_avx2_lookup", "vpshufb", "avx2", 500, 1000},
      {"popcount_scalar", "popcnt", "scalar", 100, 200},
  };
  m.memory = {
      {"L1", 48 << 10, 1, 24 << 10, 400, 800, 200, 400, ""},
      {"L2", 2 << 20, 1, 1 << 20, 150, 300, 50, 100, ""},
      {"L3", std::int64_t{480} << 20, 2, 32 << 20, 40, 60, 20, 30, ""},
      {"DRAM", 0, 0, std::int64_t{960} << 20, 12, 15, 8, 10, ""},
  };
  return m;
}

// ResNet-18 C2 at u2 x b1: 115,605,504 MACs.
Workload c2(const char* types = "u2b1") {
  return parse_workload_key(
      fmt::format("conv2d_{}_mb1ic64ih56iw56oc64kh3kw3ph1pw1_nchw_oihw_i32", types));
}

using testing::error_of;

// ---- machine model JSON ------------------------------------------------------------------

TEST(rooflineModelJson, RoundTripIsExact) {
  MachineModel m = synthetic_machine();
  m.clock_ghz = 0.1 + 0.2;  // not representable in few digits
  m.compute[0].gops_one_core = 1.0 / 3.0;
  m.compute[1].gops_all_cores = 123456789.123456789;
  m.memory[3].note = "buffer 8 MiB not larger than L3 (480 MiB): \"quoted\" \\ and ünïcode";
  m.quick = true;
  const MachineModel back = machine_model_from_json(to_json(m), "m.json");
  EXPECT_EQ(back, m);
  EXPECT_EQ(to_json(back), to_json(m));
}

TEST(rooflineModelJson, MalformedIsRefusedNamingTheFile) {
  const std::string good = to_json(synthetic_machine());
  auto without = [&](const std::string& field) {
    auto j = good;
    const std::size_t at = j.find("\"" + field + "\"");
    const std::size_t end = j.find('\n', at);
    return j.erase(at, end - at + 1);
  };
  const std::map<std::string, std::pair<std::string, std::string>> cases = {
      {"not json", {"{ cpu: ", "not valid JSON"}},
      {"array", {"[1, 2]", "not a JSON object"}},
      {"no cpu", {without("cpu"), "missing field 'cpu'"}},
      {"bad version",
       {std::regex_replace(good, std::regex("\"version\": 2"), "\"version\": 99"), "version 99"}},
      {"negative rate",
       {std::regex_replace(good, std::regex("\"gops_one_core\": 200(\\.0)?"),
                           "\"gops_one_core\": -5"),
        "gops_one_core"}},
      {"string rate",
       {std::regex_replace(good, std::regex("\"read_gbps_one_core\": 400(\\.0)?"),
                           "\"read_gbps_one_core\": \"fast\""),
        "memory[0].read_gbps_one_core"}},
      {"bad level", {std::regex_replace(good, std::regex("\"L2\""), "\"L9\""), "'L9'"}},
      {"no write rate", {without("write_gbps_one_core"), "write_gbps_one_core"}},
      {"duplicate peak",
       {std::regex_replace(good, std::regex("\"s16_madd\""), "\"f32_fma\""), "twice"}},
  };
  for (const auto& [name, c] : cases) {
    const std::string msg =
        error_of([&] { machine_model_from_json(c.first, "/some/dir/model.json"); });
    EXPECT_THAT(msg, HasSubstr("/some/dir/model.json")) << name;
    EXPECT_THAT(msg, HasSubstr(c.second)) << name;
  }
}

TEST(rooflineModelJson, LoadAndSave) {
  cli_test::TempDir dir;
  EXPECT_FALSE(load_machine_model(dir.file("missing.json")).has_value());
  const std::string path = dir.file("sub/dir/model.json");  // directories are created
  save_machine_model(synthetic_machine(), path);
  EXPECT_EQ(load_machine_model(path), synthetic_machine());
  write_file_atomically(dir.file("broken.json"), "{\"format\": \"bitforge-machine-model\"");
  EXPECT_THAT(error_of([&] { load_machine_model(dir.file("broken.json")); }),
              HasSubstr("broken.json"));
  // The default path follows the environment.
  EnvGuard env("BITFORGE_MACHINE_MODEL", path.c_str());
  EXPECT_EQ(default_machine_model_path(), path);
  EXPECT_EQ(load_machine_model(), synthetic_machine());
}

// ---- bounds --------------------------------------------------------------------------------

TEST(rooflineBounds, BitSerialComputeBoundByHand) {
  const Bound b = bound(c2(), ImplKind::BitSerial, synthetic_machine(), 1);
  EXPECT_EQ(b.ops, 2.0 * 115605504);
  EXPECT_EQ(b.compute_peak, "popcount_vpopcntdq");
  EXPECT_EQ(b.planes, 2);                 // u2 x b1
  EXPECT_DOUBLE_EQ(b.compute_gops, 500);  // 1000 / 2 planes
  EXPECT_DOUBLE_EQ(b.compute_seconds, 2.0 * 115605504 / 500e9);
  EXPECT_DOUBLE_EQ(b.input_bytes, 64.0 * 56 * 56);       // u8 levels
  EXPECT_DOUBLE_EQ(b.weight_bytes, 64.0 * 64 * 9 / 8);   // one bit each
  EXPECT_DOUBLE_EQ(b.output_bytes, 4.0 * 64 * 56 * 56);  // int32
  const double bytes = 200704 + 4608 + 802816;
  EXPECT_DOUBLE_EQ(b.bytes, bytes);
  EXPECT_DOUBLE_EQ(b.intensity, b.ops / bytes);
  // 1.0 MB: over L1 (48 KiB), within L2 (2 MiB): L1 and L2 must move it, the operands
  // read, the output written; the slower direction counts.
  ASSERT_EQ(b.memory.size(), 2u);
  EXPECT_EQ(b.memory[0].level, "L1");
  EXPECT_DOUBLE_EQ(b.memory[0].read_bytes, 200704 + 4608);
  EXPECT_DOUBLE_EQ(b.memory[0].write_bytes, 802816);
  EXPECT_DOUBLE_EQ(b.memory[0].read_seconds, (200704 + 4608) / 400e9);
  EXPECT_DOUBLE_EQ(b.memory[0].write_seconds, 802816 / 200e9);
  EXPECT_DOUBLE_EQ(b.memory[0].seconds, 802816 / 200e9);
  EXPECT_EQ(b.memory[1].level, "L2");
  EXPECT_DOUBLE_EQ(b.memory[1].seconds, 802816 / 50e9);
  EXPECT_EQ(b.binding, "compute");
  EXPECT_DOUBLE_EQ(b.best_seconds, b.compute_seconds);
}

TEST(rooflineBounds, PlanesDivideThePopcountPeak) {
  const MachineModel m = synthetic_machine();
  for (const char* types : {"u1b1", "u2b1", "u2b2", "u3b2", "u8b8"}) {
    const Bound b = bound(c2(types), ImplKind::BitSerial, m, 1);
    const auto w = std::get<Conv2d>(c2(types));
    EXPECT_EQ(b.planes, w.act.bits * w.wgt.bits) << types;
    EXPECT_DOUBLE_EQ(b.compute_gops, 1000.0 / b.planes) << types;
  }
}

TEST(rooflineBounds, BestPopcountAvailableIsUsed) {
  MachineModel m = synthetic_machine();
  std::erase_if(m.compute, [](const ComputePeak& p) {
    return p.name == "popcount_vpopcntdq";
  });  // an AVX2 model
  const Bound b = bound(c2("u1b1"), ImplKind::BitSerial, m, 1);
  EXPECT_EQ(b.compute_peak, "popcount_avx2_lookup");
  EXPECT_DOUBLE_EQ(b.compute_gops, 500);
}

TEST(rooflineBounds, ThreadsScaleOneCoreCappedByAllCores) {
  const MachineModel m = synthetic_machine();
  const Bound b = bound(c2("u1b1"), ImplKind::BitSerial, m, 2);
  EXPECT_DOUBLE_EQ(b.compute_gops, 1800);   // min(2 x 1000, 1800)
  EXPECT_DOUBLE_EQ(b.memory[0].read_gbps, 800);   // min(2 x 400, 800)
  EXPECT_DOUBLE_EQ(b.memory[0].write_gbps, 400);  // min(2 x 200, 400)
  const Bound b8 =
      bound(c2("u1b1"), ImplKind::BitSerial, m, 8);  // more threads than cores: all cores
  EXPECT_DOUBLE_EQ(b8.compute_gops, 1800);
  EXPECT_DOUBLE_EQ(bound(c2("u1b1"), ImplKind::OnednnF32, m, 2).compute_gops, 400);
}

TEST(rooflineBounds, FloatAndIntegerStorage) {
  const MachineModel m = synthetic_machine();
  const Bound f = bound(c2(), ImplKind::OnednnF32, m, 1);
  EXPECT_EQ(f.compute_peak, "f32_fma");
  EXPECT_DOUBLE_EQ(f.bytes, 4.0 * (200704 + 36864 + 200704));
  const Bound i16 = bound(c2(), ImplKind::Int16, m, 1);
  EXPECT_EQ(i16.compute_peak, "s16_madd");
  EXPECT_DOUBLE_EQ(i16.bytes, 2.0 * 200704 + 2.0 * 36864 + 4.0 * 200704);
  const Bound u8 = bound(c2(), ImplKind::OnednnU8S8, m, 1);
  EXPECT_EQ(u8.compute_peak, "u8s8_amx");  // the best of AMX and VNNI
  EXPECT_DOUBLE_EQ(u8.compute_gops, 4000);
  EXPECT_DOUBLE_EQ(u8.bytes, 200704.0 + 36864 + 4.0 * 200704);
}

TEST(rooflineBounds, MemoryBoundLevels) {
  const MachineModel m = synthetic_machine();
  // A 4096 x 4096 float32 dense layer: 67 MB of weights, from L3 (480 MiB).
  const Workload dense = parse_workload_key("dense_f32f32_mb1ic4096oc4096_f32");
  const Bound b = bound(dense, ImplKind::OnednnF32, m, 1);
  const double reads = 4.0 * (4096 + 4096.0 * 4096);  // input and weights; the output is written
  ASSERT_EQ(b.memory.size(), 3u);
  EXPECT_EQ(b.memory[2].level, "L3");
  EXPECT_DOUBLE_EQ(b.memory[2].seconds, reads / 40e9);
  EXPECT_EQ(b.binding, "L3");
  EXPECT_DOUBLE_EQ(b.best_seconds, reads / 40e9);
  // 16384 x 16384: 1.07 GB, beyond L3: DRAM binds.
  const Bound big =
      bound(parse_workload_key("dense_f32f32_mb1ic16384oc16384_f32"), ImplKind::OnednnF32, m, 1);
  ASSERT_EQ(big.memory.size(), 4u);
  EXPECT_EQ(big.binding, "DRAM");
  // Two threads hold twice the private L2: a 3 MiB working set stops at L2.
  const Workload mid = parse_workload_key("dense_f32f32_mb1ic1024oc768_f32");  // 3.15 MB
  EXPECT_EQ(bound(mid, ImplKind::OnednnF32, m, 1).memory.back().level, "L3");
  EXPECT_EQ(bound(mid, ImplKind::OnednnF32, m, 2).memory.back().level, "L2");
}

// A 1x1 layer's int32 output is four bytes per 64 binary MACs: where writing L2 is slow
// enough, the writes bind, not the popcounts.
TEST(rooflineBounds, OutputWritesCanBind) {
  MachineModel m = synthetic_machine();
  const Workload c3 = parse_workload_key("conv2d_u1b1_mb1ic64ih56iw56oc64kh1kw1_nchw_oihw_i32");
  const double compute = 2.0 * 56 * 56 * 64 * 64 / 1000e9, writes = 4.0 * 64 * 56 * 56;
  EXPECT_EQ(bound(c3, ImplKind::BitSerial, m, 1).binding, "compute");  // 16 us at 50 GB/s < 25.7 us
  m.memory[1].write_gbps_one_core = 20;
  const Bound b = bound(c3, ImplKind::BitSerial, m, 1);
  EXPECT_EQ(b.binding, "L2");
  EXPECT_DOUBLE_EQ(b.best_seconds, writes / 20e9);
  EXPECT_GT(b.best_seconds, compute);
  EXPECT_LT(b.memory[1].read_seconds, b.memory[1].write_seconds);
}

TEST(rooflineBounds, MissingPeakOrWrongTypesAreErrors) {
  MachineModel m = synthetic_machine();
  std::erase_if(m.compute, [](const ComputePeak& p) { return p.name.starts_with("u8s8"); });
  EXPECT_THAT(error_of([&] { bound(c2(), ImplKind::OnednnU8S8, m, 1); }), HasSubstr("u8s8_vnni"));
  m.compute.clear();
  EXPECT_THAT(error_of([&] { bound(c2(), ImplKind::BitSerial, m, 1); }),
              HasSubstr("popcount_vpopcntdq"));
  Conv2d f32 = std::get<Conv2d>(c2());
  f32.act = f32.wgt = OperandType::parse("f32");
  EXPECT_THAT(error_of([&] { bound(f32, ImplKind::BitSerial, synthetic_machine(), 1); }),
              HasSubstr("low-bit"));
  EXPECT_THAT(error_of([&] { bound(c2(), ImplKind::BitSerial, synthetic_machine(), 0); }),
              HasSubstr("thread"));
}

// ---- probes --------------------------------------------------------------------------------

ProbeOptions tiny_probes() {
  ProbeOptions o;
  o.quick = true;
  o.seconds_per_probe = 0.002;
  o.repeats = 1;
  o.max_buffer_bytes = 4 << 20;
  return o;
}

void expect_sane(const MachineModel& m) {
  EXPECT_TRUE(std::isfinite(m.clock_ghz) && m.clock_ghz > 0.1) << m.clock_ghz;
  EXPECT_GE(m.cores, 1);
  for (const ComputePeak& p : m.compute) {
    EXPECT_TRUE(std::isfinite(p.gops_one_core) && p.gops_one_core > 0) << p.name;
    EXPECT_TRUE(std::isfinite(p.gops_all_cores) && p.gops_all_cores > 0) << p.name;
  }
  ASSERT_FALSE(m.memory.empty());
  EXPECT_EQ(m.memory.front().name, "L1");
  EXPECT_EQ(m.memory.back().name, "DRAM");
  for (const MemoryLevel& l : m.memory) {
    EXPECT_TRUE(std::isfinite(l.read_gbps_one_core) && l.read_gbps_one_core > 0) << l.name;
    EXPECT_TRUE(std::isfinite(l.read_gbps_all_cores) && l.read_gbps_all_cores > 0) << l.name;
    EXPECT_TRUE(std::isfinite(l.write_gbps_one_core) && l.write_gbps_one_core > 0) << l.name;
    EXPECT_TRUE(std::isfinite(l.write_gbps_all_cores) && l.write_gbps_all_cores > 0) << l.name;
    EXPECT_GT(l.buffer_bytes, 0) << l.name;
  }
  // 4 MiB is no DRAM buffer on any machine with a cache of that size: the model says so.
  if (m.memory.size() > 2) {
    EXPECT_THAT(m.memory.back().note, HasSubstr("not larger than"));
  }
}

TEST(rooflineProbes, GivePositiveFiniteRates) {
  EnvGuard cap("BITFORGE_MAX_ISA", nullptr);
  const MachineModel m = probe_machine(tiny_probes());
  expect_sane(m);
  const CpuFeatures f = host_cpu_features();
  EXPECT_EQ(m.isa_level, f.isa_level());
  EXPECT_EQ(m.cpu, f.brand);
  EXPECT_EQ(m.peak("popcount_scalar") != nullptr, f.popcnt);
  EXPECT_EQ(m.peak("popcount_vpopcntdq") != nullptr,
            f.isa_level() == "avx512" && f.avx512vpopcntdq);
  EXPECT_EQ(m.peak("u8s8_vnni") != nullptr, f.isa_level() == "avx512" && f.avx512vnni);
  if (f.isa_level() == "avx512") {
    EXPECT_NE(m.peak("f32_fma_avx2"), nullptr);
  }
  // The probe's own model survives its JSON.
  EXPECT_EQ(machine_model_from_json(to_json(m), "probed"), m);
}

TEST(rooflineProbes, HonourTheIsaCap) {
  if (host_cpu_features().isa_level() == "scalar") GTEST_SKIP() << "no AVX2 here";
  EnvGuard cap("BITFORGE_MAX_ISA", "avx2");
  const MachineModel m = probe_machine(tiny_probes());
  expect_sane(m);
  EXPECT_EQ(m.isa_level, "avx2");
  for (const ComputePeak& p : m.compute) {
    EXPECT_TRUE(p.isa == "avx2" || p.isa == "scalar") << p.name << " " << p.isa;
    EXPECT_FALSE(p.name.ends_with("_avx2"))
        << p.name;  // the ymm variants are the canonical ones here
  }
  EXPECT_NE(m.peak("popcount_avx2_lookup"), nullptr);
  EXPECT_NE(m.peak("f32_fma"), nullptr);
  EXPECT_EQ(m.peak("u8s8_amx"), nullptr);
  // A bit-serial bound on this model uses the faster of the popcounts AVX2 has (tiny
  // probes on a loaded machine may rank the scalar one first), never VPOPCNTDQ.
  const ComputePeak* lookup = m.peak("popcount_avx2_lookup");
  const ComputePeak* scalar = m.peak("popcount_scalar");
  const bool lookup_faster = scalar == nullptr || lookup->gops_one_core >= scalar->gops_one_core;
  EXPECT_EQ(bound(c2(), ImplKind::BitSerial, m, 1).compute_peak,
            lookup_faster ? "popcount_avx2_lookup" : "popcount_scalar");
}

TEST(rooflineProbes, ScalarLevelUsesTheX86Baseline) {
  if (host_cpu_features().arch != Arch::x86_64) GTEST_SKIP() << "x86 only";
  EnvGuard cap("BITFORGE_MAX_ISA", "scalar");
  const MachineModel m = probe_machine(tiny_probes());
  expect_sane(m);
  EXPECT_EQ(m.isa_level, "scalar");
  for (const ComputePeak& p : m.compute) EXPECT_EQ(p.isa, "scalar") << p.name;
  ASSERT_NE(m.peak("f32_fma"), nullptr);
  EXPECT_THAT(m.peak("f32_fma")->instruction, HasSubstr("mulps"));  // SSE2 has no FMA
  EXPECT_NE(m.peak("s16_madd"), nullptr);
  EXPECT_EQ(m.peak("popcount_scalar") != nullptr, host_cpu_features().popcnt);
}

TEST(rooflineProbes, RefuseMoreThreadsThanCpus) {
  ProbeOptions o = tiny_probes();
  o.threads = 100000;
  EXPECT_THAT(error_of([&] { probe_machine(o); }), HasSubstr("100000"));
}

// ---- the machine code of the probes --------------------------------------------------------

struct Insn {
  std::uint64_t address;
  std::string text;
};

// The disassembly of every bitforge_probe_* function of this test binary.
std::map<std::string, std::vector<Insn>> probe_disassembly() {
  const std::string cmd =
      "objdump -d --no-show-raw-insn /proc/" + std::to_string(::getpid()) + "/exe 2>/dev/null";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  std::map<std::string, std::vector<Insn>> out;
  if (!pipe) return out;
  static const std::regex header(R"(^[0-9a-f]+ <(bitforge_probe_\w+)>:)");
  static const std::regex insn(R"(^\s+([0-9a-f]+):\s+(.*)$)");
  std::string current;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, pipe)) {
    std::string line(buf);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    std::smatch m;
    if (std::regex_search(line, m, header))
      current = m[1];
    else if (line.empty() || !std::isspace(static_cast<unsigned char>(line[0])))
      current.clear();
    else if (!current.empty() && std::regex_match(line, m, insn))
      out[current].push_back({std::stoull(m[1], nullptr, 16), m[2]});
  }
  ::pclose(pipe);
  return out;
}

int count_matching(const std::vector<Insn>& code, const std::string& pattern) {
  const std::regex re(pattern);
  int n = 0;
  for (const Insn& x : code) n += std::regex_search(x.text, re) ? 1 : 0;
  return n;
}

// The hot loop: the shortest range closed by a backward conditional branch that contains
// an instruction matching `pattern` (the kernel's characteristic instruction).
std::vector<Insn> hot_loop(const std::vector<Insn>& code, const std::string& pattern) {
  static const std::regex branch(R"(^j(?!mp)\w+\s+([0-9a-f]+))");
  std::vector<Insn> best;
  for (std::size_t i = 0; i < code.size(); ++i) {
    std::smatch m;
    if (!std::regex_search(code[i].text, m, branch)) continue;
    const std::uint64_t target = std::stoull(m[1], nullptr, 16);
    if (target > code[i].address) continue;
    std::vector<Insn> body;
    for (const Insn& x : code)
      if (x.address >= target && x.address <= code[i].address) body.push_back(x);
    if (count_matching(body, pattern) > 0 && (best.empty() || body.size() < best.size()))
      best = body;
  }
  return best;
}

TEST(rooflineProbeCode, InnerLoopsRunTheIntendedInstructionsInRegisters) {
  const auto code = probe_disassembly();
  if (code.empty()) GTEST_SKIP() << "objdump is not available";
  // Symbol -> instructions (regex, minimum count in the inner loop). The minimum is the
  // kernel's number of independent accumulators: none was merged or dropped.
  const std::map<std::string, std::vector<std::pair<std::string, int>>> expected = {
      {"bitforge_probe_f32_fma_zmm", {{R"(^vfmadd\w+ps .*%zmm)", 12}}},
      {"bitforge_probe_f32_fma_ymm", {{R"(^vfmadd\w+ps .*%ymm)", 10}}},
      {"bitforge_probe_f32_mul_add_xmm", {{R"(^mulps .*%xmm)", 6}, {R"(^addps .*%xmm)", 6}}},
      {"bitforge_probe_u8s8_vnni_zmm", {{R"(^vpdpbusd .*%zmm)", 12}}},
      {"bitforge_probe_u8s8_amx", {{R"(^tdpbusd %tmm)", 4}}},
      {"bitforge_probe_u8s8_pmaddubsw_zmm",
       {{R"(^vpmaddubsw .*%zmm)", 8}, {R"(^vpmaddwd .*%zmm)", 8}, {R"(^vpaddd .*%zmm)", 8}}},
      {"bitforge_probe_u8s8_pmaddubsw_ymm",
       {{R"(^vpmaddubsw .*%ymm)", 4}, {R"(^vpmaddwd .*%ymm)", 4}}},
      {"bitforge_probe_s16_madd_zmm", {{R"(^vpmaddwd .*%zmm)", 8}, {R"(^vpaddd .*%zmm)", 8}}},
      {"bitforge_probe_s16_madd_ymm", {{R"(^vpmaddwd .*%ymm)", 4}, {R"(^vpaddd .*%ymm)", 4}}},
      {"bitforge_probe_s16_madd_xmm", {{R"(^pmaddwd .*%xmm)", 4}, {R"(^paddd .*%xmm)", 4}}},
      {"bitforge_probe_popcount_vpopcntdq_zmm",
       {{R"(^vpopcntq .*%zmm)", 12},
        {R"(^(vpand[dq]?|vpternlog[dq]) .*%zmm)", 12},
        {R"(^vpaddq .*%zmm)", 12}}},
      {"bitforge_probe_popcount_avx2_lookup_ymm",
       {{R"(^vpshufb .*%ymm)", 6}, {R"(^vpand .*%ymm)", 9}}},
      {"bitforge_probe_popcount_scalar", {{R"(^popcnt )", 4}, {R"(^and )", 4}}},
      {"bitforge_probe_read_zmm", {{R"(^vpaddq .*\(.*%zmm)", 8}}},
      {"bitforge_probe_read_ymm", {{R"(^vpaddq .*\(.*%ymm)", 8}}},
      {"bitforge_probe_read_xmm", {{R"(^paddq .*\(.*%xmm)", 8}}},
      {"bitforge_probe_write_zmm", {{R"(^vmovdq[au]64 %zmm\d+,.*\()", 8}}},
      {"bitforge_probe_write_ymm", {{R"(^vmovdq[au] %ymm\d+,.*\()", 8}}},
      {"bitforge_probe_write_xmm", {{R"(^mov(dq[au]|[au]ps) %xmm\d+,.*\()", 8}}},
  };
  for (const detail::ComputeProbe& p : detail::all_compute_probes())
    EXPECT_TRUE(expected.count(p.symbol)) << p.symbol << " has no expectation here";
  for (const auto& [symbol, wants] : expected) {
    SCOPED_TRACE(symbol);
    ASSERT_TRUE(code.count(symbol)) << "not in the binary";
    const std::vector<Insn> loop = hot_loop(code.at(symbol), wants.front().first);
    ASSERT_FALSE(loop.empty()) << "no loop runs " << wants.front().first;
    std::string listing;
    for (const Insn& x : loop) listing += "  " + x.text + "\n";
    for (const auto& [pattern, minimum] : wants)
      EXPECT_GE(count_matching(loop, pattern), minimum) << pattern << " in\n" << listing;
    // Accumulators and weights stay in registers: no stack access in the loop.
    EXPECT_EQ(count_matching(loop, R"(\(%r[sb]p)"), 0) << "spills in\n" << listing;
  }
  // The lookup popcount widens its byte counts with vpsadbw (outside the innermost loop).
  EXPECT_GE(count_matching(code.at("bitforge_probe_popcount_avx2_lookup_ymm"), R"(^vpsadbw )"), 3);
}

// ---- the commands ----------------------------------------------------------------------------

TEST(rooflineCli, QuickWritesAParseableModel) {
  cli_test::TempDir dir;
  EnvGuard env("BITFORGE_MACHINE_MODEL", dir.file("default.json").c_str());
  const cli_test::RunResult r =
      cli_test::run_bitforge({"roofline", "--quick", "--json", dir.file("model.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const MachineModel m = machine_model_from_json(read_file(dir.file("model.json")), "model.json");
  EXPECT_EQ(m.cpu, host_cpu_features().brand);
  EXPECT_TRUE(m.quick);
  EXPECT_FALSE(m.compute.empty());
  EXPECT_EQ(load_machine_model(dir.file("default.json")), m);  // the stored model too
  EXPECT_THAT(r.out, HasSubstr("compute peak"));
  EXPECT_THAT(r.out, HasSubstr("DRAM"));
  for (const ComputePeak& p : m.compute) EXPECT_THAT(r.out, HasSubstr(p.name));
  // No temporary file is left behind.
  EXPECT_EQ(dir.entries(), (std::set<std::string>{"default.json", "model.json"}));
}

TEST(rooflineAnalyzeCli, RefusesBadInputWithOneLine) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"analyze", "conv2d_nonsense"},
           {"analyze", "resnet18:C99", "--bound-only"},
           {"analyze", "nosuchsuite:C2", "--bound-only"},
           {"analyze", "resnet18:C2", "--act", "u9", "--bound-only"},
           {"analyze", "resnet18:C2", "--act", "b2", "--wgt", "b1", "--bound-only"},
           {"analyze", "resnet18:C2", "--impls", "w1a1,fast", "--bound-only"},
           {"analyze", "resnet18:C2", "--model", "/nonexistent/model.json", "--bound-only"},
       }) {
    const std::string cmd = fmt::format("{}", fmt::join(args, " "));
    const cli_test::RunResult r = cli_test::run_bitforge(args);
    EXPECT_EQ(r.exit_code, 2) << cmd;
    EXPECT_EQ(cli_test::count_newlines(r.err), 1) << cmd << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << cmd << ": " << r.out;
  }
}

TEST(rooflineAnalyzeCli, BoundsFromAGivenModel) {
  cli_test::TempDir dir;
  save_machine_model(synthetic_machine(), dir.file("m.json"));
  const cli_test::RunResult r =
      cli_test::run_bitforge({"analyze", "resnet18:C2", "--act", "u2", "--wgt", "b1", "--model",
                              dir.file("m.json"), "--bound-only"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out,
              HasSubstr("conv2d_u2b1_mb1ic64ih56iw56oc64kh3kw3ph1pw1_nchw_oihw_i32 (resnet18:C2)"));
  EXPECT_THAT(r.out, HasSubstr("231.211 Mop"));
  // w1a2 on the synthetic machine: 231.2 Mop at 1000 / 2 GOP/s = 462.4 µs
  // (BitSerialComputeBoundByHand).
  EXPECT_THAT(r.out, HasSubstr("w1a2: compute-bound"));
  EXPECT_THAT(r.out, HasSubstr("462.4 µs"));
  EXPECT_THAT(r.out, HasSubstr("onednn-u8s8"));
  EXPECT_THAT(r.out, HasSubstr("u8s8_amx"));
}

}  // namespace
}  // namespace bitforge::roofline
