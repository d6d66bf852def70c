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
  // Packing along channels packs the unpadded input (`input_packed`, a reduction over
  // lanes) and pads whole words (`packed_act`, a copy with zero words outside, or the
  // same Func when there is no padding); along channels x columns packed_act is itself
  // the reduction over lanes, reading the padded input.
  Halide::Func input_packed;     // (wd, i, ix, iy, n, g)
  Halide::Func packed_bytes;     // (byte, i, ix, iy, n, g): its bytes, for words wider than u8
  Halide::RVar pack_lane;        // the lane reduction of input_packed
  bool input_packed_is_padded = false;  // along channels x columns: it reads the padded input
  Halide::RDom rd;               // the core reduction: (wd, i, j, s, r), or (wd, s, r) per plane pair
  Halide::Func sum;              // (oi, g, x, y, n): Σ 2^(i+j) popcount(a_i & w_j)
  Halide::Func act_nibbles;      // (h, wd, i, col, py, n, g): packed_act split for a microkernel
  Halide::Func act_pixels;       // (x, y, h, wd, i, n, g): the same for the pointwise one
  Halide::Func pixel_term;       // (x, y, n, g): the pointwise microkernel's per-pixel correction
  Halide::Func weight_words;     // weights packed as words, before a microkernel's split
  Halide::Func pair_sum;         // (oi, g, x, y, n, i, j): Σ popcount(a_i & w_j) (PlaneSums::Separate)
  Halide::RDom planes;           // (i, j): sum's reduction over pair_sum
  Halide::Func act_sum;          // (px, py, n, g): Σ_c qa   (bipolar weights only)
  Halide::Func window_act_sum;   // (x, y, n, g): over each window
  Halide::Func weight_sum;       // (oi, g, s, r): Σ_c qw    (bipolar activations only)
  Halide::Func channel_constant; // (oi, g)
  Halide::Func border_correction;// (oi, g, cx, cy)
  Halide::Func total;            // (oi, g, x, y, n): the exact int32 result
  bool sum_is_output = false;    // `sum` is the operator's output (pointwise_writes_output)
};

// Which axis the words pack: channels, or channels x kernel columns (see the algorithm).
enum class PackAxis { Channels, ChannelsAndColumns };

// The core as a hand-written microkernel (bitserial_microkernel.hpp) instead of a
// generated loop nest; its register tile sets the prepared weights' channel blocks.
struct CoreMicrokernel {
  bool nibble_lut_avx2 = false;
  int tile_pixels = 1, tile_vectors = 1;  // pixels of a row x vectors of four channels
  const char* pointwise = nullptr;        // a pointwise microkernel's symbol: pixels as lanes, 1x1 windows
  int halves = 1;                         // its words' halves (pointwise_halves)
  int tile_channels = 1;                  // its tile: tile_pixels x tile_channels
};

// How the plane pairs' popcounts reach the sum: each shifted by 2^(i+j) in the inner loop,
// or summed per pair and shifted once (see the algorithm).
enum class PlaneSums { Shifted, Separate };

BitserialConv2dFuncs define_bitserial_conv2d(const Conv2d& wl, DType word, PackAxis pack_axis, PlaneSums plane_sums,
                                             const CoreMicrokernel& microkernel, GeneratedOperator& op);

}  // namespace bitforge::codegen
