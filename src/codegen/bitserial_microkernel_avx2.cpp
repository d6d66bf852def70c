// The AVX2 nibble-lookup bit-serial microkernel (layouts: bitserial_microkernel.hpp).
//
// One register tile is P output pixels of a row x V vectors of four output channels.
// Per step (one packed word of one plane pair at one kernel tap) it loads the V weight
// vectors' two halves once and broadcasts each pixel's two activation halves, then per
// accumulator: 2 AND, 2 vpshufb, 2 byte adds — 6 instructions per 256 bits, where the
// generated core needs 9 (shift, 3 AND, 2 vpshufb, byte add, vpsadbw, 64-bit add). A
// byte lane gains at most 8 per step, so the byte sums are flushed through vpsadbw into
// 64-bit sums every chunk of at most 31 steps; a plane pair's sum is shifted by 2^(i+j)
// once, and a single pair's goes straight to the int32 outputs, a whole row of tiles per
// call.
#include <immintrin.h>

#include <HalideRuntime.h>

#include <algorithm>
#include <cstddef>
#include <vector>

#include "codegen/bitserial_microkernel.hpp"
#include "codegen/halide_buffers.hpp"
#include "codegen/nibble_lut_avx2.hpp"

namespace bitforge::codegen {

namespace {
using u64 = std::uint64_t;
using nibble_lut::kMaxByteSteps;

// One step of a plane pair: a kernel tap's packed word, as element offsets from the
// pair's first activation and weight word. Tabled once per call, so the loop over
// steps does no index arithmetic.
struct Step {
  std::ptrdiff_t act, wgt;
};

struct Geometry {
  int act_planes, wgt_planes;
  std::ptrdiff_t act_i, wgt_j;  // element steps between planes
  std::vector<Step> steps;      // taps x words, in memory order
  int chunk = 1;                // steps per byte sum (the last may have fewer)
};

// Where a tile's int32 outputs go: output (c, p) of the block — channel c of the block,
// pixel p of the tile — is at at[(c0 + c) * ch + p * px]. One of the strides is 1: the
// schedule stores the sums in the order its epilogue reads vectors of them.
struct TileOut {
  std::int32_t* at;  // the tile's first pixel, in the buffer's first channel
  std::ptrdiff_t c0, ch, px;
};

// Writes channels [first, first + count) of a tile's sums (sums[p][v] lane l: channel
// l * V + v of pixel p, in 64-bit lanes). Channels innermost: a vector of the block's
// channels per pixel. Pixels innermost: rows of P pixels per channel — two pixels share
// a 64-bit lane after one shift and one OR, four make a 128-bit row after an unpack.
template <int P, int V>
BITFORGE_AVX2 __attribute__((always_inline)) inline void store_tile(const __m256i (&sums)[P][V], const TileOut& o,
                                                                    int first, int count) {
  constexpr int B = 4 * V;
  const int last = first + count;
  const bool whole = first == 0 && last == B;
  auto wanted = [&](int c) { return whole || (c >= first && c < last); };
  if (o.ch == 1) {
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p) {
      std::int32_t* pixel = o.at + p * o.px;
      __m256i packed;
      if constexpr (V == 2) {
        // Vector v lane l is channel 2l + v: the odd channels move into the high halves.
        packed = _mm256_or_si256(sums[p][0], _mm256_slli_epi64(sums[p][1], 32));
      } else {
        packed = _mm256_permutevar8x32_epi32(sums[p][0], _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6));
      }
      if (whole) {
        if constexpr (V == 2) _mm256_storeu_si256(reinterpret_cast<__m256i*>(pixel + o.c0), packed);
        else _mm_storeu_si128(reinterpret_cast<__m128i*>(pixel + o.c0), _mm256_castsi256_si128(packed));
        continue;
      }
      alignas(32) std::int32_t all[8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(all), packed);
      std::copy(all + first, all + last, pixel + (o.c0 + first));
    }
    return;
  }
  auto row = [&](int c) { return o.at + (o.c0 + c) * o.ch; };  // channel c's pixels
  if constexpr (P % 2 == 1) {
    alignas(32) std::int64_t lanes[P][V][4];
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p)
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v) _mm256_store_si256(reinterpret_cast<__m256i*>(lanes[p][v]), sums[p][v]);
    for (int c = first; c < last; ++c)
      for (int p = 0; p < P; ++p) row(c)[p] = static_cast<std::int32_t>(lanes[p][c % V][c / V]);
    return;
  }
  __m256i pairs[P / 2][V];  // lane l: channel l * V + v of pixels 2q and 2q + 1
