// bench: the oneDNN baselines and the generated implementations against the reference on
// small edge-case layers, implementation names, the operand types each runs at, the
// interleaved timing loop, and `bitforge bench` end to end with its refusals. Speed is
// never asserted.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>

#include "bench/bench_run.hpp"
#include "bench/conv_support.hpp"
#include "bench/implementation.hpp"
#include "bench/report.hpp"
#include "cli/cli_support.hpp"
#include "codegen/codegen.hpp"
#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "ops/suites.hpp"
#include "roofline/machine_model.hpp"
#include "roofline/probes.hpp"
#include "tune/records.hpp"

namespace bitforge {
namespace {

using bench::prepare_conv;
using bench::PreparedConv;

// Small layers that sweep what a convolution can do: non-square input, non-square kernel,
// stride 2 with asymmetric padding, 1x1, batch 2, groups with dilation, NHWC / HWIO.
struct Layer {
  const char* name;
  Conv2d conv;
};

Conv2d conv(std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w, std::int64_t o,
            std::int64_t kh, std::int64_t kw) {
  Conv2d wl;
  wl.act = OperandType::parse("u1");
  wl.wgt = OperandType::parse("b1");
  wl.n = n, wl.c = c, wl.h = h, wl.w = w, wl.o = o, wl.kh = kh, wl.kw = kw;
  return wl;
}

std::vector<Layer> shapes() {
  std::vector<Layer> s;
  Conv2d a = conv(1, 8, 9, 7, 6, 3, 3);
  a.pad_top = a.pad_left = a.pad_bottom = a.pad_right = 1;
  s.push_back({"pad1_nonsquare", a});
  Conv2d b = conv(1, 5, 11, 10, 7, 3, 2);
  b.stride_h = 2;
  b.pad_top = 1, b.pad_left = 0, b.pad_bottom = 2, b.pad_right = 1;
  s.push_back({"stride2_asympad_k3x2", b});
  s.push_back({"1x1", conv(1, 16, 6, 6, 12, 1, 1)});
  Conv2d d = conv(2, 4, 8, 8, 8, 3, 3);
  d.stride_h = d.stride_w = 2;
  d.pad_top = d.pad_left = d.pad_bottom = d.pad_right = 1;
  s.push_back({"batch2_stride2", d});
  Conv2d e = conv(1, 8, 10, 10, 6, 3, 3);
  e.groups = 2;
  e.dilation_h = e.dilation_w = 2;
  e.pad_top = e.pad_left = e.pad_bottom = e.pad_right = 2;
  s.push_back({"groups2_dilation2", e});
  Conv2d f = conv(1, 6, 7, 7, 5, 3, 3);
  f.pad_top = f.pad_left = f.pad_bottom = f.pad_right = 1;
  f.layout = ActLayout::NHWC;
  f.weight_layout = WgtLayout::HWIO;
  s.push_back({"nhwc_hwio", f});
  return s;
}

struct Case {
  std::string impl;
  Layer shape;
};

// How ctest and failures name a case (instead of its bytes).
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.impl << " on " << c.shape.name;
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string n = info.param.impl + "_" + info.param.shape.name;
  for (char& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

// Without the shipped records: these small layers have none, and dispatch would read them
// for nothing.
bench::PrepareOptions no_tophub() {
  return {.logs = {}, .use_tophub = false};
}

class PreparedMatchesReference : public ::testing::TestWithParam<Case> {};

// Construction runs the implementation once on the operands it is timed on and compares
// with the reference (exactly; float32 within tolerance): not throwing is the check.
TEST_P(PreparedMatchesReference, OnSmallLayers) {
  const Case& c = GetParam();
  std::unique_ptr<PreparedConv> p;
  ASSERT_NO_THROW(p = prepare_conv(c.impl, c.shape.conv, 1, no_tophub()));
  EXPECT_EQ(p->implementation(), c.impl);
  const Conv2d& wl = std::get<Conv2d>(p->workload());
  EXPECT_EQ(wl.n, c.shape.conv.n);
  EXPECT_EQ(wl.out_h(), c.shape.conv.out_h());
  EXPECT_EQ(wl.out_w(), c.shape.conv.out_w());
  EXPECT_FALSE(p->detail().empty());
  p->run();  // the timed call runs again on the prepared operands
}

std::vector<Case> onednn_cases() {
  std::vector<Case> cases;
  for (const char* impl : {"onednn-f32", "onednn-u8s8"})
    for (const Layer& s : shapes()) cases.push_back({impl, s});
  return cases;
}
INSTANTIATE_TEST_SUITE_P(Onednn, PreparedMatchesReference, ::testing::ValuesIn(onednn_cases()),
                         case_name);

std::vector<Case> generated_cases() {
  std::vector<Case> cases;
  for (const char* impl : {"w1a1", "int16"})
    for (const Layer& s : shapes()) cases.push_back({impl, s});
  const std::vector<Layer> all = shapes();
  for (const char* impl : {"w1a2", "w2a2", "w3a1"}) {
    cases.push_back({impl, all[1]});
    cases.push_back({impl, all[5]});
  }
  return cases;
}
INSTANTIATE_TEST_SUITE_P(Generated, PreparedMatchesReference,
                         ::testing::ValuesIn(generated_cases()), case_name);

TEST(BenchImplementations, OneDnnDetailNamesTheImplementationItPicked) {
  const auto p = prepare_conv("onednn-f32", shapes()[0].conv, 1);
  // oneDNN's implementation string, e.g. "brgconv:avx512_core" or "jit:avx2".
  EXPECT_NE(p->detail().find(':'), std::string::npos) << p->detail();
  EXPECT_EQ(p->kind(), roofline::ImplKind::OnednnF32);
  EXPECT_EQ(prepare_conv("onednn-u8s8", shapes()[0].conv, 1)->kind(),
            roofline::ImplKind::OnednnU8S8);
}

TEST(BenchImplementations, NamesAreCheckedWithTheAllowedOnesInTheMessage) {
  for (const std::string& ok : bench::default_implementations())
    EXPECT_NO_THROW(bench::check_implementation_name(ok));
  for (const char* ok : {"w8a8", "w3a5", "w1a8"})
    EXPECT_NO_THROW(bench::check_implementation_name(ok));
  for (const char* bad :
       {"w9a1", "w0a1", "w1a0", "w1a1x", "W1A1", "onednn", "int8", "onednn-s8s8", ""}) {
    try {
      bench::check_implementation_name(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(std::string("'") + bad + "'"), std::string::npos) << what;
      EXPECT_NE(what.find("onednn-u8s8"), std::string::npos) << what;
    }
  }
  EXPECT_THROW(prepare_conv("w9a9", shapes()[0].conv, 1), Error);
  EXPECT_THROW(prepare_conv("w1a1", shapes()[0].conv, 0), Error);
}

TEST(BenchImplementations, OperandTypesOfEachImplementation) {
  const Conv2d layer = shapes()[0].conv;
  auto types = [&](const std::string& impl) {
    const Conv2d wl = bench::detail::typed_workload(impl, layer);
    return wl.act.name() + "x" + wl.wgt.name();
  };
  EXPECT_EQ(types("w1a1"), "u1xb1");
  EXPECT_EQ(types("w2a1"), "u1xb2");  // X: weight bits, Y: activation bits
  EXPECT_EQ(types("w1a2"), "u2xb1");
  EXPECT_EQ(types("onednn-u8s8"), "u8xs8");
  EXPECT_EQ(types("onednn-f32"), "f32xf32");

  // int16: the widest signed width the int32 overflow rule admits for the reduction.
  // resnet18 C2: 64 x 3 x 3 = 576 terms; 576 x 2^20 fits in int32, 576 x 2^22 does not.
  Conv2d c2 = conv(1, 64, 56, 56, 64, 3, 3);
  c2.pad_top = c2.pad_left = c2.pad_bottom = c2.pad_right = 1;
  EXPECT_EQ(bench::detail::typed_workload("int16", c2).act.name(), "s11");
  // One term: full-range s16 x s16 = 2^30 fits.
  EXPECT_EQ(bench::detail::typed_workload("int16", conv(1, 1, 4, 4, 2, 1, 1)).wgt.name(), "s16");
  // A bad shape is refused for what it is, not as an overflow.
  Conv2d bad = conv(1, 3, 4, 4, 2, 1, 1);
  bad.groups = 2;
  try {
    bench::detail::typed_workload("int16", bad);
    ADD_FAILURE() << "accepted groups that do not divide C";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find("overflow"), std::string::npos) << e.what();
  }
  EXPECT_NE(prepare_conv("int16", c2, 1, no_tophub())->detail().find("s11 x s11 as int16"),
            std::string::npos);
}

TEST(BenchImplementations, TheReferenceCheckRefusesAWrongOutput) {
  const Conv2d wl = bench::detail::typed_workload("w1a1", shapes()[0].conv);
  const auto ops = bench::detail::check_operands(wl);
  Tensor wrong = ops->expected.clone();
  wrong.data<std::int32_t>()[5] += 2;
  EXPECT_NO_THROW(bench::detail::check_output("w1a1", wl, ops->expected, ops->expected));
  try {
    bench::detail::check_output("w1a1", wl, wrong, ops->expected);
    ADD_FAILURE() << "a wrong output passed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(wl.key()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("element 5"), std::string::npos) << e.what();
  }
}

// Generated kernels use a record for the layer in other layouts when there is none for its
// own (a log tuned in NHWC / HWIO serves an NCHW suite layer).
TEST(BenchImplementations, GeneratedUsesARecordOfTheSameLayerInOtherLayouts) {
  cli_test::TempDir dir;
  const Conv2d layer = bench::detail::typed_workload("w1a1", shapes()[2].conv);  // NCHW / OIHW
  Conv2d nhwc = layer;
  nhwc.layout = ActLayout::NHWC;
  nhwc.weight_layout = WgtLayout::HWIO;
  const CodegenTarget host = resolve_target("host");
  TrialRecord r;
  r.key = nhwc.key();
  r.target = host.name;
  r.halide = host.halide;
  r.config = schedule_space(nhwc, host).default_config();
  r.costs = {1e-5};
  r.min_s = r.median_s = 1e-5;
  r.time = utc_timestamp();
  r.version = bitforge_version();
  const std::string log = dir.file("nhwc.jsonl");
  write_file_atomically(log, record_to_json_line(r) + "\n");

  const auto p = prepare_conv("w1a1", layer, 1, {.logs = {log}, .use_tophub = false});
  EXPECT_EQ(workload_key(p->workload()), nhwc.key());
  EXPECT_NE(p->detail().find("tuned config"), std::string::npos) << p->detail();
  // Without the log: its own layouts and the default config.
  const auto q = prepare_conv("w1a1", layer, 1, no_tophub());
  EXPECT_EQ(workload_key(q->workload()), layer.key());
  EXPECT_NE(q->detail().find("default config"), std::string::npos) << q->detail();
}

TEST(BenchImplementations, HalideThreadCountIsFixedOncePerProcess) {
  const Conv2d layer = shapes()[2].conv;
  ASSERT_NO_THROW(prepare_conv("w1a1", layer, 1, no_tophub()));
  try {
    prepare_conv("w1a1", layer, 2, no_tophub());
    ADD_FAILURE() << "a second thread count was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("once per process"), std::string::npos) << e.what();
  }
  // oneDNN's thread count is per primitive: any count is fine.
  EXPECT_NO_THROW(prepare_conv("onednn-f32", layer, 2));
}

// A stand-in implementation that records the order of its calls.
class FakeConv final : public PreparedConv {
 public:
  FakeConv(std::string name, std::vector<std::string>* calls)
      : name_(std::move(name)), calls_(calls) {}
  const std::string& implementation() const override { return name_; }
  const Workload& workload() const override { return wl_; }
  std::string detail() const override { return "fake"; }
  roofline::ImplKind kind() const override { return roofline::ImplKind::OnednnF32; }
  void run() override {
    calls_->push_back(name_);
    volatile double x = 0;
    for (int i = 0; i < 2000; ++i) x = x + i;  // a few microseconds
  }

