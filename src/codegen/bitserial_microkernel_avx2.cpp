// The AVX2 nibble-lookup bit-serial microkernel (layouts: bitserial_microkernel.hpp).
//
// One register tile is P output pixels of a row x V vectors of four output channels.
// Per step (one packed word of one plane pair at one kernel tap) it loads the V weight
// vectors' two halves once and broadcasts each pixel's two activation halves, then per
// accumulator: 2 AND, 2 vpshufb, 2 byte adds — 6 instructions per 256 bits, where the
// generated core needs 9 (shift, 3 AND, 2 vpshufb, byte add, vpsadbw, 64-bit add). A
// byte lane gains at most 8 per step, so the byte sums are flushed through vpsadbw into
// 64-bit sums every chunk of at most 31 steps; a plane pair's sum is shifted by 2^(i+j)
// once, and a single pair's goes straight to the int32 outputs.
#include <immintrin.h>

#include <HalideRuntime.h>

#include <algorithm>
#include <cstddef>
#include <vector>

#include "codegen/bitserial_microkernel.hpp"

namespace bitforge::codegen {

namespace {
using u64 = std::uint64_t;
constexpr int kMaxByteSteps = 31;  // 31 * 8 = 248 fits a byte lane

// Element offset of `coords` in `b` (coordinates in Halide's global frame).
template <int N>
std::ptrdiff_t offset_of(const halide_buffer_t* b, const int (&coords)[N]) {
  std::ptrdiff_t off = 0;
  for (int d = 0; d < N; ++d) off += static_cast<std::ptrdiff_t>(coords[d] - b->dim[d].min) * b->dim[d].stride;
  return off;
}

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

#define BITFORGE_AVX2 __attribute__((target("avx2")))

// Writes channels [first, first + count) of a block of 4 * V from 64-bit-lane sums.
template <int V>
BITFORGE_AVX2 void store_block(const __m256i (&sums)[V], std::int32_t* out, int first, int count) {
  __m256i packed;
  if constexpr (V == 2) {
    // Vector v lane l is channel 2l + v: the odd channels move into the high halves.
    packed = _mm256_or_si256(sums[0], _mm256_slli_epi64(sums[1], 32));
  } else {
    packed = _mm256_permutevar8x32_epi32(sums[0], _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6));
  }
  if (first == 0 && count == 4 * V) {
    if constexpr (V == 2) _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), packed);
    else _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm256_castsi256_si128(packed));
    return;
  }
  alignas(32) std::int32_t all[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(all), packed);
  std::copy(all + first, all + first + count, out);
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

BITFORGE_AVX2 inline __m256i nibble_lut() {
  return _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,  //
                          0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
}

// The sum of one plane pair over all its steps, in byte sums of `chunk` steps (N > 0:
// exactly N), each flushed through vpsadbw into 64-bit sums kept in registers. Either
// added, shifted by `shift`, into `sums`, or (out != nullptr: a single plane pair, full
// blocks) stored straight as the int32 outputs, so no tile state goes through memory.
// Not inlined: on its own the loop has the register file to itself (inlined, GCC kept
// the caller's sums live across it and spilled accumulators: 1.6x slower). The step loop
// is not unrolled either: unrolled, GCC hoisted every step's loads to the top and spilled
// them.
template <int P, int V, int N>
BITFORGE_AVX2 __attribute__((noinline)) void pair_sums(const Step* step, int steps, int chunk,
                                                       const u64* const (&act)[P], const u64* wgt, int shift,
                                                       __m256i (&sums)[P][V], std::int32_t* out,
                                                       std::ptrdiff_t out_px) {
  // Local sums: __m256i may alias anything, so sums kept in `sums` would be stored after
  // every step.
  const __m256i lut = nibble_lut();
  __m256i total[P][V], acc[P][V];
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
  if (out != nullptr) {
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p) store_block<V>(total[p], out + p * out_px, 0, 4 * V);
    return;
  }
  const __m128i count = _mm_cvtsi32_si128(shift);
#pragma GCC unroll 8
  for (int p = 0; p < P; ++p)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) sums[p][v] = _mm256_add_epi64(sums[p][v], _mm256_sll_epi64(total[p][v], count));
}

// pair_sums with the usual chunk lengths (1x1 and 3x3 windows of 1, 2, 4 or 8 words) known.
template <int P, int V>
BITFORGE_AVX2 void pair_sums_of(const Geometry& g, const u64* const (&act)[P], const u64* wgt, int shift,
                                __m256i (&sums)[P][V], std::int32_t* out = nullptr, std::ptrdiff_t out_px = 0) {
  const Step* step = g.steps.data();
  const int steps = static_cast<int>(g.steps.size());
  switch (g.chunk) {
    case 1: return pair_sums<P, V, 1>(step, steps, 1, act, wgt, shift, sums, out, out_px);
    case 2: return pair_sums<P, V, 2>(step, steps, 2, act, wgt, shift, sums, out, out_px);
    case 4: return pair_sums<P, V, 4>(step, steps, 4, act, wgt, shift, sums, out, out_px);
    case 9: return pair_sums<P, V, 9>(step, steps, 9, act, wgt, shift, sums, out, out_px);
    case 18: return pair_sums<P, V, 18>(step, steps, 18, act, wgt, shift, sums, out, out_px);
    case 24: return pair_sums<P, V, 24>(step, steps, 24, act, wgt, shift, sums, out, out_px);
    default: return pair_sums<P, V, 0>(step, steps, g.chunk, act, wgt, shift, sums, out, out_px);
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
    for (int j = 0; j < g.wgt_planes; ++j) pair_sums_of<P, V>(g, plane, wgt + j * g.wgt_j, i + j, sums);
  }
}