#pragma GCC unroll 8
  for (int q = 0; q < P / 2; ++q)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) pairs[q][v] = _mm256_or_si256(sums[2 * q][v], _mm256_slli_epi64(sums[2 * q + 1][v], 32));
  if constexpr (P == 2) {
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) {
      const __m128d halves[2] = {_mm_castsi128_pd(_mm256_castsi256_si128(pairs[0][v])),
                                 _mm_castsi128_pd(_mm256_extracti128_si256(pairs[0][v], 1))};
#pragma GCC unroll 4
      for (int l = 0; l < 4; ++l) {
        if (!wanted(l * V + v)) continue;
        double* pixels = reinterpret_cast<double*>(row(l * V + v));
        if (l % 2 == 0) _mm_storel_pd(pixels, halves[l / 2]); else _mm_storeh_pd(pixels, halves[l / 2]);
      }
    }
  } else {
#pragma GCC unroll 8
    for (int h = 0; h < P / 4; ++h)
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v) {
        // Rows of four pixels: channels (0, 2) * V + v in `even`'s halves, (1, 3) * V + v in `odd`'s.
        const __m256i even = _mm256_unpacklo_epi64(pairs[2 * h][v], pairs[2 * h + 1][v]);
        const __m256i odd = _mm256_unpackhi_epi64(pairs[2 * h][v], pairs[2 * h + 1][v]);
        const __m128i rows[4] = {_mm256_castsi256_si128(even), _mm256_castsi256_si128(odd),
                                 _mm256_extracti128_si256(even, 1), _mm256_extracti128_si256(odd, 1)};
#pragma GCC unroll 4
        for (int l = 0; l < 4; ++l)
          if (wanted(l * V + v))
            _mm_storeu_si128(reinterpret_cast<__m128i*>(row(l * V + v) + 4 * h), rows[l]);
      }
  }
}

// One step into the byte sums: a tap's packed word against V vectors of weights, for P
// pixels.
template <int P, int V>
BITFORGE_AVX2 __attribute__((always_inline)) inline void add_step(__m256i (&acc)[P][V], const Step* step,
                                                                  const u64* const (&act)[P], const u64* wgt,
                                                                  __m256i lut) {
  const __m256i* w = reinterpret_cast<const __m256i*>(wgt + step->wgt);
  __m256i wlo[V], whi[V];
#pragma GCC unroll 8
  for (int v = 0; v < V; ++v) {
    wlo[v] = _mm256_loadu_si256(w + v);
    whi[v] = _mm256_loadu_si256(w + V + v);
  }
#pragma GCC unroll 8
  for (int p = 0; p < P; ++p) {
    const u64* a = act[p] + step->act;
    const __m256i alo = _mm256_set1_epi64x(static_cast<long long>(a[0]));
    const __m256i ahi = _mm256_set1_epi64x(static_cast<long long>(a[1]));
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) {
      const __m256i lo = _mm256_shuffle_epi8(lut, _mm256_and_si256(alo, wlo[v]));
      const __m256i hi = _mm256_shuffle_epi8(lut, _mm256_and_si256(ahi, whi[v]));
      acc[p][v] = _mm256_add_epi8(acc[p][v], _mm256_add_epi8(lo, hi));
    }
  }
}

// The sum of one plane pair over all its steps for one tile, in byte sums of `chunk`
// steps (N > 0: exactly N), each flushed through vpsadbw into 64-bit sums kept in
// registers. The step loop is not unrolled: unrolled, GCC hoisted every step's loads to
// the top and spilled them.
template <int P, int V, int N>
BITFORGE_AVX2 __attribute__((always_inline)) inline void pair_total(const Step* step, int steps, int chunk,
                                                                    const u64* const (&act)[P], const u64* wgt,
                                                                    __m256i lut, __m256i (&total)[P][V]) {
  __m256i acc[P][V];
  // A chunk of one step means a reduction of one step (a 1x1 layer's single word): with
  // that known the loops fold away, and nothing is added to zero.
  if constexpr (N == 1) steps = 1;
#pragma GCC unroll 8
  for (int p = 0; p < P; ++p)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) total[p][v] = _mm256_setzero_si256();
  if constexpr (N > 0) chunk = N;
  for (int first = 0; first < steps; first += chunk) {
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p)
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v) acc[p][v] = _mm256_setzero_si256();
    const int count = std::min(chunk, steps - first);
