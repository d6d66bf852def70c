// bitforge codegen (internal): what the AVX2 nibble-lookup microkernels share (the
// channel-tile one for any window, bitserial_microkernel_avx2.cpp, and the pixel-tile one
// for 1x1 windows, bitserial_pointwise_avx2.cpp): the lookup table and the byte-sum
// limit. Not here: either kernel's loops or layouts (those are in bitserial_microkernel.hpp),
// or reading Halide buffers (halide_buffers.hpp).
#pragma once

#include <immintrin.h>

#define BITFORGE_AVX2 __attribute__((target("avx2")))

namespace bitforge::codegen::nibble_lut {

// A byte lane gains at most 8 per packed word: 31 * 8 = 248 still fits.
inline constexpr int kMaxByteSteps = 31;

// popcount of each nibble value, in both 128-bit lanes (vpshufb looks up within a lane).
BITFORGE_AVX2 inline __m256i table() {
  return _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,  //
                          0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
}

}  // namespace bitforge::codegen::nibble_lut
