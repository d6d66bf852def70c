// Every way `bitforge` refuses its input (DESIGN.md "Conventions", SEMANTICS.md §1, §3):
// exit code 2, exactly one newline-terminated line on stderr that names the bad value,
// nothing on stdout, and no output file — neither the output nor a leftover temporary
// file appears in the output directory, and an output file that existed before the
// failing run keeps its bytes.
//
// Test names carry "cli" so `ctest -R cli` selects them.
#include <gtest/gtest.h>

#include <fstream>

#include <functional>
#include <string>
#include <vector>

#include "cli/cli_support.hpp"
#include "core/npy.hpp"

namespace bitforge::cli_test {
namespace {

// ---------------------------------------------------------------------------------------
// Hand-made .npy bytes, for files bitforge's own writer would never produce.

// A format 1.0 file: magic, version, header length, `dict` padded with spaces to a
// 64-byte boundary and ended by '\n' (as NumPy writes it), then `data`.
std::string raw_npy(const std::string& dict, const std::string& data, char major = 1) {
  std::string header = dict;
  const std::size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  std::string out = "\x93NUMPY";
  out.push_back(major);
  out.push_back('\0');
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  return out + header + data;
}

std::string dict(const std::string& descr, const std::string& fortran, const std::string& shape) {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
}

// ---------------------------------------------------------------------------------------
// Cases

using Setup = std::function<void(const TempDir&)>;

struct RefusalCase {
  std::string name;
  Setup setup;
  // argv[1..]; "@name" stands for the file `name` in the test's temporary directory.
  std::vector<std::string> args;
  // Substrings the error line must contain (after "bitforge: error: ").
  std::vector<std::string> message_parts;
  // Output path relative to the temporary directory ("" if the command has none); when
  // it lies in the directory itself, the case also runs with the output already present.
  std::string out = "Y.npy";
};

void write_npy(const TempDir& d, const std::string& name, DType dt, const Shape& shape,
               const std::vector<std::int64_t>& values) {
  npy_write(d.file(name), make_tensor(dt, shape, values));
}

std::vector<std::int64_t> filled(std::int64_t n, std::int64_t v) {
  return std::vector<std::int64_t>(static_cast<std::size_t>(n), v);
}

// Valid u1 operands for a 3x3 convolution: X [1, 2, 4, 4], W [2, 2, 3, 3].
void valid_conv_operands(const TempDir& d) {
  write_npy(d, "X.npy", DType::u8, {1, 2, 4, 4}, filled(32, 1));
  write_npy(d, "W.npy", DType::u8, {2, 2, 3, 3}, filled(36, 1));
}

// Valid u1 operands for dense: X [2, 3], W [4, 3].
void valid_dense_operands(const TempDir& d) {
  write_npy(d, "X.npy", DType::u8, {2, 3}, filled(6, 1));
  write_npy(d, "W.npy", DType::u8, {4, 3}, filled(12, 0));
}

std::vector<std::string> conv_args(std::vector<std::string> extra, const char* act = "u1",
                                   const char* wgt = "u1") {
  std::vector<std::string> a = {"conv2d", "--input", "@X.npy", "--weight", "@W.npy",
                                "--act",  act,       "--wgt",  wgt};
  a.insert(a.end(), extra.begin(), extra.end());
  a.insert(a.end(), {"--out", "@Y.npy"});
  return a;
}

std::vector<std::string> dense_args(const char* act = "u1", const char* wgt = "u1") {
  return {"dense", "--input", "@X.npy", "--weight", "@W.npy", "--act",
          act,     "--wgt",   wgt,      "--out",    "@Y.npy"};
}

// A valid conv2d input with a bad weight file (or the other way round).
Setup with_input_file(std::function<void(const TempDir&)> bad_weight) {
  return [bad_weight](const TempDir& d) {
    write_npy(d, "X.npy", DType::u8, {1, 2, 4, 4}, filled(32, 1));
    bad_weight(d);
  };
}
Setup with_weight_file(std::function<void(const TempDir&)> bad_input) {
  return [bad_input](const TempDir& d) {
    write_npy(d, "W.npy", DType::u8, {2, 2, 3, 3}, filled(36, 1));
    bad_input(d);
  };
}
Setup raw_input(std::string bytes) {
  return with_weight_file([bytes](const TempDir& d) { write_bytes(d.file("X.npy"), bytes); });
}

std::vector<RefusalCase> refusal_cases() {
  std::vector<RefusalCase> c;

  // --- Levels outside their encoding: the tensor, the index and the allowed set.
  c.push_back({"InputLevelOutsideU2NamesInputIndexAndAllowedSet",
               [](const TempDir& d) {
                 auto x = filled(18, 1);
                 x[9 + 6] = 4;  // [0, 1, 2, 0] of [1, 2, 3, 3]
                 write_npy(d, "X.npy", DType::u8, {1, 2, 3, 3}, x);
                 write_npy(d, "W.npy", DType::i8, {1, 2, 1, 1}, {1, -1});
               },
               conv_args({}, "u2", "b1"),
               {"input level 4 at index [0, 1, 2, 0]", "u2", "{0, 1, 2, 3}"}});
  c.push_back({"WeightLevelZeroIsNotB1NamesWeightIndexAndAllowedSet",
               [](const TempDir& d) {
                 write_npy(d, "X.npy", DType::u8, {1, 1, 2, 2}, {0, 1, 1, 0});
                 write_npy(d, "W.npy", DType::i8, {2, 1, 1, 2}, {1, -1, 0, 1});
               },
               conv_args({}, "u1", "b1"),
               {"weight level 0 at index [1, 0, 0, 0]", "b1", "{-1, 1}"}});
  c.push_back({"EvenInputLevelIsNotB2",
               [](const TempDir& d) {
                 write_npy(d, "X.npy", DType::i16, {1, 1, 2, 2}, {-3, 3, 2, 1});
                 write_npy(d, "W.npy", DType::i8, {1, 1, 1, 1}, {1});
               },
               conv_args({}, "b2", "b1"),
               {"input level 2 at index [0, 0, 1, 0]", "{-3, -1, 1, 3}"}});
  c.push_back({"NegativeInputLevelIsNotU3",
               [](const TempDir& d) {
                 write_npy(d, "X.npy", DType::i32, {1, 1, 1, 3}, {7, 0, -1});
                 write_npy(d, "W.npy", DType::i32, {1, 1, 1, 1}, {1});
               },
               conv_args({}, "u3", "u1"),
               {"input level -1 at index [0, 0, 0, 2]", "integers in [0, 7]"}});
  c.push_back({"B8LevelAbove255InInt32Weights",
               [](const TempDir& d) {
                 write_npy(d, "X.npy", DType::u8, {1, 1, 1, 1}, {1});
                 write_npy(d, "W.npy", DType::i32, {1, 1, 1, 2}, {255, 257});
               },
               conv_args({"--pad", "0,1"}, "u1", "b8"),
               {"weight level 257 at index [0, 0, 0, 1]", "odd integers in [-255, 255]"}});
  // The index is given in the file's own axis order, here NHWC.
  c.push_back({"NhwcInputLevelIndexIsInFileOrder",
               [](const TempDir& d) {
                 auto x = filled(18, 0);
                 x[2 * 6 + 1 * 2 + 1] = 2;  // [0, 2, 1, 1] of [1, 3, 3, 2]
                 write_npy(d, "X.npy", DType::u8, {1, 3, 3, 2}, x);
                 write_npy(d, "W.npy", DType::u8, {1, 1, 2, 1}, {1, 0});
               },
               conv_args({"--layout", "NHWC", "--weight-layout", "HWIO"}),
               {"input level 2 at index [0, 2, 1, 1]", "u1", "{0, 1}"}});
  c.push_back({"DenseInputLevelOutsideU3",
               [](const TempDir& d) {
                 write_npy(d, "X.npy", DType::i16, {2, 3}, {0, 1, 2, 3, 4, 9});
                 write_npy(d, "W.npy", DType::u8, {1, 3}, {1, 1, 1});
               },
               dense_args("u3", "u1"),
               {"input level 9 at index [1, 2]", "integers in [0, 7]"}});
  c.push_back({"DenseWeightLevelOutsideB3",
               [](const TempDir& d) {
                 write_npy(d, "X.npy", DType::u8, {1, 2}, {1, 1});
                 write_npy(d, "W.npy", DType::i8, {2, 2}, {7, -7, -9, 1});
               },
               dense_args("u1", "b3"),
               {"weight level -9 at index [1, 0]", "odd integers in [-7, 7]"}});

  // --- Shapes that do not fit together.
  c.push_back({"WeightInputChannelsDifferFromC",
               [](const TempDir& d) {
                 write_npy(d, "X.npy", DType::u8, {1, 4, 5, 5}, filled(100, 0));
                 write_npy(d, "W.npy", DType::u8, {2, 3, 3, 3}, filled(54, 0));
               },
               conv_args({}),
               {"3 input channels per group", "C = 4", "groups = 1"}});
  c.push_back({"WeightInputChannelsDifferFromCOverGroups",
               [](const TempDir& d) {
                 write_npy(d, "X.npy", DType::u8, {1, 4, 5, 5}, filled(100, 0));
                 write_npy(d, "W.npy", DType::u8, {2, 4, 3, 3}, filled(72, 0));
               },
               conv_args({"--groups", "2"}),
               {"4 input channels per group", "C / groups = 2"}});
  c.push_back({"GroupsNotDividingInputChannels",
               [](const TempDir& d) {
                 write_npy(d, "X.npy", DType::u8, {1, 4, 3, 3}, filled(36, 0));
                 write_npy(d, "W.npy", DType::u8, {3, 1, 1, 1}, filled(3, 0));
               },
               conv_args({"--groups", "3"}),
               {"groups = 3 does not divide input channels C = 4"}});
  c.push_back({"GroupsNotDividingOutputChannels",
               [](const TempDir& d) {
                 write_npy(d, "X.npy", DType::u8, {1, 4, 3, 3}, filled(36, 0));
                 write_npy(d, "W.npy", DType::u8, {3, 2, 1, 1}, filled(6, 0));
               },
               conv_args({"--groups", "2"}),
               {"groups = 2 does not divide output channels O = 3"}});
  c.push_back({"GroupsZero",
               valid_conv_operands,
               conv_args({"--groups", "0"}),
               {"groups = 0 is out of range (allowed: 1..2147483647)"}});
  c.push_back({"KernelLargerThanInputGivesNonPositiveOutputSize",
               [](const TempDir& d) {
                 write_npy(d, "X.npy", DType::u8, {1, 1, 3, 3}, filled(9, 0));
                 write_npy(d, "W.npy", DType::u8, {1, 1, 5, 5}, filled(25, 0));
               },
               conv_args({}),
               {"output size", "not positive"}});
  c.push_back({"DilatedKernelLargerThanInputGivesNonPositiveOutputSize",
               valid_conv_operands,
               conv_args({"--dilation", "1,3"}),
               {"output size", "not positive"}});
  c.push_back({"EmptyInputChannels",
               [](const TempDir& d) {
                 write_npy(d, "X.npy", DType::u8, {1, 0, 3, 3}, {});
                 write_npy(d, "W.npy", DType::u8, {1, 0, 1, 1}, {});
               },
               conv_args({}),
               {"input channels C = 0 is out of range (allowed: 1..2147483647)"}});
  c.push_back({"EmptyBatch",
               [](const TempDir& d) {
                 write_npy(d, "X.npy", DType::u8, {0, 3}, {});
                 write_npy(d, "W.npy", DType::u8, {1, 3}, {0, 0, 0});
               },
               dense_args(),
               {"batch N = 0 is out of range (allowed: 1..2147483647)"}});
  c.push_back({"Conv2dInputOfRank3",
               with_weight_file([](const TempDir& d) {
                 write_npy(d, "X.npy", DType::u8, {2, 4, 4}, filled(32, 0));
               }),
               conv_args({}),
               {"X.npy", "[2, 4, 4]", "4 dimensions"}});
  c.push_back({"Conv2dWeightOfRank2",
               with_input_file([](const TempDir& d) {
                 write_npy(d, "W.npy", DType::u8, {2, 2}, filled(4, 0));
               }),
               conv_args({}),
               {"W.npy", "[2, 2]", "4 dimensions"}});
  c.push_back({"DenseInputOfRank4",
               [](const TempDir& d) {
                 write_npy(d, "X.npy", DType::u8, {1, 3, 1, 1}, filled(3, 0));
                 write_npy(d, "W.npy", DType::u8, {4, 3}, filled(12, 0));
               },
               dense_args(),
               {"X.npy", "[1, 3, 1, 1]", "2 dimensions"}});
  c.push_back({"DenseWeightOfRank1",
               [](const TempDir& d) {
                 write_npy(d, "X.npy", DType::u8, {2, 3}, filled(6, 0));
                 write_npy(d, "W.npy", DType::u8, {3}, filled(3, 0));
               },
               dense_args(),
               {"W.npy", "[3]", "2 dimensions"}});
  c.push_back({"DenseWeightFeaturesDifferFromInput",
               [](const TempDir& d) {
                 write_npy(d, "X.npy", DType::u8, {2, 3}, filled(6, 0));
                 write_npy(d, "W.npy", DType::u8, {4, 5}, filled(20, 0));
               },
               dense_args(),
               {"C = 5", "C = 3"}});

  // --- The int32 overflow bound (SEMANTICS §3): the message names the bound.
  c.push_back({"Conv2dU8xU8AboveInt32Bound",
               [](const TempDir& d) {
                 write_npy(d, "X.npy", DType::u8, {1, 3700, 3, 3}, filled(3700 * 9, 0));
                 write_npy(d, "W.npy", DType::u8, {1, 3700, 3, 3}, filled(3700 * 9, 0));
               },
               conv_args({}, "u8", "u8"),
               {"accumulator bound", "33300 terms", "2165332500", "exceeds int32", "2147483647"}});
  c.push_back({"DenseU8xU8OneTermAboveInt32Bound",
               [](const TempDir& d) {
                 write_npy(d, "X.npy", DType::u8, {1, 33026}, filled(33026, 0));
                 write_npy(d, "W.npy", DType::u8, {1, 33026}, filled(33026, 0));
               },
               dense_args("u8", "u8"),
               {"accumulator bound", "33026 terms", "2147515650", "int32"}});
  c.push_back({"Conv2dB8xB8GroupedAboveInt32Bound",
               [](const TempDir& d) {
                 write_npy(d, "X.npy", DType::i16, {1, 7400, 1, 1}, filled(7400, 1));
                 write_npy(d, "W.npy", DType::i16, {2, 3700, 3, 3}, filled(2 * 3700 * 9, -1));
               },
               conv_args({"--groups", "2", "--pad", "1"}, "b8", "b8"),
               {"accumulator bound", "33300 terms", "int32"}});

  // --- Files that cannot be read.
  c.push_back({"MissingInputFile",
               [](const TempDir& d) {
                 write_npy(d, "W.npy", DType::u8, {1, 1, 1, 1}, {1});
               },
               conv_args({}),
               {"cannot read", "X.npy"}});
  c.push_back({"MissingWeightFile",
               [](const TempDir& d) {
                 write_npy(d, "X.npy", DType::u8, {1, 3}, {1, 1, 1});
               },
               dense_args(),
               {"cannot read", "W.npy"}});
  c.push_back({"InputIsADirectory",
               with_weight_file(
                   [](const TempDir& d) { std::filesystem::create_directory(d.file("X.npy")); }),
               conv_args({}),
               {"X.npy", "is a directory"}});

  // --- Malformed .npy files.
  const std::string u8_2x4x4 = std::string(32, '\1');
  c.push_back(
      {"NpyBadMagic",
       raw_input("\x93NUMPX" + raw_npy(dict("|u1", "False", "(1, 2, 4, 4)"), u8_2x4x4).substr(6)),
       conv_args({}),
       {"X.npy", "not a .npy file"}});
  c.push_back({"NpyEmptyFile", raw_input(""), conv_args({}), {"X.npy", "not a .npy file"}});
  c.push_back({"NpyUnsupportedFormatVersion",
               raw_input(raw_npy(dict("|u1", "False", "(1, 2, 4, 4)"), u8_2x4x4, 4)),
               conv_args({}),
               {"X.npy", "version 4.0"}});
  c.push_back({"NpyTruncatedHeader",
               raw_input(raw_npy(dict("|u1", "False", "(1, 2, 4, 4)"), "").substr(0, 40)),
               conv_args({}),
               {"X.npy", "truncated .npy header"}});
  // Format 2.0 has a 4-byte header length; this file ends inside it.
  c.push_back({"NpyTruncatedHeaderLength",
               raw_input(std::string("\x93NUMPY\x02\x00\x10\x00\x00", 11)),
               conv_args({}),
               {"X.npy", "truncated"}});
  c.push_back({"NpyTruncatedData",
               raw_input(raw_npy(dict("|u1", "False", "(1, 2, 4, 4)"), std::string(31, '\1'))),
               conv_args({}),
               {"X.npy", "truncated data", "32 bytes", "31"}});
  // A header may claim any shape; the refusal must not depend on allocating it first
  // (a 4 PiB claim is refused as truncated, naming the file, before any allocation).
  c.push_back({"NpyTruncatedDataOfHugeClaimedShape",
               raw_input(raw_npy(dict("<i4", "False", "(1, 1024, 1048576, 1048576)"),
                                 std::string(64, '\0'))),
               conv_args({}),
               {"X.npy", "truncated data"}});
  // The element count 2^62 * 2 * 4 * 4 = 2^67 overflows 64 bits: refused as a bad .npy
  // file, naming it (an unchecked product would wrap to 0 and accept an empty buffer).
  c.push_back({"NpyShapeWhoseElementCountOverflowsInt64",
               raw_input(raw_npy(dict("|u1", "False", "(4611686018427387904, 2, 4, 4)"), "")),
               conv_args({}),
               {"X.npy"}});
  c.push_back({"NpyTrailingBytes",
               raw_input(raw_npy(dict("|u1", "False", "(1, 2, 4, 4)"), u8_2x4x4 + "xyz")),
               conv_args({}),
               {"X.npy", "3 unexpected bytes"}});
  c.push_back({"NpyHeaderNotADict",
               raw_input(raw_npy("descr=|u1 shape=1,2,4,4", u8_2x4x4)),
               conv_args({}),
               {"X.npy", "malformed .npy header"}});
  c.push_back({"NpyHeaderWithoutShape",
               raw_input(raw_npy("{'descr': '|u1', 'fortran_order': False, }", u8_2x4x4)),
               conv_args({}),
               {"X.npy", "malformed .npy header", "'shape'"}});
  c.push_back({"NpyHeaderWithUnknownKey",
               raw_input(raw_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2, 4, 4), "
                                 "'extra': 1, }",
                                 u8_2x4x4)),
               conv_args({}),
               {"X.npy", "malformed .npy header"}});
  c.push_back({"NpyHeaderWithNegativeExtent",
               raw_input(raw_npy(dict("|u1", "False", "(1, -2, 4, 4)"), u8_2x4x4)),
               conv_args({}),
               {"X.npy", "malformed .npy header"}});
  c.push_back({"NpyHeaderUnterminatedDict",
               raw_input(raw_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2, 4, 4)",
                                 u8_2x4x4)),
               conv_args({}),
               {"X.npy", "malformed .npy header"}});
  c.push_back({"NpyFloat64Unsupported",
               raw_input(raw_npy(dict("<f8", "False", "(1, 2, 4, 4)"), std::string(256, '\0'))),
               conv_args({}),
               {"X.npy", "'<f8' is not supported", "float32, int32"}});
  c.push_back({"NpyInt64Unsupported",
               raw_input(raw_npy(dict("<i8", "False", "(1, 2, 4, 4)"), std::string(256, '\0'))),
               conv_args({}),
               {"X.npy", "'<i8' is not supported"}});
  c.push_back({"NpyBigEndianUnsupported",
               raw_input(raw_npy(dict(">i4", "False", "(1, 2, 4, 4)"), std::string(128, '\0'))),
               conv_args({}),
               {"X.npy", "big-endian", "'>i4'"}});
  c.push_back({"NpyFortranOrderUnsupported",
               raw_input(raw_npy(dict("|u1", "True", "(1, 2, 4, 4)"), u8_2x4x4)),
               conv_args({}),
               {"X.npy", "Fortran-order"}});
  c.push_back({"Float32NpyGivenAsLevels",
               with_weight_file([](const TempDir& d) {
                 Tensor x(DType::f32, {1, 2, 4, 4});
                 npy_write(d.file("X.npy"), x);
               }),
               conv_args({}),
               {"input", "X.npy", "dtype f32", "int8, uint8, int16 or int32"}});
  c.push_back({"Float32WeightNpyGivenAsLevels",
               [](const TempDir& d) {
                 write_npy(d, "X.npy", DType::u8, {2, 3}, filled(6, 0));
                 npy_write(d.file("W.npy"), Tensor(DType::f32, {4, 3}));
               },
               dense_args(),
               {"weight", "W.npy", "dtype f32"}});
  c.push_back({"Uint16NpyGivenAsLevels",
               with_weight_file([](const TempDir& d) {
                 write_npy(d, "X.npy", DType::u16, {1, 2, 4, 4}, filled(32, 1));
               }),
               conv_args({}),
               {"X.npy", "dtype u16", "int8, uint8, int16 or int32"}});
  c.push_back({"Uint64NpyGivenAsLevels",
               [](const TempDir& d) {
                 write_npy(d, "X.npy", DType::u8, {2, 3}, filled(6, 0));
                 write_npy(d, "W.npy", DType::u64, {4, 3}, filled(12, 0));
               },
               dense_args(),
               {"W.npy", "dtype u64"}});

  // --- Operand types, layouts, flags.
  c.push_back({"UnknownActivationEncodingU9",
               valid_conv_operands,
               conv_args({}, "u9", "b1"),
               {"'u9'", "allowed", "u1..u8, b1..b8"}});
  c.push_back({"UnknownActivationEncodingX2",
               valid_conv_operands,
               conv_args({}, "x2", "b1"),
               {"'x2'", "allowed"}});
  c.push_back({"UnknownWeightEncodingB0",
               valid_dense_operands,
               dense_args("u1", "b0"),
               {"'b0'", "allowed"}});
  c.push_back({"EmptyEncoding", valid_dense_operands, dense_args("", "b1"), {"allowed"}});
  c.push_back({"TypePairNamingNoOperator",
               valid_dense_operands,
               dense_args("u2", "f32"),
               {"u2 x f32", "allowed"}});
  c.push_back({"UnknownLayout",
               valid_conv_operands,
               conv_args({"--layout", "NCWH"}),
               {"'NCWH'", "NCHW, NHWC"}});
  c.push_back({"UnknownWeightLayout",
               valid_conv_operands,
               conv_args({"--weight-layout", "IOHW"}),
               {"'IOHW'", "OIHW, HWIO"}});
  c.push_back({"WeightLayoutGivenAsLayout",
               valid_conv_operands,
               conv_args({"--layout", "OIHW"}),
               {"'OIHW'"}});
  c.push_back({"UnknownFlag", valid_conv_operands, conv_args({"--bogus", "1"}), {"--bogus"}});
  c.push_back({"UnknownDenseFlag",
               valid_dense_operands,
               [] {
                 auto a = dense_args();
                 a.insert(a.end(), {"--stride", "2"});
                 return a;
               }(),
               {"--stride"}});
  c.push_back({"PadWithThreeNumbers",
               valid_conv_operands,
               conv_args({"--pad", "1,2,3"}),
               {"--pad", "'1,2,3'", "3 numbers"}});
  c.push_back({"PadWithFiveNumbers",
               valid_conv_operands,
               conv_args({"--pad", "1,1,1,1,1"}),
               {"--pad", "5 numbers"}});
  c.push_back({"PadNotANumber", valid_conv_operands, conv_args({"--pad", "a"}), {"--pad", "'a'"}});
  c.push_back(
      {"PadWithEmptyItem", valid_conv_operands, conv_args({"--pad", "1,,2"}), {"--pad", "'1,,2'"}});
  c.push_back(
      {"PadWithTrailingComma", valid_conv_operands, conv_args({"--pad", "1,"}), {"--pad", "'1,'"}});
  c.push_back(
      {"PadFractional", valid_conv_operands, conv_args({"--pad", "1.5"}), {"--pad", "'1.5'"}});
  c.push_back({"PadNegative",
               valid_conv_operands,
               conv_args({"--pad", "-1"}),
               {"padding -1 is out of range (allowed: 0..2147483647)"}});
  // OH = H + top + bottom - 1 + 1 = 2^64 + 2 does not fit int64, so the workload cannot be
  // run and must be refused (every parameter is limited to int32's range).
  c.push_back({"PaddingWhoseOutputSizeOverflowsInt64",
               [](const TempDir& d) {
                 write_npy(d, "X.npy", DType::u8, {1, 2, 4, 4}, filled(32, 1));
                 write_npy(d, "W.npy", DType::u8, {2, 2, 1, 1}, filled(4, 1));
               },
               conv_args({"--pad", "9223372036854775807,0,9223372036854775807,0"}),
               {}});
  c.push_back({"StrideZero",
               valid_conv_operands,
               conv_args({"--stride", "0"}),
               {"stride height = 0 is out of range (allowed: 1..2147483647)"}});
  c.push_back({"StrideWidthNegative",
               valid_conv_operands,
               conv_args({"--stride", "1,-2"}),
               {"stride width = -2 is out of range (allowed: 1..2147483647)"}});
  c.push_back({"StrideWithThreeNumbers",
               valid_conv_operands,
               conv_args({"--stride", "1,2,3"}),
               {"--stride", "3 numbers"}});
  c.push_back({"StrideNotANumber",
               valid_conv_operands,
               conv_args({"--stride", "two"}),
               {"--stride", "'two'"}});
  c.push_back({"DilationZero",
               valid_conv_operands,
               conv_args({"--dilation", "0"}),
               {"dilation height = 0 is out of range (allowed: 1..2147483647)"}});
  c.push_back({"DilationNotANumber",
               valid_conv_operands,
               conv_args({"--dilation", "1,x"}),
               {"--dilation", "'1,x'"}});
  c.push_back(
      {"GroupsNotANumber", valid_conv_operands, conv_args({"--groups", "two"}), {"--groups"}});
  c.push_back({"MissingRequiredOut",
               valid_dense_operands,
               {"dense", "--input", "@X.npy", "--weight", "@W.npy", "--act", "u1", "--wgt", "u1"},
               {"--out"},
               ""});
  c.push_back(
      {"MissingRequiredAct",
       valid_conv_operands,
       {"conv2d", "--input", "@X.npy", "--weight", "@W.npy", "--wgt", "u1", "--out", "@Y.npy"},
       {"--act"}});
  c.push_back({"NoSubcommand", valid_dense_operands, {}, {"subcommand"}, ""});
  // Names the unknown command and what was allowed (DESIGN.md "Conventions").
  c.push_back(
      {"UnknownSubcommand", valid_dense_operands, {"conv3d", "--out", "@Y.npy"}, {"conv3d"}});
  c.push_back(
      {"WorkloadsUnknownSuite", {}, {"workloads", "--suite", "resnet50"}, {"resnet50"}, ""});
  c.push_back({"WorkloadsUnknownActivationType", {}, {"workloads", "--act", "u9"}, {"'u9'"}, ""});

  // --- Outputs that cannot be written.
  // Choosing the implementation.
  auto with_config = [](std::string json) {
    return Setup([json](const TempDir& d) {
      valid_conv_operands(d);
      std::ofstream(d.file("config.json")) << json;
    });
  };
  c.push_back({"UnknownImpl", valid_conv_operands, conv_args({"--impl", "fast"}), {"--impl", "fast"}});
  c.push_back({"ConfigValueNotAllowed", with_config(R"({"tile_o": 3})"), conv_args({"--config", "@config.json"}),
               {"config.json", "knob 'tile_o' value 3 is not allowed (allowed: 1, 2, 4, 8, 16, 32)"}});
  c.push_back({"ConfigUnknownKnob", with_config(R"({"tile_q": 4})"), conv_args({"--config", "@config.json"}),
               {"unknown knob 'tile_q'", "(knobs: ", "word", "tile_o", "pack_axis"}});
  c.push_back({"ConfigBreaksARule", with_config(R"({"tile_o": 4})"), conv_args({"--config", "@config.json"}),
               {"tile_o 4 exceeds the 2 output channels per group"}});
  c.push_back({"ConfigNotJson", with_config("{tile_o: 4"), conv_args({"--config", "@config.json"}),
               {"config.json", "is not valid JSON"}});
  c.push_back({"ConfigMissing", valid_conv_operands, conv_args({"--config", "@nope.json"}), {"nope.json"}});
  c.push_back({"UnknownTarget", valid_conv_operands, conv_args({"--target", "riscv"}),
               {"unknown target 'riscv'", "allowed: host, x86-64-avx2, x86-64-avx512, x86-64-avx512-skylake, arm-64-linux"}});
  c.push_back({"TargetThatCannotRunHere", valid_conv_operands, conv_args({"--target", "arm-64-linux"}),
               {"arm-64-linux cannot run on this machine"}});
  c.push_back({"ConfigWithReferenceImpl", valid_conv_operands,
               conv_args({"--impl", "reference", "--target", "x86-64-avx2"}), {"do not apply to --impl reference"}});
  c.push_back({"OutputInNonExistentDirectory",
               valid_dense_operands,
               {"dense", "--input", "@X.npy", "--weight", "@W.npy", "--act", "u1", "--wgt", "u1",
                "--out", "@no_such_dir/Y.npy"},
               {"cannot write", "no_such_dir/Y.npy"},
               "no_such_dir/Y.npy"});
  c.push_back({"OutputIsAnExistingDirectory",
               [](const TempDir& d) {
                 valid_dense_operands(d);
                 std::filesystem::create_directory(d.file("Y.npy"));
               },
               dense_args(),
               {"cannot write", "Y.npy"},
               "Y.npy/"});
  return c;
}

