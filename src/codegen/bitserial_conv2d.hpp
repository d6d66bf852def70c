// bitforge codegen (internal): the bit-serial conv2d's Halide stages, shared between its
// algorithm (bitserial_conv2d_algorithm.cpp), schedule space (bitserial_conv2d_space.cpp)
// and schedule (bitserial_conv2d_schedule.cpp).
#pragma once

#include <Halide.h>

#include "codegen/generated_operator.hpp"

namespace bitforge::codegen {

struct BitserialConv2dFuncs {
  int words = 1;                 // packed words per channel group
  Halide::Func packed_act;       // (wd, i, col, py, n, g): activation planes, padded rows
  Halide::RVar pack_lane;        // its lane reduction
  Halide::RDom rd;               // (wd, i, j, s, r): the core reduction
  Halide::Func sum;              // (oi, g, x, y, n): Σ 2^(i+j) popcount(a_i & w_j)
  Halide::Func act_sum;          // (px, py, n, g): Σ_c qa   (bipolar weights only)
  Halide::Func window_act_sum;   // (x, y, n, g): over each window
  Halide::Func weight_sum;       // (oi, g, s, r): Σ_c qw    (bipolar activations only)
  Halide::Func channel_constant; // (oi, g)
  Halide::Func border_correction;// (oi, g, cx, cy)
  Halide::Func total;            // (oi, g, x, y, n): the exact int32 result
};

// Which axis the words pack: channels, or channels x kernel columns (see the algorithm).
enum class PackAxis { Channels, ChannelsAndColumns };

BitserialConv2dFuncs define_bitserial_conv2d(const Conv2d& wl, DType word, PackAxis pack_axis,
                                             GeneratedOperator& op);

}  // namespace bitforge::codegen
