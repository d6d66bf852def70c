// bitforge ops: built-in workload suites — the shapes the project is measured on.
//
// `resnet18`: the 11 ResNet-18 convolutions of TVM's bit-serial experiments (C2..C12).
// `deepbench-device`: Baidu DeepBench's inference "device" GEMMs (as dense) and
// convolutions. Shapes come from the tables in data/suites/ (copies of
// ../shared/data, embedded at build time so the binary needs no data files); operand
// types are chosen by the caller, since a suite is measured at several bit widths.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ops/workload.hpp"

namespace bitforge {

struct SuiteEntry {
  std::string name;  // "C2", "gemm-5124x700x2048", ...
  Workload workload;
};

std::vector<std::string> suite_names();
// Every workload of suite `name` with the given operand types (int32 accumulator output,
// NCHW/OIHW). Error for an unknown suite, or a type pair a workload refuses.
std::vector<SuiteEntry> load_suite(std::string_view name, OperandType act, OperandType wgt);

// One header-led section of a suite table: '#' lines are comments, a line whose first
// cell is not a number starts a new section with those column names.
struct TsvSection {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};
std::vector<TsvSection> parse_tsv_sections(std::string_view text, std::string_view what);

// The embedded tables (exposed so a test can check they match ../shared/data).
std::string_view suite_table_text(std::string_view name);

}  // namespace bitforge
