// `bitforge conv2d` and `bitforge dense` end to end: operands are written as .npy files,
// the real binary runs on them, and its .npy output must equal reference::conv2d/dense
// called in-process on the same operands (SEMANTICS.md §3). The sweep covers every
// encoding pair (u·u, u·b, b·u, b·b) at several bit widths, every level dtype the
// command reads (int8, uint8, int16, int32), both activation and weight layouts, and
// stride / padding (1, 2 and 4 numbers) / dilation / groups including depthwise.
//
// Test names carry "cli" so `ctest -R cli` selects them.
#include <gtest/gtest.h>

#include <fstream>
#include <sys/stat.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "cli/cli_support.hpp"
#include "core/npy.hpp"
#include "ops/reference/reference.hpp"
#include "ops/workload.hpp"

namespace bitforge::cli_test {
namespace {

// ---------------------------------------------------------------------------------------
// Operand generation

struct TypePair {
  const char* act;
  const char* wgt;
};

// u·u, u·b, b·u and b·b, from 1 bit to 8 bits.
constexpr TypePair kTypePairs[] = {
    {"u1", "u1"}, {"u2", "b1"}, {"b1", "u3"}, {"b1", "b1"},
    {"b2", "b3"}, {"u8", "b8"}, {"u4", "u2"}, {"b8", "u8"},
};

// The .npy level dtypes that can hold every level of `enc`.
std::vector<DType> level_dtypes(Encoding enc) {
  if (enc.kind == EncodingKind::Unsigned)
    return enc.bits <= 7 ? std::vector{DType::i8, DType::u8, DType::i16, DType::i32}
                         : std::vector{DType::u8, DType::i16, DType::i32};
  return enc.bits <= 7 ? std::vector{DType::i8, DType::i16, DType::i32}
                       : std::vector{DType::i16, DType::i32};
}

// Uniformly random valid levels; the first two elements are the extreme levels so every
// operand exercises max|level|.
Tensor random_levels(Encoding enc, DType dtype, const Shape& shape, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::int64_t> pick(0, enc.max_level());  // bit-plane value
  std::vector<std::int64_t> values(static_cast<std::size_t>(shape_numel(shape)));
  for (auto& v : values) v = enc.level_of(static_cast<std::uint32_t>(pick(rng)));
  if (!values.empty()) values[0] = enc.max_level();
  if (values.size() > 1) values[1] = enc.min_level();
  return make_tensor(dtype, shape, values);
}

std::string short_dtype(DType d) {
  return std::string(dtype_name(d));
}

// Output equals the oracle: same dtype, same shape, same values (first mismatch shown).
void expect_same_tensor(const Tensor& actual, const Tensor& expected) {
  ASSERT_EQ(dtype_name(actual.dtype()), dtype_name(expected.dtype()));
  ASSERT_EQ(shape_str(actual.shape()), shape_str(expected.shape()));
  const std::int32_t* a = actual.data<std::int32_t>();
  const std::int32_t* e = expected.data<std::int32_t>();
  for (std::int64_t i = 0; i < expected.numel(); ++i)
    ASSERT_EQ(a[i], e[i]) << "first mismatch at flat index " << i << " of "
                          << shape_str(expected.shape());
}

// ---------------------------------------------------------------------------------------
// conv2d

struct Geometry {
  const char* label;
  std::int64_t n, c, h, w, o, kh, kw;
  // Flag text as typed on the command line ("" = flag omitted, the default applies) and
  // the values it must mean.
  const char* stride;
  std::int64_t sh, sw;
  const char* pad;
  std::int64_t top, left, bottom, right;
  const char* dilation;
  std::int64_t dh, dw;
  const char* groups;
  std::int64_t g;
};

// clang-format off
constexpr Geometry kGeometries[] = {
    // label        n  c   h  w  o  kh kw  stride     pad                        dilation    groups
    {"k3pad1",      2, 3,  5, 5, 4, 3, 3,  "", 1, 1,  "1", 1, 1, 1, 1,            "", 1, 1,   "", 1},
    {"k3stride2",   1, 5,  7, 6, 3, 3, 3,  "2", 2, 2, "1,1", 1, 1, 1, 1,          "", 1, 1,   "", 1},
    {"k3x2pad4num", 1, 4,  6, 7, 2, 3, 2,  "1,2", 1, 2, "1,0,2,1", 1, 0, 2, 1,    "", 1, 1,   "", 1},
    {"dilation21",  1, 3,  7, 7, 3, 3, 3,  "", 1, 1,  "2,1", 2, 1, 2, 1,          "2,1", 2, 1, "", 1},
    {"groups2",     1, 4,  5, 5, 6, 3, 3,  "1", 1, 1, "1", 1, 1, 1, 1,            "1", 1, 1,  "2", 2},
    {"depthwise",   2, 5,  6, 5, 5, 3, 3,  "2,1", 2, 1, "1", 1, 1, 1, 1,          "", 1, 1,   "5", 5},
    {"k1c70",       1, 70, 3, 4, 3, 1, 1,  "", 1, 1,  "", 0, 0, 0, 0,             "", 1, 1,   "", 1},
    {"c65stride2",  1, 65, 5, 5, 2, 3, 3,  "2", 2, 2, "0,1,1,0", 0, 1, 1, 0,      "1", 1, 1,  "1", 1},
    {"padwide",     1, 2,  2, 3, 2, 3, 3,  "", 1, 1,  "2", 2, 2, 2, 2,            "1,2", 1, 2, "", 1},
    {"groups3dil",  1, 6,  6, 6, 3, 2, 3,  "2,1", 2, 1, "1,2", 1, 2, 1, 2,        "2", 2, 2,  "3", 3},
    {"n3c1",        3, 1,  4, 4, 2, 2, 2,  "2", 2, 2, "0", 0, 0, 0, 0,            "", 1, 1,   "", 1},
    {"c128groups2", 1, 128, 3, 3, 4, 3, 3, "", 1, 1,  "1", 1, 1, 1, 1,            "", 1, 1,   "2", 2},
};
// clang-format on

struct ConvCase {
  std::string name;
  TypePair types;
  Geometry geo;
  ActLayout layout;
  WgtLayout weight_layout;
  DType x_dtype, w_dtype;
  std::uint32_t seed;
};

std::vector<ConvCase> conv_cases() {
  std::vector<ConvCase> cases;
  const std::size_t nt = std::size(kTypePairs), ng = std::size(kGeometries);
  for (std::size_t t = 0; t < nt; ++t)
    for (std::size_t g = 0; g < ng; ++g) {
      ConvCase c;
      c.types = kTypePairs[t];
      c.geo = kGeometries[g];
      // Rotate layouts and dtypes so each type pair meets all four layout pairs and all
      // of its level dtypes across the geometries.
      const std::size_t l = (t + g) % 4;
      c.layout = l & 1 ? ActLayout::NHWC : ActLayout::NCHW;
      c.weight_layout = l & 2 ? WgtLayout::HWIO : WgtLayout::OIHW;
      const auto xd = level_dtypes(Encoding::parse(c.types.act));
      const auto wd = level_dtypes(Encoding::parse(c.types.wgt));
      c.x_dtype = xd[(3 * t + g) % xd.size()];
      c.w_dtype = wd[(t + 2 * g + 1) % wd.size()];
      c.seed = static_cast<std::uint32_t>(1000 + 37 * t + g);
      c.name = fmt::format("{}{}_{}_{}_{}_x{}_w{}", c.types.act, c.types.wgt, c.geo.label,
                           layout_name(c.layout), layout_name(c.weight_layout),
                           short_dtype(c.x_dtype), short_dtype(c.w_dtype));
      cases.push_back(c);
    }
  return cases;
}

// The workload the flags must describe, built from the numbers the flag text stands for.
Conv2d expected_workload(const ConvCase& c) {
  Conv2d wl;
  wl.act = OperandType::parse(c.types.act);
  wl.wgt = OperandType::parse(c.types.wgt);
  wl.n = c.geo.n;
  wl.c = c.geo.c;
  wl.h = c.geo.h;
  wl.w = c.geo.w;
  wl.o = c.geo.o;
  wl.kh = c.geo.kh;
  wl.kw = c.geo.kw;
  wl.stride_h = c.geo.sh;
  wl.stride_w = c.geo.sw;
  wl.pad_top = c.geo.top;
  wl.pad_left = c.geo.left;
  wl.pad_bottom = c.geo.bottom;
  wl.pad_right = c.geo.right;
  wl.dilation_h = c.geo.dh;
  wl.dilation_w = c.geo.dw;
  wl.groups = c.geo.g;
  wl.layout = c.layout;
  wl.weight_layout = c.weight_layout;
  return wl;
}

// gtest_discover_tests names each ctest entry by the printed parameter
// ("cli/Conv2dCommand.OutputNpyEqualsInProcessReference/<name>"), so a case prints as its name.
void PrintTo(const ConvCase& c, std::ostream* os) {
  *os << c.name;
}

class Conv2dCommand : public testing::TestWithParam<ConvCase> {};

TEST_P(Conv2dCommand, OutputNpyEqualsInProcessReference) {
  const ConvCase& c = GetParam();
  const Conv2d wl = expected_workload(c);
  const Tensor x = random_levels(wl.act.encoding(), c.x_dtype, wl.input_shape(), c.seed);
  const Tensor w = random_levels(wl.wgt.encoding(), c.w_dtype, wl.weight_shape(), c.seed + 7919);
  const Tensor expected = reference::conv2d(wl, x, w);

  TempDir dir;
  npy_write(dir.file("X.npy"), x);
  npy_write(dir.file("W.npy"), w);
  std::vector<std::string> args = {"conv2d",    "--input",         dir.file("X.npy"),
                                   "--weight",  dir.file("W.npy"), "--act",
                                   c.types.act, "--wgt",           c.types.wgt};
  // The default layouts are passed only sometimes, so the defaults are exercised too.
  if (c.layout == ActLayout::NHWC || c.seed % 2)
    args.insert(args.end(), {"--layout", std::string(layout_name(c.layout))});
  if (c.weight_layout == WgtLayout::HWIO || c.seed % 3 == 0)
    args.insert(args.end(), {"--weight-layout", std::string(layout_name(c.weight_layout))});
  if (*c.geo.stride) args.insert(args.end(), {"--stride", c.geo.stride});
  if (*c.geo.pad) args.insert(args.end(), {"--pad", c.geo.pad});
  if (*c.geo.dilation) args.insert(args.end(), {"--dilation", c.geo.dilation});
  if (*c.geo.groups) args.insert(args.end(), {"--groups", c.geo.groups});
  args.insert(args.end(), {"--out", dir.file("Y.npy")});
  // A quarter of the cases run the default implementation (a generated kernel, compiled
  // in the command); the rest the reference, which keeps the suite fast. The generated
  // kernels themselves are swept in tests/codegen.
  if (c.seed % 4 != 0) args.insert(args.end(), {"--impl", "reference"});

  const RunResult r = run_bitforge(args);
  ASSERT_EQ(r.exit_code, 0) << "stderr: " << r.err;
  EXPECT_EQ(r.err, "");
  // Success prints the workload key (a reproducer), the output path, dtype and shape.
  EXPECT_EQ(r.out, fmt::format("{} -> {} i32 {}\n", wl.key(), dir.file("Y.npy"),
                               shape_str(expected.shape())));
  EXPECT_EQ(dir.entries(), (std::set<std::string>{"X.npy", "W.npy", "Y.npy"}))
      << "a successful run leaves exactly its output behind (no temporary files)";
  expect_same_tensor(npy_read(dir.file("Y.npy")), expected);
}

INSTANTIATE_TEST_SUITE_P(cli, Conv2dCommand, testing::ValuesIn(conv_cases()));

// ---------------------------------------------------------------------------------------
// dense

struct DenseShape {
  const char* label;
  std::int64_t n, c, o;
};
constexpr DenseShape kDenseShapes[] = {
    {"n1c1o1", 1, 1, 1}, {"n3c64o5", 3, 64, 5}, {"n2c65o7", 2, 65, 7}, {"n4c130o3", 4, 130, 3}};

struct DenseCase {
  std::string name;
  TypePair types;
  DenseShape shape;
  DType x_dtype, w_dtype;
  std::uint32_t seed;
};

std::vector<DenseCase> dense_cases() {
  std::vector<DenseCase> cases;
  const std::size_t nt = std::size(kTypePairs), ns = std::size(kDenseShapes);
  for (std::size_t t = 0; t < nt; ++t)
    for (std::size_t s = 0; s < ns; ++s) {
      DenseCase c;
      c.types = kTypePairs[t];
      c.shape = kDenseShapes[s];
      const auto xd = level_dtypes(Encoding::parse(c.types.act));
      const auto wd = level_dtypes(Encoding::parse(c.types.wgt));
      c.x_dtype = xd[(t + s) % xd.size()];
      c.w_dtype = wd[(2 * t + s + 1) % wd.size()];
      c.seed = static_cast<std::uint32_t>(5000 + 41 * t + s);
      c.name = fmt::format("{}{}_{}_x{}_w{}", c.types.act, c.types.wgt, c.shape.label,
                           short_dtype(c.x_dtype), short_dtype(c.w_dtype));
      cases.push_back(c);
    }
  return cases;
}

// gtest_discover_tests names each ctest entry by the printed parameter
// ("cli/DenseCommand.OutputNpyEqualsInProcessReference/<name>"), so a case prints as its name.
void PrintTo(const DenseCase& c, std::ostream* os) {
  *os << c.name;
}

class DenseCommand : public testing::TestWithParam<DenseCase> {};

TEST_P(DenseCommand, OutputNpyEqualsInProcessReference) {
  const DenseCase& c = GetParam();
  Dense wl;
  wl.act = OperandType::parse(c.types.act);
  wl.wgt = OperandType::parse(c.types.wgt);
  wl.n = c.shape.n;
  wl.c = c.shape.c;
  wl.o = c.shape.o;
  const Tensor x = random_levels(wl.act.encoding(), c.x_dtype, wl.input_shape(), c.seed);
  const Tensor w = random_levels(wl.wgt.encoding(), c.w_dtype, wl.weight_shape(), c.seed + 104729);
  const Tensor expected = reference::dense(wl, x, w);

  TempDir dir;
  npy_write(dir.file("X.npy"), x);
  npy_write(dir.file("W.npy"), w);
  std::vector<std::string> args = {"dense", "--input", dir.file("X.npy"), "--weight", dir.file("W.npy"), "--act",
                                   c.types.act, "--wgt", c.types.wgt, "--out", dir.file("Y.npy")};
  if (c.seed % 4 != 0) args.insert(args.end(), {"--impl", "reference"});  // as for conv2d
  const RunResult r = run_bitforge(args);
  ASSERT_EQ(r.exit_code, 0) << "stderr: " << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, fmt::format("{} -> {} i32 {}\n", wl.key(), dir.file("Y.npy"),
                               shape_str(expected.shape())));
  EXPECT_EQ(dir.entries(), (std::set<std::string>{"X.npy", "W.npy", "Y.npy"}));
  expect_same_tensor(npy_read(dir.file("Y.npy")), expected);
}

INSTANTIATE_TEST_SUITE_P(cli, DenseCommand, testing::ValuesIn(dense_cases()));

// ---------------------------------------------------------------------------------------
// Single cases

// The printed key is a reproducer: it parses back to the workload the flags described.
TEST(cliConv2d, PrintedKeyParsesBackToTheWorkload) {
  TempDir dir;
  const Tensor x = random_levels(Encoding::unsigned_(2), DType::u8, {1, 7, 6, 4}, 1);
  const Tensor w = random_levels(Encoding::bipolar(1), DType::i8, {3, 2, 2, 2}, 2);
  npy_write(dir.file("X.npy"), x);
  npy_write(dir.file("W.npy"), w);
  const RunResult r = run_bitforge({"conv2d",
                                    "--input",
                                    dir.file("X.npy"),
                                    "--weight",
                                    dir.file("W.npy"),
                                    "--act",
                                    "u2",
                                    "--wgt",
                                    "b1",
                                    "--layout",
                                    "NHWC",
                                    "--weight-layout",
                                    "HWIO",
                                    "--stride",
                                    "1,2",
                                    "--pad",
                                    "1,2,0,1",
                                    "--dilation",
                                    "2,1",
                                    "--groups",
                                    "2",
                                    "--out",
                                    dir.file("Y.npy")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string key = r.out.substr(0, r.out.find(" -> "));
  const Workload parsed = parse_workload_key(key);
  ASSERT_TRUE(std::holds_alternative<Conv2d>(parsed)) << key;
  const Conv2d& wl = std::get<Conv2d>(parsed);
  EXPECT_EQ(wl.act.name(), "u2");
  EXPECT_EQ(wl.wgt.name(), "b1");
  EXPECT_EQ(wl.n, 1);
  EXPECT_EQ(wl.c, 4);
  EXPECT_EQ(wl.h, 7);
  EXPECT_EQ(wl.w, 6);
  EXPECT_EQ(wl.o, 2);
  EXPECT_EQ(wl.kh, 3);
  EXPECT_EQ(wl.kw, 2);
  EXPECT_EQ(wl.stride_h, 1);
  EXPECT_EQ(wl.stride_w, 2);
  EXPECT_EQ(wl.pad_top, 1);
  EXPECT_EQ(wl.pad_left, 2);
  EXPECT_EQ(wl.pad_bottom, 0);
  EXPECT_EQ(wl.pad_right, 1);
  EXPECT_EQ(wl.dilation_h, 2);
  EXPECT_EQ(wl.dilation_w, 1);
  EXPECT_EQ(wl.groups, 2);
  EXPECT_EQ(wl.layout, ActLayout::NHWC);
  EXPECT_EQ(wl.weight_layout, WgtLayout::HWIO);
  EXPECT_EQ(workload_key(parsed), key);
}

// Layout names are case-insensitive (workload.hpp: parse_act_layout / parse_wgt_layout).
TEST(cliConv2d, AcceptsLowerCaseLayoutNames) {
  TempDir dir;
  Conv2d wl;
  wl.act = OperandType::parse("u1");
  wl.wgt = OperandType::parse("u1");
  wl.c = 2;
  wl.h = wl.w = 3;
  wl.o = 2;
  wl.kh = wl.kw = 2;
  wl.layout = ActLayout::NHWC;
  wl.weight_layout = WgtLayout::HWIO;
  const Tensor x = random_levels(Encoding::unsigned_(1), DType::u8, wl.input_shape(), 3);
  const Tensor w = random_levels(Encoding::unsigned_(1), DType::u8, wl.weight_shape(), 4);
  npy_write(dir.file("X.npy"), x);
  npy_write(dir.file("W.npy"), w);
  const RunResult r = run_bitforge({"conv2d", "--input", dir.file("X.npy"), "--weight",
                                    dir.file("W.npy"), "--act", "u1", "--wgt", "u1", "--layout",
                                    "nhwc", "--weight-layout", "hwio", "--out", dir.file("Y.npy")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_same_tensor(npy_read(dir.file("Y.npy")), reference::conv2d(wl, x, w));
}

// Bipolar levels have no 0, yet padding must contribute exactly 0: with all-(+1)
// activations and weights, each output is the number of in-range taps.
TEST(cliConv2d, BipolarPaddingContributesZero) {
  TempDir dir;
  npy_write(dir.file("X.npy"), make_tensor(DType::i8, {1, 1, 2, 2}, {1, 1, 1, 1}));
  npy_write(dir.file("W.npy"),
            make_tensor(DType::i8, {1, 1, 3, 3}, std::vector<std::int64_t>(9, 1)));
  const RunResult r =
      run_bitforge({"conv2d", "--input", dir.file("X.npy"), "--weight", dir.file("W.npy"), "--act",
                    "b1", "--wgt", "b1", "--pad", "1", "--out", dir.file("Y.npy")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_same_tensor(npy_read(dir.file("Y.npy")),
                     make_tensor(DType::i32, {1, 1, 2, 2}, {4, 4, 4, 4}));
}

// A hand-computed case, so the suite does not rest on the oracle alone:
// X = [[1, 2], [3, 0]] (u2), W = [[1, -1]] (b1), no padding: Y = [[1 - 2], [3 - 0]].
TEST(cliConv2d, HandComputedUnsignedTimesBipolar) {
  TempDir dir;
  npy_write(dir.file("X.npy"), make_tensor(DType::u8, {1, 1, 2, 2}, {1, 2, 3, 0}));
  npy_write(dir.file("W.npy"), make_tensor(DType::i8, {1, 1, 1, 2}, {1, -1}));
  const RunResult r =
      run_bitforge({"conv2d", "--input", dir.file("X.npy"), "--weight", dir.file("W.npy"), "--act",
                    "u2", "--wgt", "b1", "--out", dir.file("Y.npy")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_same_tensor(npy_read(dir.file("Y.npy")), make_tensor(DType::i32, {1, 1, 2, 1}, {-1, 3}));
}

// A successful run atomically replaces an output file that already exists.
TEST(cliDense, ReplacesAnExistingOutputFile) {
  TempDir dir;
  npy_write(dir.file("X.npy"), make_tensor(DType::u8, {1, 3}, {1, 0, 1}));
  npy_write(dir.file("W.npy"), make_tensor(DType::u8, {2, 3}, {1, 1, 1, 0, 0, 1}));
  write_bytes(dir.file("Y.npy"), "old contents, not an .npy file");
  const RunResult r =
      run_bitforge({"dense", "--input", dir.file("X.npy"), "--weight", dir.file("W.npy"), "--act",
                    "u1", "--wgt", "u1", "--out", dir.file("Y.npy")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_same_tensor(npy_read(dir.file("Y.npy")), make_tensor(DType::i32, {1, 2}, {2, 1}));
  EXPECT_EQ(dir.entries(), (std::set<std::string>{"X.npy", "W.npy", "Y.npy"}));
}

// The baseline families (SEMANTICS §5) go through the same command: u8 x s8 and
// s16 x s16 give exact int32, f32 x f32 gives float32 equal to the in-process reference.
TEST(cliConv2d, BaselineFamiliesMatchInProcessReference) {
  struct Baseline {
    const char* act;
    const char* wgt;
    DType x_dtype, w_dtype;
    std::int64_t x_lo, x_hi, w_lo, w_hi;
    std::int64_t c, k;  // channels, kernel size
  };
  const Baseline baselines[] = {
      {"u8", "s8", DType::u8, DType::i8, 0, 255, -128, 127, 4, 2},
      // 2^15 * 2^15 per term: the int32 bound allows one term.
      {"s16", "s16", DType::i16, DType::i16, -32768, 32767, -32768, 32767, 1, 1},
      {"f32", "f32", DType::f32, DType::f32, -8, 8, -8, 8, 4, 2}};
  std::mt19937 rng(99);
  for (const Baseline& b : baselines) {
    SCOPED_TRACE(std::string(b.act) + " x " + b.wgt);
    Conv2d wl;
    wl.act = OperandType::parse(b.act);
    wl.wgt = OperandType::parse(b.wgt);
    wl.n = 1;
    wl.c = b.c;
    wl.h = 5;
    wl.w = 4;
    wl.o = 2;
    wl.kh = wl.kw = b.k;
    wl.pad_top = wl.pad_left = wl.pad_bottom = wl.pad_right = 1;
    wl.stride_h = 2;
    wl.layout = ActLayout::NHWC;
    auto fill = [&](DType dt, const Shape& shape, std::int64_t lo, std::int64_t hi) {
      std::uniform_int_distribution<std::int64_t> pick(lo, hi);
      Tensor t(dt, shape);
      for_each_index(shape, [&](std::span<const std::int64_t> idx) {
        if (dt == DType::f32)
          t.at<float>(idx) = static_cast<float>(pick(rng)) * 0.25f;
        else
          t.set_int(idx, pick(rng));
      });
      return t;
    };
    const Tensor x = fill(b.x_dtype, wl.input_shape(), b.x_lo, b.x_hi);
    const Tensor w = fill(b.w_dtype, wl.weight_shape(), b.w_lo, b.w_hi);
    const Tensor expected = reference::conv2d(wl, x, w);
    TempDir dir;
    npy_write(dir.file("X.npy"), x);
    npy_write(dir.file("W.npy"), w);
    const RunResult r =
        run_bitforge({"conv2d", "--input", dir.file("X.npy"), "--weight", dir.file("W.npy"),
                      "--act", b.act, "--wgt", b.wgt, "--layout", "NHWC", "--stride", "2,1",
                      "--pad", "1", "--out", dir.file("Y.npy")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, fmt::format("{} -> {} {} {}\n", wl.key(), dir.file("Y.npy"),
                                 dtype_name(expected.dtype()), shape_str(expected.shape())));
    const Tensor y = npy_read(dir.file("Y.npy"));
    ASSERT_EQ(dtype_name(y.dtype()), dtype_name(expected.dtype()));
    ASSERT_EQ(y.shape(), expected.shape());
    EXPECT_EQ(npy_serialize(y), npy_serialize(expected)) << "values differ";
  }
}

// The output is renamed from a mkstemp file (mode 0600); it must end up with the
// permissions an ordinary create gives (0666 minus the umask), as file_io.hpp promises.
TEST(cliDense, OutputFileHasOrdinaryCreatePermissions) {
  TempDir dir;
  npy_write(dir.file("X.npy"), make_tensor(DType::u8, {1, 2}, {1, 0}));
  npy_write(dir.file("W.npy"), make_tensor(DType::u8, {1, 2}, {1, 1}));
  const RunResult r =
      run_bitforge({"dense", "--input", dir.file("X.npy"), "--weight", dir.file("W.npy"), "--act",
                    "u1", "--wgt", "u1", "--out", dir.file("Y.npy")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const mode_t mask = ::umask(0);  // the child inherited this process's umask
  ::umask(mask);
  const auto perms = std::filesystem::status(dir.file("Y.npy")).permissions();
  EXPECT_EQ(static_cast<unsigned>(perms), 0666u & ~static_cast<unsigned>(mask));
}

// The largest reduction u8 x u8 allows: C = floor((2^31 - 1) / 255^2) = 33025 terms of
// 255 * 255 sum to 2147450625, which fits int32 and must come out exact.
TEST(cliDense, AcceptsTheLargestReductionUnderTheInt32Bound) {
  TempDir dir;
  constexpr std::int64_t kC = 33025;
  npy_write(dir.file("X.npy"), make_tensor(DType::u8, {1, kC}, std::vector<std::int64_t>(kC, 255)));
  npy_write(dir.file("W.npy"), make_tensor(DType::u8, {1, kC}, std::vector<std::int64_t>(kC, 255)));
  const RunResult r =
      run_bitforge({"dense", "--input", dir.file("X.npy"), "--weight", dir.file("W.npy"), "--act",
                    "u8", "--wgt", "u8", "--out", dir.file("Y.npy")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_same_tensor(npy_read(dir.file("Y.npy")), make_tensor(DType::i32, {1, 1}, {2147450625}));
}

// Level files may mix dtypes: int32 activations with uint8 weights, int16 with int8.
TEST(cliDense, AcceptsDifferentDtypesForInputAndWeight) {
  TempDir dir;
  npy_write(dir.file("X.npy"), make_tensor(DType::i32, {2, 2}, {-3, 1, 3, -1}));
  npy_write(dir.file("W.npy"), make_tensor(DType::u8, {1, 2}, {2, 3}));
  const RunResult r =
      run_bitforge({"dense", "--input", dir.file("X.npy"), "--weight", dir.file("W.npy"), "--act",
                    "b2", "--wgt", "u2", "--out", dir.file("Y.npy")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_same_tensor(npy_read(dir.file("Y.npy")), make_tensor(DType::i32, {2, 1}, {-3, 3}));
}

}  // namespace
}  // namespace bitforge::cli_test

namespace bitforge::cli_test {
namespace {

// --impl generated with a non-default config file and an explicit target gives the
// reference's result.
TEST(cliImplementation, GeneratedKernelWithConfigFileAndTargetEqualsReference) {
  const Conv2d wl = parse_conv2d_key("conv2d_b2b1_mb1ic70ih6iw5oc8kh3kw3ph1pw1_nhwc_hwio_i32");
  const Tensor x = random_levels(wl.act.encoding(), DType::i8, wl.input_shape(), 5);
  const Tensor w = random_levels(wl.wgt.encoding(), DType::i16, wl.weight_shape(), 6);
  TempDir dir;
  npy_write(dir.file("X.npy"), x);
  npy_write(dir.file("W.npy"), w);
  std::ofstream(dir.file("config.json")) << R"({"word": "u8", "tile_o": 4, "vector_width": 4, "loop_order": "planes_taps_words"})";
  for (const std::string target : {"host", "x86-64-avx2"}) {
    const RunResult r = run_bitforge({"conv2d", "--input", dir.file("X.npy"), "--weight", dir.file("W.npy"), "--act", "b2",
                                      "--wgt", "b1", "--pad", "1", "--layout", "NHWC", "--weight-layout", "HWIO",
                                      "--impl", "generated", "--config", dir.file("config.json"), "--target", target,
                                      "--out", dir.file("Y.npy")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_same_tensor(npy_read(dir.file("Y.npy")), reference::conv2d(wl, x, w));
  }
}

}  // namespace
}  // namespace bitforge::cli_test
