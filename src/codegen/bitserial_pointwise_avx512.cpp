// The AVX-512 VPOPCNTDQ pointwise (1x1) microkernel (layouts: bitserial_microkernel.hpp).
//
// The AVX2 one's pixels-as-lanes tile with a native popcount: u32 words, sixteen pixels of
// a channel per vector, so a count is already an int32 lane. A register tile is one block
// of sixteen pixels x C output channels (tile_x tops out at sixteen); per packed word one
// load (shared by the C channels), and per channel a vpandd with the broadcast weight word, a vpopcntd and a
// vpaddd; per sixteen outputs one shift for the operands' scale, the per-pixel term and
// one store. The generated 1x1 loop instead pays per output a horizontal reduction or, for
// outputs vectorized along pixels, strided word loads (its packed words are channels-major).
#include <immintrin.h>

#include <HalideRuntime.h>

#include <algorithm>
#include <cstdint>

#include "codegen/bitserial_microkernel.hpp"
#include "codegen/bitserial_pointwise_driver.hpp"

#define BITFORGE_AVX512 __attribute__((target("avx512f,avx512vpopcntdq")))

namespace bitforge::codegen {

namespace {
using u32 = std::uint32_t;
using pointwise::Operands;
using pointwise::Run;
using pointwise::RunFn;
constexpr int kBlock = 16;  // pixels per block: one vector of u32 words

// x << count per lane. (Masked with all lanes, which compiles to the plain vpsllvd: GCC 12
// warns that the unmasked intrinsics' undefined pass-through operand is uninitialized.)
BITFORGE_AVX512 inline __m512i shift_left(__m512i x, __m512i count) {
  return _mm512_maskz_sllv_epi32(static_cast<__mmask16>(0xffff), x, count);
}

// The int32 sums of C channels x one block of sixteen pixels (pixel order), scaled. S: a
// single plane pair (no shifts between pairs); W > 0: exactly W words (loops fold).
template <int C, int W, bool S>
BITFORGE_AVX512 __attribute__((always_inline)) inline void tile_sums(const Operands& op, const u32* act, const u32* wgt,
                                                                     __m512i (&sums)[C]) {
  const int words = W > 0 ? W : op.words;
  const int act_planes = S ? 1 : op.act_planes, wgt_planes = S ? 1 : op.wgt_planes;
#pragma GCC unroll 8
  for (int c = 0; c < C; ++c) sums[c] = _mm512_setzero_si512();
  for (int i = 0; i < act_planes; ++i)
    for (int j = 0; j < wgt_planes; ++j) {
      const u32* a = act + i * op.act_i;
      const u32* w = wgt + j * op.wgt_j;
      __m512i acc[C];
#pragma GCC unroll 8
      for (int c = 0; c < C; ++c) acc[c] = _mm512_setzero_si512();
#pragma GCC unroll 8
      for (int wd = 0; wd < words; ++wd) {
        const __m512i aw = _mm512_loadu_si512(a + wd * op.act_wd);
#pragma GCC unroll 8
        for (int c = 0; c < C; ++c) {
          const __m512i wc = _mm512_set1_epi32(static_cast<int>(w[c * op.wgt_o + wd * op.wgt_wd]));
          acc[c] = _mm512_add_epi32(acc[c], _mm512_popcnt_epi32(_mm512_and_si512(aw, wc)));
        }
      }
      const __m512i shift = _mm512_set1_epi32(i + j);
#pragma GCC unroll 8
      for (int c = 0; c < C; ++c) sums[c] = S ? acc[c] : _mm512_add_epi32(sums[c], shift_left(acc[c], shift));
    }
  const __m512i scale = _mm512_set1_epi32(op.scale_shift);
#pragma GCC unroll 8
  for (int c = 0; c < C; ++c) sums[c] = shift_left(sums[c], scale);
}

// A tile of C channels x one block from pixel `at` of the run, the term added, stored
// (only the lanes in `inside`, all ones away from the run's edges).
template <int C, int W, bool S>
BITFORGE_AVX512 __attribute__((always_inline)) inline void store_tile(const Operands& op, const Run& run,
                                                                      const u32* act, int o, std::ptrdiff_t at,
                                                                      __m512i term, __mmask16 inside) {
  __m512i sums[C];
  tile_sums<C, W, S>(op, act, static_cast<const u32*>(op.wgt) + o * op.wgt_o, sums);
#pragma GCC unroll 8
  for (int c = 0; c < C; ++c)
    _mm512_mask_storeu_epi32(run.out + (o + c) * run.out_o + at, inside, _mm512_add_epi32(sums[c], term));
}

// Every tile of a run: blocks of 16 pixels from the one holding p0, all channels.
template <int C, int W, bool S>
BITFORGE_AVX512 __attribute__((noinline)) void run_tiles(const Operands& operands, const Run& the_run) {
  // Copies: the int32 stores could alias the callers' structs (see the AVX2 kernel).
  const Operands op = operands;
  const Run run = the_run;
  for (int p = run.p0 / kBlock * kBlock; p < run.p1; p += kBlock) {
    const u32* act = static_cast<const u32*>(op.act) + p;
    const std::ptrdiff_t at = p - run.p0;
    // The lanes inside the run, p0 <= p + lane < p1; the term loaded under them (the
    // lanes outside may lie outside its buffer).
    const int lo = std::clamp(run.p0 - p, 0, kBlock), hi = std::clamp(run.p1 - p, 0, kBlock);
    const auto inside = static_cast<__mmask16>(((1u << hi) - 1) & ~((1u << lo) - 1));
    const __m512i term = _mm512_maskz_loadu_epi32(inside, run.term + at);
    int o = 0;
    for (; o + C <= run.channels; o += C) store_tile<C, W, S>(op, run, act, o, at, term, inside);
    for (; o < run.channels; ++o) store_tile<1, W, S>(op, run, act, o, at, term, inside);  // C's leftovers
  }
}

// The tile's code with the usual word counts and a single plane pair known.
template <int C>
RunFn run_fn_of(int words, bool single) {
  return pointwise::specialize<1, 2, 4, 8>(words, single, []<int W, bool S>() -> RunFn { return run_tiles<C, W, S>; });
}

RunFn run_fn(int tile_pixels, int tile_channels, int words, bool single) {
  if (tile_pixels != kBlock) return nullptr;
  switch (tile_channels) {
    case 1: return run_fn_of<1>(words, single);
    case 2: return run_fn_of<2>(words, single);
    case 4: return run_fn_of<4>(words, single);
    case 8: return run_fn_of<8>(words, single);
  }
  return nullptr;
}
}  // namespace

extern "C" int bitforge_bitserial_pointwise_vpopcnt_avx512(halide_buffer_t* act, halide_buffer_t* wgt,
                                                           halide_buffer_t* pixel_term, int words, int act_planes,
                                                           int wgt_planes, int scale_shift, int out_w,
                                                           int tile_pixels, int tile_channels, int out_is_output,
                                                           halide_buffer_t* out) {
  return pointwise::drive({act, wgt, pixel_term, words, act_planes, wgt_planes, scale_shift, out_w, out_is_output, out,
                          /*halves=*/1, kBlock, tile_pixels},
                         run_fn(tile_pixels, tile_channels, words, act_planes * wgt_planes == 1));
}

}  // namespace bitforge::codegen