 private:
  std::string name_;
  std::vector<std::string>* calls_;
  Workload wl_ = conv(1, 1, 1, 1, 1, 1, 1);
};

TEST(BenchTiming, InterleavesImplementationsAndMeetsBothMinimums) {
  std::vector<std::string> calls;
  FakeConv a("a", &calls), b("b", &calls);
  PreparedConv* convs[] = {&a, &b};
  const std::vector<bench::Timing> t = bench::time_interleaved(convs, 0.02, 7);
  ASSERT_EQ(t.size(), 2u);
  for (const bench::Timing& x : t) {
    EXPECT_GE(x.repeats, 7);
    EXPECT_GT(x.min_seconds, 0);
    EXPECT_LE(x.min_seconds, x.median_seconds);
  }
  // Warm-up a, b; then bursts alternate: "b" calls appear before the last "a" call.
  ASSERT_GE(calls.size(), 4u);
  EXPECT_EQ(calls[0], "a");
  EXPECT_EQ(calls[1], "b");
  std::size_t switches = 0;
  for (std::size_t i = 3; i < calls.size(); ++i) switches += calls[i] != calls[i - 1];
  EXPECT_GE(switches, 3u) << "implementations were timed in blocks, not interleaved";
  EXPECT_EQ(t[0].repeats + t[1].repeats + 2,
            static_cast<int>(calls.size()));  // warm-ups are not counted

  EXPECT_EQ(bench::time_runs(a, 0, 3).repeats, 3);
  EXPECT_THROW(bench::time_runs(a, -1, 3), Error);
  EXPECT_THROW(bench::time_runs(a, 0.1, 0), Error);
}

// A run of all 11 resnet18 layers with made-up times: every layer's w1a1 is 10x faster than
// onednn-f32 except C7 (4x), onednn-u8s8 is 5x faster than f32, and w1a1's roofline time is
// half its time (50%).
bench::BenchResult synthetic_result(const std::string& host_isa = "avx512") {
  bench::BenchResult r;
  r.options.implementations = {"w1a1", "onednn-f32", "onednn-u8s8"};
  r.host_isa = host_isa;
  r.cpu = "Test CPU";
  r.target = "x86-64-" + host_isa;
  r.onednn = "oneDNN 2.6.3 (avx512_core_amx)";
  for (const SuiteEntry& e :
       load_suite("resnet18", OperandType::parse("u1"), OperandType::parse("b1"))) {
    r.layers.push_back(e.name);
    const double f32 = 1e-3, w1a1 = e.name == "C7" ? f32 / 4 : f32 / 10;
    for (const auto& [impl, t] : std::vector<std::pair<std::string, double>>{
             {"w1a1", w1a1}, {"onednn-f32", f32}, {"onednn-u8s8", f32 / 5}}) {
      bench::Measurement m;
      m.layer = e.name;
      m.implementation = impl;
      m.key = workload_key(e.workload);
      m.detail = "test";
      m.timing = {t, t * 1.1, 5};
      m.ops = 2.0 * static_cast<double>(workload_macs(e.workload));
      if (impl == "w1a1") {
        m.bound_seconds = t / 2;
        m.roofline_pct = 50;
      }
      r.rows.push_back(m);
    }
  }
  return r;
}

TEST(BenchReport, GeometricMeansAndGoals) {
  const bench::BenchResult r = synthetic_result();
  const std::vector<bench::ImplSummary> s = bench::summarize(r);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].implementation, "w1a1");
  EXPECT_EQ(s[0].layers, 11);
  const double expected = std::exp((10 * std::log(10.0) + std::log(4.0)) / 11);
  EXPECT_NEAR(*s[0].speedup_f32, expected, 1e-9);
  EXPECT_NEAR(*s[0].speedup_u8s8, expected / 5, 1e-9);
  EXPECT_NEAR(*s[0].min_speedup_f32, 4, 1e-9);
  EXPECT_NEAR(*s[0].roofline_pct, 50, 1e-9);
  EXPECT_NEAR(*s[0].ceiling_f32, 2 * expected, 1e-9);  // at its roofline: twice as fast
  EXPECT_FALSE(s[1].speedup_f32.has_value());          // no speedup of a baseline over itself
  EXPECT_NEAR(*s[2].speedup_f32, 5, 1e-9);
  EXPECT_FALSE(s[1].roofline_pct.has_value());  // no bound for the baselines here