std::vector<std::string> expand(const std::vector<std::string>& args, const TempDir& dir) {
  std::vector<std::string> out;
  for (const std::string& a : args) out.push_back(a.starts_with("@") ? dir.file(a.substr(1)) : a);
  return out;
}

// One refusing run: exit 2, one stderr line naming the problem, empty stdout, and the
// directory exactly as it was (no output, no temporary file).
void expect_refusal(const RefusalCase& c, const TempDir& dir) {
  const std::set<std::string> before = dir.entries();
  const RunResult r = run_bitforge(expand(c.args, dir));
  EXPECT_EQ(r.exit_code, 2) << "stderr: " << r.err;
  EXPECT_EQ(count_newlines(r.err), 1) << "stderr must be exactly one line: [" << r.err << "]";
  EXPECT_TRUE(r.err.ends_with("\n")) << "[" << r.err << "]";
  EXPECT_TRUE(r.err.starts_with("bitforge: error: ")) << r.err;
  for (const std::string& part : c.message_parts)
    EXPECT_NE(r.err.find(part), std::string::npos) << "missing '" << part << "' in: " << r.err;
  EXPECT_EQ(r.out, "") << "a refusal prints nothing on stdout";
  EXPECT_EQ(dir.entries(), before) << "a refusal must not create files in the output directory";
  if (c.out.find('/') != std::string::npos && !c.out.ends_with("/")) {
    const auto parent = std::filesystem::path(dir.file(c.out)).parent_path();
    EXPECT_FALSE(std::filesystem::exists(parent)) << "the output directory was created";
  }
}