#pragma GCC unroll 1
    for (int k = 0; k < count; ++k, ++step) add_step<P, V>(acc, step, act, wgt, lut);
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p)
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v)
        total[p][v] = _mm256_add_epi64(total[p][v], _mm256_sad_epu8(acc[p][v], _mm256_setzero_si256()));
  }
}

// pair_total added, shifted by `shift`, into `sums`. Not inlined (nor is the row below):
// on its own the loop has the register file to itself (inlined, GCC kept the caller's
// sums live across it and spilled accumulators: 1.6x slower). `total` is local because
// __m256i may alias anything: sums kept in `sums` would be stored after every step.
template <int P, int V, int N>
BITFORGE_AVX2 __attribute__((noinline)) void pair_sums(const Step* step, int steps, int chunk,
                                                       const u64* const (&act)[P], const u64* wgt, int shift,
                                                       __m256i (&sums)[P][V]) {
  __m256i total[P][V];
  pair_total<P, V, N>(step, steps, chunk, act, wgt, nibble_lut::table(), total);
  const __m128i count = _mm_cvtsi32_si128(shift);
#pragma GCC unroll 8
  for (int p = 0; p < P; ++p)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) sums[p][v] = _mm256_add_epi64(sums[p][v], _mm256_sll_epi64(total[p][v], count));
}

// Where a run of tiles reads and writes, for single_pair_run.
struct RunTiles {
  const u64* act;                  // the image's packed words
  const std::ptrdiff_t* act_at;    // where each output pixel's words start in them
  int pixels;                      // output pixels in the run (at least P)
  const u64* wgt;                  // the first full block's weights
  std::ptrdiff_t wgt_block;        // elements between blocks
  int blocks;                      // full blocks of 4 * V channels
  std::int32_t* out;               // pixel 0 of the buffer's first channel
  std::ptrdiff_t c0;               // the first full block's first channel, from the buffer's first
  std::ptrdiff_t out_ch, out_px;   // elements between channels, between pixels
};

// A single plane pair (the sum is the output): every tile of a run, full blocks, stored
// straight as int32 outputs. One call per run, not per tile: short reductions (a 1x1
// layer has one step per tile) would otherwise pay a call per tile.
template <int P, int V, int N>
BITFORGE_AVX2 __attribute__((noinline)) void single_pair_run(const Step* step, int steps, int chunk,
                                                             const RunTiles& run) {
  const __m256i lut = nibble_lut::table();
  for (int x = 0; x < run.pixels; x += P) {
    const int xs = std::min(x, run.pixels - P);  // the last tile shifts inwards (recomputing is harmless)
    const u64* a[P];
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p) a[p] = run.act + run.act_at[xs + p];
    for (int b = 0; b < run.blocks; ++b) {
      __m256i total[P][V];
      pair_total<P, V, N>(step, steps, chunk, a, run.wgt + b * run.wgt_block, lut, total);
      store_tile<P, V>(total, {run.out + xs * run.out_px, run.c0 + b * 4 * V, run.out_ch, run.out_px}, 0, 4 * V);
    }
  }
}

// Calls f.template operator()<N>() with the chunk length N known for the usual ones
// (1x1 and 3x3 windows of 1, 2, 4 or 8 words; 0: any other, at run time).
template <typename F>
void with_chunk(int chunk, F&& f) {
  switch (chunk) {
    case 1: return f.template operator()<1>();
    case 2: return f.template operator()<2>();
    case 4: return f.template operator()<4>();
    case 9: return f.template operator()<9>();
    case 18: return f.template operator()<18>();
    case 24: return f.template operator()<24>();
    default: return f.template operator()<0>();
  }
}

// The sums of one tile over every plane pair: sums[p][v] holds channels {l * V + v} of
// pixel p in 64-bit lanes.
template <int P, int V>
BITFORGE_AVX2 void tile_sums(const Geometry& g, const u64* const (&act)[P], const u64* wgt, __m256i (&sums)[P][V]) {
#pragma GCC unroll 8
  for (int p = 0; p < P; ++p)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) sums[p][v] = _mm256_setzero_si256();
  for (int i = 0; i < g.act_planes; ++i) {
    const u64* plane[P];
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p) plane[p] = act[p] + i * g.act_i;
    for (int j = 0; j < g.wgt_planes; ++j)
      with_chunk(g.chunk, [&]<int N>() {
        pair_sums<P, V, N>(g.steps.data(), static_cast<int>(g.steps.size()), g.chunk, plane, wgt + j * g.wgt_j, i + j,
                           sums);
      });
  }
}