  const bench::GoalCheck g = bench::check_goals(r, s);
  // w1a1's four goals; w1a2 and w2a2 did not run.
  ASSERT_EQ(g.goals.size(), 4u) << g.scope;
  EXPECT_NE(g.goals[0].text.find(">= 15x"), std::string::npos);
  EXPECT_FALSE(g.goals[0].met());
  EXPECT_NEAR(*g.goals[0].ceiling, 2 * expected, 1e-9);
  EXPECT_FALSE(g.goals[1].met());  // 1.8x over u8s8 < 3.5x
  EXPECT_FALSE(g.goals[2].met());  // slowest layer 4x < 8x
  EXPECT_FALSE(g.goals[3].met());  // 50% < 60%

  const std::string report = bench::format_report(r, s, g);
  EXPECT_NE(report.find("NOT MET  w1a1 geomean speedup over onednn-f32 >= 15x: 9.20x"),
            std::string::npos)
      << report;
  EXPECT_NE(report.find("at its roofline it would be 18.40x"), std::string::npos) << report;

  // AVX2: one goal, and the note when oneDNN was not capped as well.
  bench::BenchResult avx2 = synthetic_result("avx2");
  avx2.onednn_above_avx2 = true;
  const bench::GoalCheck g2 = bench::check_goals(avx2, bench::summarize(avx2));
  ASSERT_EQ(g2.goals.size(), 1u);
  EXPECT_TRUE(g2.goals[0].met());  // 9.2x >= 5x
  EXPECT_NE(g2.scope.find("ONEDNN_MAX_CPU_ISA=AVX2"), std::string::npos) << g2.scope;