// gtest_discover_tests names each ctest entry by the printed parameter
// ("cli/Refusal.ExitsWithCode2AndOneLineAndNoOutputFile/<name>"), so a case prints as its name.
void PrintTo(const RefusalCase& c, std::ostream* os) {
  *os << c.name;
}

class Refusal : public testing::TestWithParam<RefusalCase> {};

TEST_P(Refusal, ExitsWithCode2AndOneLineAndNoOutputFile) {
  const RefusalCase& c = GetParam();
  TempDir dir;
  if (c.setup) c.setup(dir);
  expect_refusal(c, dir);
}

INSTANTIATE_TEST_SUITE_P(cli, Refusal, testing::ValuesIn(refusal_cases()));

// The same cases again where the output path is a file in an existing directory, this
// time with that file already present: it must keep its exact bytes.
std::vector<RefusalCase> cases_with_output_file() {
  std::vector<RefusalCase> out;
  for (RefusalCase& c : refusal_cases())
    if (!c.out.empty() && c.out.find('/') == std::string::npos) out.push_back(std::move(c));
  return out;
}

class RefusalWithExistingOutput : public testing::TestWithParam<RefusalCase> {};

TEST_P(RefusalWithExistingOutput, LeavesTheExistingOutputFileUnchanged) {
  const RefusalCase& c = GetParam();
  TempDir dir;
  if (c.setup) c.setup(dir);
  const std::string previous = npy_serialize(make_tensor(DType::i32, {2}, {12345, -6789}));
  write_bytes(dir.file(c.out), previous);
  expect_refusal(c, dir);
  EXPECT_EQ(read_bytes(dir.file(c.out)), previous) << "the existing output file was modified";
}

