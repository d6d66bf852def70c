// bitforge ops: the value type of an operator operand.
//
// A low-precision operand holds levels of an Encoding (u1..u8, b1..b8); a baseline
// operand holds plain two's-complement integers (s8, s16) or float32 (f32). The pair of
// operand types of a workload decides its operator family: bit-serial (both low-bit),
// int8 (u8 x s8), int16 (s16 x s16) or float32 (f32 x f32), SEMANTICS.md §1 and §5.
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
  // "u1".."u8", "b1".."b8", "s8", "s16", "f32"; Error naming the allowed names otherwise.
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

inline constexpr std::string_view kOperandTypeNames = "u1..u8, b1..b8, s8, s16, f32";

enum class OpFamily { BitSerial, Int8, Int16, Float32 };
std::string_view op_family_name(OpFamily f);
// The family of an (activation, weight) pair; Error naming the allowed pairs otherwise.
OpFamily op_family(OperandType act, OperandType wgt);

}  // namespace bitforge
