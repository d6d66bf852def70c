// The AVX2 nibble-lookup pointwise (1x1) microkernel (layouts: bitserial_microkernel.hpp).
//
// A register tile is K blocks of eight pixels x C output channels. Per packed word and
// vector of four pixels: 2 AND (the broadcast weight halves), 2 vpshufb, 2 byte adds;
// per vector one vpsadbw; per eight outputs one shift and one blend to meet in int32
// lanes, one permutation, the per-pixel term and one store (the scale is in the lookup
// table). Where the generated 1x1 loop pays a scalar popcnt per word and output (one per
// cycle), this is about 0.6 cycles per output for a one-word reduction.
#include <immintrin.h>

#include <HalideRuntime.h>

#include <algorithm>
#include <cstddef>

#include "codegen/bitserial_microkernel.hpp"
#include "codegen/bitserial_pointwise_driver.hpp"
#include "codegen/nibble_lut_avx2.hpp"

namespace bitforge::codegen {

namespace {
using u64 = std::uint64_t;
using nibble_lut::kMaxByteSteps;
using pointwise::Operands;
using pointwise::Run;
using pointwise::RunFn;
constexpr int kBlock = 8;  // pixels per block: two vectors of four

// The int32 sums of C channels x K blocks (pixel order), scaled by the table. S: a
// single plane pair (no shifts, no 64-bit sums across pairs); W > 0: exactly W words
// (loops fold).
template <int K, int C, int W, bool S>
BITFORGE_AVX2 __attribute__((always_inline)) inline void tile_sums(const Operands& op, const u64* act, const u64* wgt,
                                                                   __m256i lut, int chunk, __m256i (&sums)[C][K]) {
  const __m256i zero = _mm256_setzero_si256();
  const int words = W > 0 ? W : op.words;
  if constexpr (W > 0) chunk = W;
  const int act_planes = S ? 1 : op.act_planes, wgt_planes = S ? 1 : op.wgt_planes;
  __m256i total[C][K][2];  // 64-bit sums; lanes 0-3 of a block in [0], 4-7 in [1]
#pragma GCC unroll 4
  for (int c = 0; c < C; ++c)
#pragma GCC unroll 4
    for (int k = 0; k < K; ++k) total[c][k][0] = total[c][k][1] = zero;
  for (int i = 0; i < act_planes; ++i)
    for (int j = 0; j < wgt_planes; ++j) {
      const u64* a = act + i * op.act_i;
      const u64* w = wgt + j * op.wgt_j;
      for (int first = 0; first < words; first += chunk) {
        __m256i acc[C][K][2];
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c)
#pragma GCC unroll 4
          for (int k = 0; k < K; ++k) acc[c][k][0] = acc[c][k][1] = zero;
        const int last = std::min(first + chunk, words);
#pragma GCC unroll 4
        for (int wd = first; wd < last; ++wd) {
#pragma GCC unroll 4
          for (int c = 0; c < C; ++c) {
            const u64* wc = w + c * op.wgt_o + wd * op.wgt_wd;
            const __m256i wlo = _mm256_set1_epi64x(static_cast<long long>(wc[0]));
            const __m256i whi = _mm256_set1_epi64x(static_cast<long long>(wc[1]));
#pragma GCC unroll 4
            for (int k = 0; k < K; ++k)
#pragma GCC unroll 2
              for (int v = 0; v < 2; ++v) {
                const u64* ak = a + k * kBlock + wd * op.act_wd + 4 * v;
                const __m256i alo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ak));
                const __m256i ahi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ak + op.act_h));
                const __m256i lo = _mm256_shuffle_epi8(lut, _mm256_and_si256(alo, wlo));
                const __m256i hi = _mm256_shuffle_epi8(lut, _mm256_and_si256(ahi, whi));
                acc[c][k][v] = _mm256_add_epi8(acc[c][k][v], _mm256_add_epi8(lo, hi));
              }
          }
        }
        const __m128i shift = _mm_cvtsi32_si128(i + j);
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c)
#pragma GCC unroll 4
          for (int k = 0; k < K; ++k)
#pragma GCC unroll 2
            for (int v = 0; v < 2; ++v) {
              const __m256i counts = _mm256_sad_epu8(acc[c][k][v], zero);
              total[c][k][v] = _mm256_add_epi64(total[c][k][v], S ? counts : _mm256_sll_epi64(counts, shift));
            }
      }
    }
  // Every sum fits in int32 (the workload's overflow rule): pixels 4-7 move into the high
  // halves of 0-3's lanes (0 4 1 5 2 6 3 7), and one permutation puts them in order.
  const __m256i order = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
#pragma GCC unroll 4
  for (int c = 0; c < C; ++c)
#pragma GCC unroll 4
    for (int k = 0; k < K; ++k)
      sums[c][k] = _mm256_permutevar8x32_epi32(
          _mm256_blend_epi32(total[c][k][0], _mm256_slli_epi64(total[c][k][1], 32), 0xaa), order);
}

// Where a tile's K blocks go: their first pixel's offset in the run, the terms, and
// (at a run's edges) which lanes lie inside the run.
template <int K>
struct TileOut {
  std::ptrdiff_t at;
  __m256i term[K];
  __m256i inside[K];  // all ones in a lane to store, for Masked tiles
};

