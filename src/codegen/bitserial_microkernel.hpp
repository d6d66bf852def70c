// bitforge codegen (internal): hand-written microkernels that replace the generated
// bit-serial core (Σ 2^(i+j) popcount(a_i & w_j) over a convolution window) when the
// schedule's `microkernel` knob asks for one. They are what Halide 14 cannot express:
// the AVX2 one keeps per-byte popcounts in byte lanes across up to 31 steps, while
// Halide's type system counts a 64-bit word's popcount into a 64-bit lane every step
// (LLVM's lowering then pays a vpsadbw and a 64-bit add per vector).
//
// A microkernel runs as a Halide extern stage (the `bitserial_sum` Func of the
// algorithm), so packing, corrections and epilogues stay generated; this header holds
// the operand layouts both sides must agree on. Not here: any choice of when to use a
// microkernel (the schedule space's rule) or tiling above one register tile.
#pragma once

#include <cstdint>
#include <string>

#include "codegen/schedule_space.hpp"
#include "ops/workload.hpp"

struct halide_buffer_t;

namespace bitforge::codegen {

// The AVX2 nibble-lookup microkernel ("avx2_nibble_lut").
//
// Operands are 64-bit words split into nibbles ahead of time: `lo` = w & 0x0f0f.., `hi` =
// (w >> 4) & 0x0f0f.., so popcount(a & w) per byte = LUT[a_lo & w_lo] + LUT[a_hi & w_hi]
// with one vpshufb each and no shift or mask in the loop (the split commutes with AND).
//
// Weights, prepared once: (k, h, j, wd, s, r, ob, g), k innermost. A block `ob` holds
// B = 4 * V output channels as V vectors of four 64-bit lanes; vector v, lane l is
// channel ob * B + l * V + v, so that the V = 2 vectors' sums interleave into eight
// consecutive int32 outputs with one shift and one OR. h = 0 is the low nibbles, 1 the
// high. Channels past the group's are zero words (they count 0).
// Activations: (h, wd, i, px, py, n, g), h innermost: a pixel's two halves share a line.
constexpr const char* kNibbleLutAvx2 = "avx2_nibble_lut";
constexpr const char* kNibbleLutAvx2Symbol = "bitforge_bitserial_nibble_lut_avx2";
constexpr std::uint64_t kLowNibbles = 0x0f0f0f0f0f0f0f0full;

// The pointwise microkernels, for 1x1 windows without padding: pixels as lanes, a weight
// word broadcast. A 1x1 layer sums a pixel's few words (1 to 8 in ResNet-18), so a tile
// of channel lanes ends every output in a horizontal sum (AVX2: a vpsadbw) and a
// transpose into NCHW rows; here a vector of one channel's outputs is that many
// consecutive pixels. They write the sums scaled and with the per-pixel correction added
// (bipolar weights), so unsigned activations leave nothing but the epilogue (bipolar ones
// a per-channel constant); for an int32 NCHW output they write the output itself
// (pointwise_writes_output), and the sums never make a round trip.
//   "avx2_nibble_lut_pointwise": u64 words split into nibble halves (the lookup
//     popcount), blocks of eight pixels; tiles of 8|16 pixels x 1|2 channels.
//   "avx512_vpopcnt_pointwise": u32 words whole (VPOPCNTDQ counts a word into its int32
//     lane), blocks of sixteen pixels; tiles of 16 pixels x 1|2|4|8 channels.
//
// Activations: (x, y, h, wd, i, n, g), whole rows of output pixels, x innermost: the
// microkernel numbers pixels across rows (p = y * out_w + x), a block at a time from a
// multiple of the block, and reads the rows its tiles reach (the last tile may reach past
// the region's or the image's last pixel; those lanes are not stored). h: the word's
// halves (pointwise_halves: 2 nibble halves, or 1, the word itself).
// Weights, prepared once: (h, wd, j, oi, g), h innermost (a word's halves, broadcast).
constexpr const char* kPointwiseNibbleLutAvx2 = "avx2_nibble_lut_pointwise";
constexpr const char* kPointwiseNibbleLutAvx2Symbol = "bitforge_bitserial_pointwise_nibble_lut_avx2";
constexpr const char* kPointwiseVpopcntAvx512 = "avx512_vpopcnt_pointwise";
constexpr const char* kPointwiseVpopcntAvx512Symbol = "bitforge_bitserial_pointwise_vpopcnt_avx512";
inline bool is_pointwise_microkernel(const std::string& mk) {
  return mk == kPointwiseNibbleLutAvx2 || mk == kPointwiseVpopcntAvx512;
}
inline int pointwise_halves(const std::string& mk) { return mk == kPointwiseNibbleLutAvx2 ? 2 : 1; }

// Whether the pointwise microkernel writes `wl`'s output itself: an int32 output (no
// epilogue) in NCHW, one group, unsigned activations (no per-channel constant). Its sums
// are then the result, and a generated copy of them (a pass over the whole output, a
// quarter of a 1x1 layer's time) is not needed.
inline bool pointwise_writes_output(const Conv2d& wl) {
  return wl.epilogue.kind == Epilogue::Kind::Accumulator && wl.layout == ActLayout::NCHW && wl.groups == 1 &&
         wl.act.encoding().kind == EncodingKind::Unsigned;
}

// The microkernel a config runs its core with: "none" when it has none or no such knob
// (dense layers).
inline std::string microkernel_of(const Config& c) {
  return c.values().count("microkernel") ? c.get("microkernel") : "none";
}

// Where a config's microkernel computes its sums: "row" (per row of output tiles) or
// "image" (one call). AVX2 spaces have the knob microkernel_at; AVX-512 ones do not (their
// one microkernel, the pointwise, runs per image: its tiles run across rows, and the
// knob stays out of the spaces whose tuned records predate it).
inline std::string microkernel_at(const Config& c) {
  return c.values().count("microkernel_at") ? c.get("microkernel_at") : "image";
}

// The config as the output's tiling reads it. With a microkernel the register tile
// (tile_o x tile_x) is the microkernel's and the output tile only shapes the generated
// epilogue, so an epilogue vectorized along pixels spans at least vector_width of them: a
// 2-pixel register tile still stores whole vectors of an NCHW row (along channels, it
// stored a lane at a time).
// The pointwise microkernels' pixels run across rows, so their epilogue's tile is one
// vector of a row's pixels, whatever tile_x (which may be wider than the row).
inline bool epilogue_has_own_tile(const Config& c) {
  const std::string mk = microkernel_of(c);
  return mk != "none" && c.get("vector_axis") == "x" &&
         (is_pointwise_microkernel(mk) || c.get_int("vector_width") > c.get_int("tile_x"));
}
inline Config epilogue_tile_config(const Config& c) {
  if (!epilogue_has_own_tile(c)) return c;
  Config e = c;
  e.set("tile_x", c.get("vector_width"));
  return e;
}

// The extern stage's entry point (C linkage; the name is kNibbleLutAvx2Symbol). Inputs:
// the split activations and weights above; the geometry (words per plane, activation
// and weight planes, kernel rows and columns, the packed-row step per output row (the
// stride, or 1 when only sampled rows were packed), column stride, dilations); the
// register tile (pixels of a row x vectors of four channels). Output: int32 sums
// (oi, g, x, y, n), stored channels innermost or pixels innermost (oi's or x's stride 1;
// the schedule picks the order its epilogue vectorizes). Returns 0, or -1 for a tile or
// a layout it has no code for.
extern "C" int bitforge_bitserial_nibble_lut_avx2(halide_buffer_t* act, halide_buffer_t* wgt, int words, int act_planes,
                                                  int wgt_planes, int kernel_h, int kernel_w, int row_step,
                                                  int col_stride, int dil_h, int dil_w, int tile_pixels,
                                                  int tile_vectors, halide_buffer_t* out);

// The pointwise extern stages' entry points (C linkage; kPointwise*Symbol), one per ISA.
// Inputs: the split activations and weights above, and the per-pixel term (x, y, n, g)
// added to every channel; words per plane, activation and weight planes, the scale as a
// shift (the result is (Σ 2^(i+j) popcount) << scale_shift + term), the output row
// width; the register tile (pixels, a multiple of the block, x channels); whether `out` is the
// operator's NCHW int32 output itself (x, y, o, n; one group) rather than sums (oi, g, x,
// y, n) for a generated epilogue. Either way pixels innermost. Returns 0, or -1 for a
// tile or a layout it has no code for.
extern "C" int bitforge_bitserial_pointwise_nibble_lut_avx2(halide_buffer_t* act, halide_buffer_t* wgt,
                                                            halide_buffer_t* pixel_term, int words, int act_planes,
                                                            int wgt_planes, int scale_shift, int out_w,
                                                            int tile_pixels, int tile_channels, int out_is_output,
                                                            halide_buffer_t* out);
extern "C" int bitforge_bitserial_pointwise_vpopcnt_avx512(halide_buffer_t* act, halide_buffer_t* wgt,
                                                           halide_buffer_t* pixel_term, int words, int act_planes,
                                                           int wgt_planes, int scale_shift, int out_w,
                                                           int tile_pixels, int tile_channels, int out_is_output,
                                                           halide_buffer_t* out);

}  // namespace bitforge::codegen