struct Region {
  int o0, o1, g, y, n;  // channels [o0, o1) of group g, image n, rows from y
};

// One run of output tiles: `pixels` output pixels of the region's rows, rows one after
// another (act_at: where each one's packed words start), channels [o0, o1) of group g.
// Tiles run across rows, so rows of 7 or 14 pixels waste no more than the last tile's
// overlap (a tile per row of 7 pixels computed 8).
template <int P, int V>
BITFORGE_AVX2 void run_tiles(const Geometry& geo, halide_buffer_t* act_b, halide_buffer_t* wgt_b, halide_buffer_t* out_b,
                             const std::ptrdiff_t* act_at, int pixels, const Region& at) {
  constexpr int B = 4 * V;
  // Everything but the pixel and the block is fixed for the run: one offset each.
  const u64* act = reinterpret_cast<const u64*>(act_b->host) +
                   offset_of(act_b, {0, 0, 0, act_b->dim[3].min, act_b->dim[4].min, at.n, at.g});
  const u64* wgt = reinterpret_cast<const u64*>(wgt_b->host) +
                   offset_of(wgt_b, {0, 0, 0, 0, 0, 0, wgt_b->dim[6].min, at.g});
  std::int32_t* out = reinterpret_cast<std::int32_t*>(out_b->host) +
                      offset_of(out_b, {out_b->dim[0].min, at.g, out_b->dim[2].min, at.y, at.n});
  const std::ptrdiff_t wgt_block = wgt_b->dim[6].stride;
  const std::ptrdiff_t out_ch = out_b->dim[0].stride, out_px = out_b->dim[2].stride;
  const int block0 = wgt_b->dim[6].min, o_min = out_b->dim[0].min;
  // A single plane pair's full blocks: a call for the whole run. Partial blocks (the
  // region's edges) and several plane pairs: tile by tile.
  const bool single = geo.act_planes * geo.wgt_planes == 1;
  const int full0 = (at.o0 + B - 1) / B, full1 = at.o1 / B;  // the full blocks [full0, full1)
  if (single && full0 < full1) {
    const RunTiles run{act, act_at, pixels, wgt + (full0 - block0) * wgt_block, wgt_block, full1 - full0,
                       out, full0 * B - o_min, out_ch, out_px};
    const int steps = static_cast<int>(geo.steps.size());
    with_chunk(geo.chunk, [&]<int N>() { single_pair_run<P, V, N>(geo.steps.data(), steps, geo.chunk, run); });
    if (full0 * B == at.o0 && full1 * B == at.o1) return;
  }
  for (int x = 0; x < pixels; x += P) {
    const int xs = std::min(x, pixels - P);  // the last tile shifts inwards (recomputing is harmless)
    const u64* a[P];
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p) a[p] = act + act_at[xs + p];
    for (int ob = at.o0 / B; ob * B < at.o1; ++ob) {
      if (single && ob >= full0 && ob < full1) continue;
      const int first = std::max(at.o0 - ob * B, 0), last = std::min(at.o1 - ob * B, B);
      __m256i sums[P][V];
      tile_sums<P, V>(geo, a, wgt + (ob - block0) * wgt_block, sums);
      store_tile<P, V>(sums, {out + xs * out_px, ob * B - o_min, out_ch, out_px}, first, last - first);
    }
  }
}