// A tile of C channels x K blocks, the terms added, stored as rows of eight (Masked: only
// the lanes inside the run).
template <int K, int C, int W, bool S, bool Masked>
BITFORGE_AVX2 __attribute__((always_inline)) inline void store_tile(const Operands& op, const Run& run,
                                                                    const u64* act, int o, __m256i lut, int chunk,
                                                                    const TileOut<K>& t) {
  __m256i sums[C][K];
  tile_sums<K, C, W, S>(op, act, static_cast<const u64*>(op.wgt) + o * op.wgt_o, lut, chunk, sums);
#pragma GCC unroll 4
  for (int c = 0; c < C; ++c)
#pragma GCC unroll 4
    for (int k = 0; k < K; ++k) {
      std::int32_t* out = run.out + (o + c) * run.out_o + t.at + k * kBlock;
      const __m256i result = _mm256_add_epi32(sums[c][k], t.term[k]);
      if constexpr (Masked) _mm256_maskstore_epi32(out, t.inside[k], result);
      else _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), result);
    }
}

// Every channel of one tile.
template <int K, int C, int W, bool S, bool Masked>
BITFORGE_AVX2 __attribute__((always_inline)) inline void channels_of_tile(const Operands& op, const Run& run,
                                                                          const u64* act, __m256i lut, int chunk,
                                                                          const TileOut<K>& t) {
  int o = 0;
  for (; o + C <= run.channels; o += C) store_tile<K, C, W, S, Masked>(op, run, act, o, lut, chunk, t);
  for (; o < run.channels; ++o) store_tile<K, 1, W, S, Masked>(op, run, act, o, lut, chunk, t);  // C's leftovers
}

// Every tile of a run: blocks of K x 8 pixels from the one holding p0, all channels.
// Not inlined: the tile loop has the register file to itself.
template <int K, int C, int W, bool S>
BITFORGE_AVX2 __attribute__((noinline)) void run_tiles(const Operands& operands, const Run& the_run) {
  // Copies: the int32 stores below could alias the callers' structs, whose fields would
  // then be reloaded after every store.
  const Operands op = operands;
  const Run run = the_run;
  // The scale is the table's (2 or 4 times each count): byte sums of fewer words then fit.
  const __m256i lut = _mm256_slli_epi16(nibble_lut::table(), op.scale_shift);
  const int chunk = kMaxByteSteps >> op.scale_shift;
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int b = run.p0 / kBlock; b * kBlock < run.p1; b += K) {
    const u64* act = static_cast<const u64*>(op.act) + b * kBlock;
    const int p = b * kBlock;
    TileOut<K> t;
    t.at = p - run.p0;
    if (p >= run.p0 && p + K * kBlock <= run.p1) {
#pragma GCC unroll 4
      for (int k = 0; k < K; ++k)
        t.term[k] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(run.term + t.at + k * kBlock));
      channels_of_tile<K, C, W, S, false>(op, run, act, lut, chunk, t);
      continue;
    }
    // A run's edge: the lanes inside it, p0 <= p + 8k + lane < p1, loaded and stored
    // under a mask (the lanes outside may lie outside the buffers).
#pragma GCC unroll 4
    for (int k = 0; k < K; ++k) {
      const __m256i pixel = _mm256_add_epi32(lane, _mm256_set1_epi32(p + k * kBlock));
      t.inside[k] = _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(run.p0), pixel),
                                        _mm256_cmpgt_epi32(_mm256_set1_epi32(run.p1), pixel));
      t.term[k] = _mm256_maskload_epi32(run.term + t.at + k * kBlock, t.inside[k]);
    }
    channels_of_tile<K, 1, W, S, true>(op, run, act, lut, chunk, t);
  }
}

// The tile's code with the usual word counts and a single plane pair known.
template <int K, int C>
RunFn run_fn_of(int words, bool single) {
  return pointwise::specialize<1, 2, 4>(words, single, []<int W, bool S>() -> RunFn { return run_tiles<K, C, W, S>; });
}

RunFn run_fn(int tile_pixels, int tile_channels, int words, bool single) {
  if (tile_pixels == 8 && tile_channels == 1) return run_fn_of<1, 1>(words, single);
  if (tile_pixels == 8 && tile_channels == 2) return run_fn_of<1, 2>(words, single);
  if (tile_pixels == 16 && tile_channels == 1) return run_fn_of<2, 1>(words, single);
  if (tile_pixels == 16 && tile_channels == 2) return run_fn_of<2, 2>(words, single);
  return nullptr;
}
}  // namespace

extern "C" int bitforge_bitserial_pointwise_nibble_lut_avx2(halide_buffer_t* act, halide_buffer_t* wgt,
                                                            halide_buffer_t* pixel_term, int words, int act_planes,
                                                            int wgt_planes, int scale_shift, int out_w,
                                                            int tile_pixels, int tile_channels, int out_is_output,
                                                            halide_buffer_t* out) {
  return pointwise::drive({act, wgt, pixel_term, words, act_planes, wgt_planes, scale_shift, out_w, out_is_output, out,
                          /*halves=*/2, kBlock, tile_pixels},
                         run_fn(tile_pixels, tile_channels, words, act_planes * wgt_planes == 1));
}

}  // namespace bitforge::codegen