  // Not all 11 layers, or 2 threads: no goal is decided.
  bench::BenchResult two = synthetic_result();
  two.options.threads = 2;
  EXPECT_TRUE(bench::check_goals(two, bench::summarize(two)).goals.empty());
  bench::BenchResult some = synthetic_result();
  some.layers.pop_back();
  EXPECT_TRUE(bench::check_goals(some, bench::summarize(some)).goals.empty());
}

TEST(BenchReport, CsvHasTheRequiredColumnsAndOneRowPerMeasurement) {
  bench::BenchResult r = synthetic_result();
  r.rows[1].roofline_pct.reset();
  const std::string csv = bench::format_csv(r);
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "workload,implementation,threads,time_ms,gops,roofline_pct");
  int rows = 0;
  while (std::getline(in, line)) {
    ++rows;
    EXPECT_EQ(std::count(line.begin(), line.end(), ','), 5) << line;
  }
  EXPECT_EQ(rows, 33);
  EXPECT_NE(csv.find(r.rows[0].key + ",w1a1,1,0.100000,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",onednn-f32,1,1.000000,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",50.00\n"), std::string::npos);
}

// `bitforge bench` as users run it, on one small layer with a tiny timing budget. The
// machine model is a made-up one for this CPU (so nothing is probed and the user's cached
// model is left alone); the shipped tuning records are used as they are.
class BenchCli : public ::testing::Test {
 protected:
  void SetUp() override {
    roofline::MachineModel m;
    const CpuFeatures f = host_cpu_features();
    m.cpu = f.brand;
    m.isa_level = f.isa_level();
    m.flags = roofline::model_flags(f);
    m.cores = 1;
    m.clock_ghz = 3;
    m.measured_at = "2026-01-01T00:00:00Z";
    m.quick = true;
    for (const char* peak : {"f32_fma", "u8s8_vnni", "u8s8_pmaddubsw", "s16_madd",
                             "popcount_vpopcntdq", "popcount_avx2_lookup", "popcount_scalar"})
      m.compute.push_back({.name = peak,
                           .instruction = "test",
                           .isa = "test",
                           .gops_one_core = 100,
                           .gops_all_cores = 100});
    m.memory.push_back({.name = "L1",
                        .bytes_per_core = 1 << 15,
                        .read_gbps_one_core = 100,
                        .read_gbps_all_cores = 100,
                        .write_gbps_one_core = 100,
                        .write_gbps_all_cores = 100});
    m.memory.push_back({.name = "DRAM",
                        .bytes_per_core = 0,
                        .read_gbps_one_core = 10,
                        .read_gbps_all_cores = 10,
                        .write_gbps_one_core = 10,
                        .write_gbps_all_cores = 10});
    roofline::save_machine_model(m, model_dir_.file("model.json"));
    ::setenv("BITFORGE_MACHINE_MODEL", model_dir_.file("model.json").c_str(), 1);
  }
  void TearDown() override { ::unsetenv("BITFORGE_MACHINE_MODEL"); }

