// bitforge ops: the value type of an operator operand.
//
// A low-precision operand holds levels of an Encoding (u1..u8, b1..b8); a baseline
// operand holds two's-complement integers of k bits, k = 2..16 (s8 is int8, s16 is
// int16), or float32 (f32). The pair of operand types of a workload decides its operator
// family (SEMANTICS.md §1 and §5): bit-serial (both low-bit), int8 (u8 x s8), int16
// (signed x signed, computed in int16) or float32 (f32 x f32).
//
// Why signed widths below 16: the int32 overflow rule bounds |Y| by the reduction size
// times the operands' largest magnitudes, and full-range s16 x s16 overflows for any
// reduction of 2 or more terms. An int16 baseline over a real layer therefore states how
// many bits its values use (e.g. s8 x s8 stored and multiplied as int16).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/tensor.hpp"
#include "quant/encoding.hpp"

namespace bitforge {

struct OperandType {
  enum class Kind { Unsigned, Bipolar, Signed, Float };
  Kind kind = Kind::Unsigned;
  int bits = 1;

  static OperandType of(Encoding e);
  // "u1".."u8", "b1".."b8", "s2".."s16", "f32"; Error naming the allowed names otherwise.
  static OperandType parse(std::string_view name);
  // Parses a prefix of `text` (for key strings); returns the characters consumed, 0 if none.
  static std::size_t parse_prefix(std::string_view text, OperandType* out);
  std::string name() const;

  bool is_low_bit() const { return kind == Kind::Unsigned || kind == Kind::Bipolar; }
  Encoding encoding() const;  // low-bit types only
  bool is_float() const { return kind == Kind::Float; }
  // Largest |value| (integer types only): 2^k - 1 for low-bit, 2^(k-1) for signed.
  std::int64_t max_abs() const;
  // Refuses a tensor whose dtype or values are not of this type, naming the tensor, the
  // index and the allowed set.
  void validate(const Tensor& t, std::string_view tensor_name) const;

  bool operator==(const OperandType&) const = default;
};

inline constexpr std::string_view kOperandTypeNames = "u1..u8, b1..b8, s2..s16, f32";

enum class OpFamily { BitSerial, Int8, Int16, Float32 };
std::string_view op_family_name(OpFamily f);
// The family of an (activation, weight) pair; Error naming the allowed pairs otherwise.
OpFamily op_family(OperandType act, OperandType wgt);

}  // namespace bitforge