INSTANTIATE_TEST_SUITE_P(cli, RefusalWithExistingOutput,
                         testing::ValuesIn(cases_with_output_file()));

// A write that fails half-way (here: the file size limit is hit after 4 KiB of a 16 KiB
// output) is a refusal like any other: exit 2, one line, and neither a partial output nor
// its temporary file is left behind; an existing output keeps its bytes.
TEST(cliOutput, WriteFailingHalfWayLeavesNoPartialFileAndKeepsTheOldOne) {
  for (const bool existing : {false, true}) {
    SCOPED_TRACE(existing ? "output file existed" : "no output file before");
    TempDir dir;
    write_npy(dir, "X.npy", DType::u8, {64, 8}, filled(64 * 8, 1));
    write_npy(dir, "W.npy", DType::u8, {64, 8}, filled(64 * 8, 1));
    const std::string previous = npy_serialize(make_tensor(DType::i32, {1}, {7}));
    if (existing) write_bytes(dir.file("Y.npy"), previous);
    const std::set<std::string> before = dir.entries();
    const RunResult r =
        run_bitforge({"dense", "--input", dir.file("X.npy"), "--weight", dir.file("W.npy"), "--act",
                      "u1", "--wgt", "u1", "--out", dir.file("Y.npy")},
                     /*file_size_limit=*/4096);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(count_newlines(r.err), 1) << r.err;
    EXPECT_TRUE(r.err.starts_with("bitforge: error: cannot write")) << r.err;
    EXPECT_NE(r.err.find("Y.npy"), std::string::npos) << r.err;
    EXPECT_EQ(dir.entries(), before);
    if (existing) {
      EXPECT_EQ(read_bytes(dir.file("Y.npy")), previous);
    }
  }
}

}  // namespace
}  // namespace bitforge::cli_test
