// bitforge cli: reading operator operands and parameters from the command line.
#pragma once

#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "ops/operand_type.hpp"

namespace bitforge::cli {

// Reads a .npy operand: int8, uint8, int16 or int32 levels for integer operand types,
// float32 for f32. `role` ("input", "weight") names it in errors.
Tensor read_operand(const std::string& path, OperandType type, const std::string& role);

// Parses "2" or "2,3" for an (h, w) pair: one number is used for both.
std::vector<std::int64_t> parse_pair(const std::string& text, const char* flag);
// Parses --pad: 1 number (all sides), 2 (h, w) or 4 (top, left, bottom, right);
// returns {top, left, bottom, right}.
std::vector<std::int64_t> parse_padding(const std::string& text);

}  // namespace bitforge::cli