struct Region {
  int o0, o1, g, x, y, n;  // channels [o0, o1) of group g, output pixel (x, y) of image n
};

// One row of output tiles: pixels [x0, x1) of (y, n), channels [o0, o1) of group g.
template <int P, int V>
BITFORGE_AVX2 void run_tiles(const Geometry& geo, halide_buffer_t* act_b, halide_buffer_t* wgt_b, halide_buffer_t* out_b,
                             int row_step, int col_stride, int x0, int x1, const Region& at) {
  constexpr int B = 4 * V;
  // Everything but the pixel and the block is fixed for the row: one offset each.
  const u64* act = reinterpret_cast<const u64*>(act_b->host) +
                   offset_of(act_b, {0, 0, 0, act_b->dim[3].min, at.y * row_step, at.n, at.g});
  const u64* wgt = reinterpret_cast<const u64*>(wgt_b->host) +
                   offset_of(wgt_b, {0, 0, 0, 0, 0, 0, wgt_b->dim[6].min, at.g});
  std::int32_t* out = reinterpret_cast<std::int32_t*>(out_b->host) +
                      offset_of(out_b, {out_b->dim[0].min, at.g, out_b->dim[2].min, at.y, at.n});
  const std::ptrdiff_t act_px = act_b->dim[3].stride, wgt_block = wgt_b->dim[6].stride, out_px = out_b->dim[2].stride;
  const int act_px0 = act_b->dim[3].min, block0 = wgt_b->dim[6].min, o_min = out_b->dim[0].min;
  const int x_min = out_b->dim[2].min;
  for (int x = x0; x < x1; x += P) {
    const int xs = std::min(x, x1 - P);  // the last tile shifts inwards (recomputing is harmless)
    const u64* a[P];
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p) a[p] = act + ((xs + p) * col_stride - act_px0) * act_px;
    for (int ob = at.o0 / B; ob * B < at.o1; ++ob) {
      const int first = std::max(at.o0 - ob * B, 0), last = std::min(at.o1 - ob * B, B);
      std::int32_t* block_out = out + (xs - x_min) * out_px + (ob * B - o_min);
      __m256i sums[P][V];
      if (geo.act_planes * geo.wgt_planes == 1 && first == 0 && last == B) {
        pair_sums_of<P, V>(geo, a, wgt + (ob - block0) * wgt_block, 0, sums, block_out, out_px);
        continue;
      }
      tile_sums<P, V>(geo, a, wgt + (ob - block0) * wgt_block, sums);
#pragma GCC unroll 8
      for (int p = 0; p < P; ++p)
        store_block<V>(sums[p], out + (xs + p - x_min) * out_px + (ob * B + first - o_min), first, last - first);
    }
  }
}

template <int P, int V>
void run_region(const Geometry& geo, halide_buffer_t* act, halide_buffer_t* wgt, halide_buffer_t* out, int row_step,
                int col_stride) {
  const halide_dimension_t* d = out->dim;
  const int x0 = d[2].min, x1 = d[2].min + d[2].extent;
  for (int n = d[4].min; n < d[4].min + d[4].extent; ++n)
    for (int y = d[3].min; y < d[3].min + d[3].extent; ++y)
      for (int g = d[1].min; g < d[1].min + d[1].extent; ++g) {
        const Region at{d[0].min, d[0].min + d[0].extent, g, 0, y, n};
        // Rows narrower than the tile run one pixel at a time.
        if (x1 - x0 >= P) run_tiles<P, V>(geo, act, wgt, out, row_step, col_stride, x0, x1, at);
        else run_tiles<1, V>(geo, act, wgt, out, row_step, col_stride, x0, x1, at);
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

void set_dim(halide_buffer_t* b, int d, int min, int extent) {
  b->dim[d].min = min;
  b->dim[d].extent = extent;
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
    if (act->host == nullptr) {
      const int x_last = d[2].min + d[2].extent - 1, y_last = d[3].min + d[3].extent - 1;
      set_dim(act, 0, 0, 2);
      set_dim(act, 1, 0, words);
      set_dim(act, 2, 0, act_planes);
      set_dim(act, 3, d[2].min * col_stride, x_last * col_stride + (kernel_w - 1) * dil_w - d[2].min * col_stride + 1);
      set_dim(act, 4, d[3].min * row_step, y_last * row_step + (kernel_h - 1) * dil_h - d[3].min * row_step + 1);
      set_dim(act, 5, d[4].min, d[4].extent);
      set_dim(act, 6, d[1].min, d[1].extent);
    }
    if (wgt->host == nullptr) {
      const int block = 4 * tile_vectors;
      set_dim(wgt, 0, 0, block);
      set_dim(wgt, 1, 0, 2);
      set_dim(wgt, 2, 0, wgt_planes);
      set_dim(wgt, 3, 0, words);
      set_dim(wgt, 4, 0, kernel_w);
      set_dim(wgt, 5, 0, kernel_h);
      set_dim(wgt, 6, d[0].min / block, (d[0].min + d[0].extent - 1) / block - d[0].min / block + 1);
      set_dim(wgt, 7, d[1].min, d[1].extent);
    }
    return 0;
  }
  const RegionFn run = region_fn(tile_pixels, tile_vectors);
  const halide_dimension_t* a = act->dim;
  const halide_dimension_t* w = wgt->dim;
  // The loads assume the halves (and a block's lanes) are adjacent, as the layouts say.
  if (run == nullptr || a[0].stride != 1 || w[0].stride != 1 || w[1].stride != 4 * tile_vectors) return -1;
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
