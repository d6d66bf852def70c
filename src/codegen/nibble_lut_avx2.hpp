// bitforge codegen (internal): what the AVX2 nibble-lookup microkernels share (the
// channel-tile one for any window, bitserial_microkernel_avx2.cpp, and the pixel-tile one
// for 1x1 windows, bitserial_pointwise_avx2.cpp): the lookup table, the byte-sum limit,
// and reading Halide buffers. Not here: either kernel's loops or layouts (those are in
// bitserial_microkernel.hpp).
#pragma once

#include <immintrin.h>

#include <HalideRuntime.h>

#include <cstddef>

#define BITFORGE_AVX2 __attribute__((target("avx2")))

namespace bitforge::codegen::nibble_lut {

// A byte lane gains at most 8 per packed word: 31 * 8 = 248 still fits.
inline constexpr int kMaxByteSteps = 31;

// popcount of each nibble value, in both 128-bit lanes (vpshufb looks up within a lane).
BITFORGE_AVX2 inline __m256i table() {
  return _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,  //
                          0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
}

// Element offset of `coords` in `b` (coordinates in Halide's global frame).
template <int N>
std::ptrdiff_t offset_of(const halide_buffer_t* b, const int (&coords)[N]) {
  std::ptrdiff_t off = 0;
  for (int d = 0; d < N; ++d) off += static_cast<std::ptrdiff_t>(coords[d] - b->dim[d].min) * b->dim[d].stride;
  return off;
}

// A bounds query's answer for a buffer Halide asks about (no memory yet): each
// dimension's min and extent, in order. A buffer that has its memory is left alone.
struct Interval {
  int min, extent;
};
template <int N>
void answer_bounds(halide_buffer_t* b, const Interval (&dims)[N]) {
  if (b->host != nullptr) return;
  for (int d = 0; d < N; ++d) {
    b->dim[d].min = dims[d].min;
    b->dim[d].extent = dims[d].extent;
  }
}

}  // namespace bitforge::codegen::nibble_lut
