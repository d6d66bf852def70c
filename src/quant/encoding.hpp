// bitforge quant: the low-precision encodings of SEMANTICS.md §1 and level validation.
//
// An Encoding says which integer levels a tensor may hold and how a level splits into
// bit planes b_0..b_{k-1}. It does not say how values are stored in memory (that is
// bitpack.hpp) or how floats become levels (quantize.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/tensor.hpp"

namespace bitforge {

enum class EncodingKind {
  Unsigned,  // unipolar: levels 0 .. 2^k - 1
  Bipolar,   // signed odd: odd levels in [-(2^k - 1), 2^k - 1]; k = 1 is +-1
};

struct Encoding {
  EncodingKind kind = EncodingKind::Unsigned;
  int bits = 1;  // k, 1..8

  static Encoding unsigned_(int bits);
  static Encoding bipolar(int bits);
  // "u1".."u8", "b1".."b8"; throws Error naming the allowed forms.
  static Encoding parse(std::string_view name);
  std::string name() const;  // "u2", "b1"

  std::int64_t max_level() const;  // 2^k - 1 for both kinds
  std::int64_t min_level() const;  // 0 or -(2^k - 1)
  std::int64_t max_abs() const { return max_level(); }
  bool is_valid(std::int64_t level) const;
  // The level set in words, for error messages: "{0, 1, 2, 3}", "{-3, -1, 1, 3}",
  // "odd integers in [-255, 255]".
  std::string level_set() const;

  // The integer whose bit i is b_i of `level` (the level must be valid):
  // the level itself for unsigned, (level + 2^k - 1) / 2 for bipolar.
  std::uint32_t planes_of(std::int64_t level) const;
  // Inverse of planes_of.
  std::int64_t level_of(std::uint32_t planes) const;
  // The narrowest dtype that holds every level (u8 for unsigned, i8/i16 for bipolar).
  DType level_dtype() const;

  bool operator==(const Encoding&) const = default;
};

// Throws Error if any element of `t` (an integer tensor) is outside the level set:
// "weight level 2 at index [3, 0, 1, 1] is not a b1 level (allowed: {-1, 1})".
void validate_levels(const Tensor& t, Encoding encoding, std::string_view tensor_name);

}  // namespace bitforge