// The output region in runs: all its rows at once where they follow each other in the
// buffer (the next row's first pixel one pixel stride after the last), else row by row.
template <int P, int V>
void run_region(const Geometry& geo, halide_buffer_t* act, halide_buffer_t* wgt, halide_buffer_t* out, int row_step,
                int col_stride) {
  const halide_dimension_t* d = out->dim;
  const halide_dimension_t* a = act->dim;
  const bool rows_follow = d[3].extent == 1 || d[3].stride == d[2].extent * d[2].stride;
  const int rows = rows_follow ? d[3].extent : 1, pixels = rows * d[2].extent;
  std::vector<std::ptrdiff_t> act_at(pixels);  // the same for every image and group
  for (int y0 = d[3].min; y0 < d[3].min + d[3].extent; y0 += rows) {
    for (int r = 0, q = 0; r < rows; ++r)
      for (int x = d[2].min; x < d[2].min + d[2].extent; ++x, ++q)
        act_at[q] = static_cast<std::ptrdiff_t>(x * col_stride - a[3].min) * a[3].stride +
                    static_cast<std::ptrdiff_t>((y0 + r) * row_step - a[4].min) * a[4].stride;
    for (int n = d[4].min; n < d[4].min + d[4].extent; ++n)
      for (int g = d[1].min; g < d[1].min + d[1].extent; ++g) {
        const Region at{d[0].min, d[0].min + d[0].extent, g, y0, n};
        // Runs shorter than the tile go one pixel at a time.
        if (pixels >= P) run_tiles<P, V>(geo, act, wgt, out, act_at.data(), pixels, at);
        else run_tiles<1, V>(geo, act, wgt, out, act_at.data(), pixels, at);
      }
  }
}

using RegionFn = void (*)(const Geometry&, halide_buffer_t*, halide_buffer_t*, halide_buffer_t*, int, int);
RegionFn region_fn(int pixels, int vectors) {
  if (vectors == 1) {
    switch (pixels) {
      case 1: return run_region<1, 1>;
      case 2: return run_region<2, 1>;
      case 4: return run_region<4, 1>;
      case 8: return run_region<8, 1>;
    }
  } else if (vectors == 2) {
    switch (pixels) {
      case 1: return run_region<1, 2>;
      case 2: return run_region<2, 2>;
    }
  }
  return nullptr;
}

}  // namespace

extern "C" int bitforge_bitserial_nibble_lut_avx2(halide_buffer_t* act, halide_buffer_t* wgt, int words, int act_planes,
                                                  int wgt_planes, int kernel_h, int kernel_w, int row_step,
                                                  int col_stride, int dil_h, int dil_w, int tile_pixels,
                                                  int tile_vectors, halide_buffer_t* out) {
  const halide_dimension_t* d = out->dim;
  if (act->host == nullptr || wgt->host == nullptr) {
    // Bounds query: the activation region this output region reads, and all weights of
    // its groups (their blocks of channels are cheap to over-approximate).
    const int x_last = d[2].min + d[2].extent - 1, y_last = d[3].min + d[3].extent - 1;
    answer_bounds(act, {{0, 2}, {0, words}, {0, act_planes},
                        {d[2].min * col_stride, x_last * col_stride + (kernel_w - 1) * dil_w - d[2].min * col_stride + 1},
                        {d[3].min * row_step, y_last * row_step + (kernel_h - 1) * dil_h - d[3].min * row_step + 1},
                        {d[4].min, d[4].extent}, {d[1].min, d[1].extent}});
    const int block = 4 * tile_vectors;
    answer_bounds(wgt, {{0, block}, {0, 2}, {0, wgt_planes}, {0, words}, {0, kernel_w}, {0, kernel_h},
                        {d[0].min / block, (d[0].min + d[0].extent - 1) / block - d[0].min / block + 1},
                        {d[1].min, d[1].extent}});
    return 0;
  }
  const RegionFn run = region_fn(tile_pixels, tile_vectors);
  const halide_dimension_t* a = act->dim;
  const halide_dimension_t* w = wgt->dim;
  // The loads assume the halves (and a block's lanes) are adjacent, as the layouts say.
  if (run == nullptr || a[0].stride != 1 || w[0].stride != 1 || w[1].stride != 4 * tile_vectors ||
      (d[0].stride != 1 && d[2].stride != 1))
    return -1;
  Geometry geo{act_planes, wgt_planes, a[2].stride, w[2].stride, {}};
  for (int r = 0; r < kernel_h; ++r)
    for (int s = 0; s < kernel_w; ++s)
      for (int wd = 0; wd < words; ++wd)
        geo.steps.push_back({wd * a[1].stride + s * dil_w * a[3].stride + r * dil_h * a[4].stride,
                             wd * w[3].stride + s * w[4].stride + r * w[5].stride});
  // As few byte sums as fit, of equal length (36 steps: 18 + 18, not 31 + 5).
  const int steps = static_cast<int>(geo.steps.size()), sums = (steps + kMaxByteSteps - 1) / kMaxByteSteps;
  geo.chunk = (steps + sums - 1) / sums;
  run(geo, act, wgt, out, row_step, col_stride);
  return 0;
}

}  // namespace bitforge::codegen
