// bitforge ops: fused output stages of SEMANTICS.md §4, as a descriptor (part of the
// workload and its key) and its runtime parameters (per-channel data, not in the key).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/tensor.hpp"
#include "quant/encoding.hpp"

namespace bitforge {

struct Epilogue {
  enum class Kind {
    Accumulator,  // the int32 accumulator as is (f32 for float32 workloads)
    Affine,       // f32 Z = Y * scale[o] + bias[o], then an optional activation
    Threshold,    // Q = number of thresholds passed; output level of `out`
  };
  enum class Activation { None, Relu, Clip };

  Kind kind = Kind::Accumulator;
  Activation activation = Activation::None;  // Affine only
  Encoding out;                              // Threshold only: the next layer's encoding
  // Threshold only: bit-pack the output levels along the channel axis with `word`,
  // inserting the bit-plane axis at `bit_axis` of the packed output (SEMANTICS §2).
  bool packed = false;
  DType word = DType::u64;
  int bit_axis = 0;

  static Epilogue accumulator() { return {}; }
  static Epilogue affine(Activation a = Activation::None);
  static Epilogue threshold(Encoding out);
  static Epilogue threshold_packed(Encoding out, DType word, int bit_axis);

  // Number of thresholds per channel: 2^k' - 1.
  int threshold_count() const;

  // Key token: "i32" / "f32" (accumulator of an integer / float operator), "affine",
  // "affine-relu", "affine-clip", "thr-u2", "thr-b1-pack-u64-bit1".
  std::string token(bool float_accumulator) const;
  static Epilogue parse_token(std::string_view token, bool float_accumulator);

  bool operator==(const Epilogue& e) const;
};

// Per-output-channel data of an epilogue. Shapes: scale, bias f32 [O]; thresholds i32
// [O, 2^k' - 1], non-decreasing along t; descending u8 [O] (0/1; undefined = all 0).
struct EpilogueParams {
  Tensor scale;
  Tensor bias;
  float clip_lo = 0.0f;
  float clip_hi = 0.0f;
  Tensor thresholds;
  Tensor descending;
};

// Refuses params that do not fit `epilogue` for `channels` output channels, naming the
// tensor and what was expected (shape, dtype, monotone thresholds, lo <= hi).
void validate_epilogue_params(const Epilogue& epilogue, std::int64_t channels,
                              const EpilogueParams& params);

}  // namespace bitforge