  cli_test::TempDir model_dir_, out_;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, sep)) out.push_back(part);
  return out;
}

TEST_F(BenchCli, TimesALayerAndWritesTheCsvAndThePlot) {
  const auto r = cli_test::run_bitforge(
      {"bench", "--names", "C11", "--impls", "w1a1,onednn-f32,onednn-u8s8", "--min-seconds",
       "0.005", "--min-repeats", "2", "--csv", out_.file("b.csv"), "--plot", out_.file("b.png")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("bench: C11 (1/1)"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("geometric means over 1 layer"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("speed goals (issue 5, item 4): not evaluated"), std::string::npos) << r.out;
  EXPECT_EQ(out_.entries(), (std::set<std::string>{"b.csv", "b.png", "b.svg"}));

  const std::vector<std::string> lines = split(cli_test::read_bytes(out_.file("b.csv")), '\n');
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "workload,implementation,threads,time_ms,gops,roofline_pct");
  const std::vector<std::string> impls{"w1a1", "onednn-f32", "onednn-u8s8"};
  const std::vector<std::string> types{"u1b1", "f32f32", "u8s8"};
  for (std::size_t i = 0; i < 3; ++i) {
    const std::vector<std::string> cells = split(lines[i + 1], ',');
    ASSERT_EQ(cells.size(), 6u) << lines[i + 1];
    const Workload wl = parse_workload_key(cells[0]);  // the key of what ran
    EXPECT_EQ(cells[0].substr(0, 7 + types[i].size()), "conv2d_" + types[i]);
    EXPECT_EQ(cells[1], impls[i]);
    EXPECT_EQ(cells[2], "1");
    const double ms = std::stod(cells[3]), gops = std::stod(cells[4]), pct = std::stod(cells[5]);
    EXPECT_GT(ms, 0);
    // GOP/s counts 2 x MACs for every implementation.
    EXPECT_NEAR(gops * ms * 1e6 / (2.0 * static_cast<double>(workload_macs(wl))), 1.0, 1e-3)
        << lines[i + 1];
    EXPECT_GT(pct, 0);
  }
  EXPECT_EQ(cli_test::read_bytes(out_.file("b.png")).substr(0, 4), "\x89PNG");
  EXPECT_NE(cli_test::read_bytes(out_.file("b.svg")).find("<svg"), std::string::npos);
}

TEST_F(BenchCli, RefusesBadInputWithOneLineAndNoFiles) {
  const std::string csv = out_.file("r.csv"), png = out_.file("r.png");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"--impls", "w1a1,int8"}, "unknown implementation 'int8' (allowed: wXaY"},
      {{"--impls", "w1a1,w1a1"}, "'w1a1' is given twice"},
      {{"--impls", ""}, "unknown implementation ''"},
      {{"--suite", "vgg16"}, "unknown suite 'vgg16' (allowed: "},
      {{"--names", "C1"}, "no convolution 'C1' (allowed: C2, C3"},
      {{"--threads", "0"}, "thread count 0 is out of range (allowed: 1 to 256)"},
      {{"--min-seconds", "-1"}, "out of range"},
      {{"--csv", out_.file("missing/r.csv")},
       "directory " + out_.file("missing") + " does not exist"},
      {{"--plot", out_.file("r.jpg")}, "must name a .png file"},
      {{"--impls", "w1a1", "--plot", png}, "--plot draws speedups over onednn-f32"},
      {{"--log", out_.file("none.jsonl")}, "none.jsonl"},
  };
  for (const auto& [extra, message] : cases) {
    std::vector<std::string> args{"bench"};
    args.insert(args.end(), extra.begin(), extra.end());
    // A small valid run around the one bad option, and a CSV it must not write.
    for (const auto& [option, value] : std::vector<std::pair<std::string, std::string>>{
             {"--names", "C11"}, {"--min-seconds", "0.001"}, {"--csv", csv}})
      if (std::find(extra.begin(), extra.end(), option) == extra.end())
        args.insert(args.end(), {option, value});
    const auto r = cli_test::run_bitforge(args);
    EXPECT_EQ(r.exit_code, 2) << extra.front() << ": " << r.err;
    EXPECT_EQ(cli_test::count_newlines(r.err), 1) << r.err;
    EXPECT_EQ(r.err.rfind("bitforge: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_TRUE(out_.entries().empty()) << extra.front();
  }
}

// Without gnuplot the run fails after measuring, and writes neither the plot nor the CSV.
TEST_F(BenchCli, AFailedPlotLeavesNoFiles) {
  const char* path = std::getenv("PATH");
  const std::string saved = path ? path : "";
  ::setenv("PATH", model_dir_.path().c_str(), 1);  // a directory without gnuplot
  const auto r = cli_test::run_bitforge({"bench", "--names", "C11", "--impls", "w1a1,onednn-f32",
                                         "--min-seconds", "0.001", "--csv", out_.file("b.csv"),
                                         "--plot", out_.file("b.png")});
  ::setenv("PATH", saved.c_str(), 1);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("bitforge: error: cannot run gnuplot"), std::string::npos) << r.err;
  EXPECT_TRUE(out_.entries().empty());
}

}  // namespace
}  // namespace bitforge
