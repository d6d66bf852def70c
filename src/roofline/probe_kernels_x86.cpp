// The x86 probe kernels (probe_kernels.hpp). Each is compiled for its ISA with a target
// attribute; nothing here runs unless compute_probes() / read_probe() chose it for a CPU
// that has the ISA.
//
// Register budgets (why R differs): zmm kernels have 32 vector registers, so 12
// accumulators + 12 weights + the loaded operand fit and 12 chains cover the longest
// latency x ports here (vpdpbusd, vfmadd: 4-5 cycles on up to 2 ports). ymm kernels have
// 16 registers: the FMA uses 10 accumulators over 4 weights (latency 4 x 2 ports = 8
// chains needed), the integer ones 6 (their accumulate chain is a 1-cycle add, so
// throughput, not latency, binds).
#include "roofline/probe_kernels.hpp"

#if defined(__x86_64__)

#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

// noinline + C name: one findable function per mix in the disassembly.
#define BITFORGE_PROBE(isa) extern "C" __attribute__((noinline, target(isa)))

// acc = acc + x (x a vector of `insn`'s element type) computed in acc's register. Written
// as asm because GCC 12 otherwise adds into x's register and copies the sum back to the
// accumulator on every iteration: an extra instruction per accumulation.
#define BITFORGE_ACCUMULATE(insn, acc, x) \
  __asm__(insn " %[x_], %[acc_], %[acc_]" : [acc_] "+v"(acc) : [x_] "v"(x))
// The same for the two-operand SSE encoding.
#define BITFORGE_ACCUMULATE_SSE(insn, acc, x) \
  __asm__(insn " %[x_], %[acc_]" : [acc_] "+x"(acc) : [x_] "x"(x))

// acc += pairwise sums of (u8 a x s8 w) products, widened to int32 by vpmaddwd with ones.
// One asm for the three instructions, for the same reason (the temporary `t` would
// otherwise be the sum's register, with a copy back).
#define BITFORGE_U8S8_MADDUBS_STEP(acc, a, w, ones, t) \
  __asm__(                                             \
      "vpmaddubsw %[w_], %[a_], %[t_]\n\t"             \
      "vpmaddwd %[o_], %[t_], %[t_]\n\t"               \
      "vpaddd %[t_], %[acc_], %[acc_]"                 \
      : [acc_] "+v"(acc), [t_] "=&v"(t)                \
      : [a_] "v"(a), [w_] "v"(w), [o_] "v"(ones))

namespace {
using std::int64_t;
using std::uint64_t;
using std::uint8_t;

// Byte offsets in the operand buffer: the 1 KiB the loaded operand cycles over, and where
// the register-resident weights come from (probe_kernels.hpp: floats start at 4096).
constexpr int64_t kCycleBytes = 1024;
constexpr int64_t kWeightsAt = 1024;
constexpr int64_t kFloatsAt = 4096;
// Accumulators start from distinct values: started all at zero, two chains with the same
// weights would be provably equal and the compiler would compute one of them.
constexpr int64_t kAccAt = 2048;

// The sum of a vector's 64-bit lanes, read back through memory: GCC 12's _mm512_reduce_*
// intrinsics warn (-Wuninitialized, a false positive) inside target-attribute functions.
template <typename V>
inline uint64_t lane_sum(const V& v) {
  uint64_t lanes[sizeof(V) / 8];
  std::memcpy(lanes, &v, sizeof lanes);
  uint64_t s = 0;
  for (uint64_t x : lanes) s += x;
  return s;
}
}  // namespace

// ---- float32 FMA ------------------------------------------------------------------------

BITFORGE_PROBE("avx512f")
uint64_t bitforge_probe_f32_fma_zmm(const uint8_t* operands, int64_t iters) {
  constexpr int R = 12;
  const float* f = reinterpret_cast<const float*>(operands + kFloatsAt);
  __m512 w[R], acc[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
    w[r] = _mm512_loadu_ps(f + 256 + 16 * r), acc[r] = _mm512_loadu_ps(f + 512 + 16 * r);
  for (int64_t i = 0; i < iters; ++i) {
    const __m512 a = _mm512_load_ps(f + 16 * (i & 15));
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) acc[r] = _mm512_fmadd_ps(a, w[r], acc[r]);
  }
#pragma GCC unroll 16
  for (int r = 1; r < R; ++r) acc[0] = _mm512_add_ps(acc[0], acc[r]);
  return lane_sum(acc[0]);
}

BITFORGE_PROBE("avx2,fma")
uint64_t bitforge_probe_f32_fma_ymm(const uint8_t* operands, int64_t iters) {
  constexpr int R = 10, W = 4;
  const float* f = reinterpret_cast<const float*>(operands + kFloatsAt);
  __m256 w[W], acc[R];
#pragma GCC unroll 16
  for (int r = 0; r < W; ++r) w[r] = _mm256_loadu_ps(f + 256 + 8 * r);
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) acc[r] = _mm256_loadu_ps(f + 512 + 8 * r);
  for (int64_t i = 0; i < iters; ++i) {
    const __m256 a = _mm256_load_ps(f + 8 * (i & 31));
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) acc[r] = _mm256_fmadd_ps(a, w[r % W], acc[r]);
  }
#pragma GCC unroll 16
  for (int r = 1; r < R; ++r) acc[0] = _mm256_add_ps(acc[0], acc[r]);
  return lane_sum(acc[0]);
}

// The x86-64 baseline (SSE2, no FMA): what a float32 kernel at the scalar ISA level runs.
// The multiply is off the accumulator chain; the add (latency 2-4, 2 ports) is on it. One
// weight per accumulator: with shared weights the compiler would compute each product once.
BITFORGE_PROBE("sse2")
uint64_t bitforge_probe_f32_mul_add_xmm(const uint8_t* operands, int64_t iters) {
  constexpr int R = 6, W = 6;
  const float* f = reinterpret_cast<const float*>(operands + kFloatsAt);
  __m128 w[W], acc[R];
#pragma GCC unroll 16
  for (int r = 0; r < W; ++r) w[r] = _mm_loadu_ps(f + 256 + 4 * r);
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) acc[r] = _mm_loadu_ps(f + 512 + 4 * r);
  for (int64_t i = 0; i < iters; ++i) {
    const __m128 a = _mm_load_ps(f + 4 * (i & 63));
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) BITFORGE_ACCUMULATE_SSE("addps", acc[r], _mm_mul_ps(a, w[r % W]));
  }
#pragma GCC unroll 16
  for (int r = 1; r < R; ++r) acc[0] = _mm_add_ps(acc[0], acc[r]);
  return lane_sum(acc[0]);
}

// ---- int8: VNNI dot product, and the pre-VNNI pmaddubsw + pmaddwd sequence -------------

BITFORGE_PROBE("avx512f,avx512vnni")
uint64_t bitforge_probe_u8s8_vnni_zmm(const uint8_t* operands, int64_t iters) {
  constexpr int R = 12;
  __m512i w[R], acc[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
    w[r] = _mm512_loadu_si512(operands + kWeightsAt + 64 * r),
    acc[r] = _mm512_loadu_si512(operands + kAccAt + 64 * r);
  for (int64_t i = 0; i < iters; ++i) {
    const __m512i a = _mm512_load_si512(operands + 64 * (i & 15));
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) acc[r] = _mm512_dpbusd_epi32(acc[r], a, w[r]);
  }
#pragma GCC unroll 16
  for (int r = 1; r < R; ++r) acc[0] = _mm512_add_epi32(acc[0], acc[r]);
  return lane_sum(acc[0]);
}

BITFORGE_PROBE("avx512f,avx512bw")
uint64_t bitforge_probe_u8s8_pmaddubsw_zmm(const uint8_t* operands, int64_t iters) {
  constexpr int R = 8;
  const __m512i ones = _mm512_set1_epi16(1);
  __m512i w[R], acc[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
    w[r] = _mm512_loadu_si512(operands + kWeightsAt + 64 * r),
    acc[r] = _mm512_loadu_si512(operands + kAccAt + 64 * r);
  for (int64_t i = 0; i < iters; ++i) {
    const __m512i a = _mm512_load_si512(operands + 64 * (i & 15));
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      __m512i t;
      BITFORGE_U8S8_MADDUBS_STEP(acc[r], a, w[r], ones, t);
    }
  }
#pragma GCC unroll 16
  for (int r = 1; r < R; ++r) acc[0] = _mm512_add_epi32(acc[0], acc[r]);
  return lane_sum(acc[0]);
}

BITFORGE_PROBE("avx2")
uint64_t bitforge_probe_u8s8_pmaddubsw_ymm(const uint8_t* operands, int64_t iters) {
  constexpr int R = 4;
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i w[R], acc[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
    w[r] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(operands + kWeightsAt + 32 * r)),
    acc[r] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(operands + kAccAt + 32 * r));
  for (int64_t i = 0; i < iters; ++i) {
    const __m256i a = _mm256_load_si256(reinterpret_cast<const __m256i*>(operands + 32 * (i & 31)));
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      __m256i t;
      BITFORGE_U8S8_MADDUBS_STEP(acc[r], a, w[r], ones, t);
    }
  }
#pragma GCC unroll 16
  for (int r = 1; r < R; ++r) acc[0] = _mm256_add_epi32(acc[0], acc[r]);
  return lane_sum(acc[0]);
}

// AMX: four accumulator tiles C0..C3 (16 x 16 int32) fed by two A tiles (16 x 64 u8) and
// two B tiles (16 x 64 s8, K packed by 4), the 2 x 2 blocking of a brgemm kernel, so four
// independent tdpbusd are in flight. Each tdpbusd is 16 x 16 x 64 MACs.
BITFORGE_PROBE("amx-tile,amx-int8")
uint64_t bitforge_probe_u8s8_amx(const uint8_t* operands, int64_t iters) {
  struct alignas(64) TileConfig {
    uint8_t palette_id = 1;
    uint8_t start_row = 0;
    uint8_t reserved[14] = {};
    std::uint16_t colsb[16] = {};
    uint8_t rows[16] = {};
  } config;
  for (int t = 0; t < 8; ++t) config.colsb[t] = 64, config.rows[t] = 16;
  _tile_loadconfig(&config);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  _tile_loadd(4, operands, 64);
  _tile_loadd(5, operands + 1024, 64);
  _tile_loadd(6, operands + 2048, 64);
  _tile_loadd(7, operands + 3072, 64);
  for (int64_t i = 0; i < iters; ++i) {
    _tile_dpbusd(0, 4, 6);
    _tile_dpbusd(1, 4, 7);
    _tile_dpbusd(2, 5, 6);
    _tile_dpbusd(3, 5, 7);
  }
  alignas(64) std::int32_t c[4][256];
  _tile_stored(0, c[0], 64);
  _tile_stored(1, c[1], 64);
  _tile_stored(2, c[2], 64);
  _tile_stored(3, c[3], 64);
  _tile_release();
  std::uint32_t s = 0;
  for (const auto& tile : c)
    for (std::int32_t x : tile) s += static_cast<std::uint32_t>(x);
  return s;
}

// ---- int16 multiply-add --------------------------------------------------------------

BITFORGE_PROBE("avx512f,avx512bw")
uint64_t bitforge_probe_s16_madd_zmm(const uint8_t* operands, int64_t iters) {
  constexpr int R = 8;
  __m512i w[R], acc[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
    w[r] = _mm512_loadu_si512(operands + kWeightsAt + 64 * r),
    acc[r] = _mm512_loadu_si512(operands + kAccAt + 64 * r);
  for (int64_t i = 0; i < iters; ++i) {
    const __m512i a = _mm512_load_si512(operands + 64 * (i & 15));
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) BITFORGE_ACCUMULATE("vpaddd", acc[r], _mm512_madd_epi16(a, w[r]));
  }
#pragma GCC unroll 16
  for (int r = 1; r < R; ++r) acc[0] = _mm512_add_epi32(acc[0], acc[r]);
  return lane_sum(acc[0]);
}

BITFORGE_PROBE("avx2")
uint64_t bitforge_probe_s16_madd_ymm(const uint8_t* operands, int64_t iters) {
  constexpr int R = 4;
  __m256i w[R], acc[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
    w[r] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(operands + kWeightsAt + 32 * r)),
    acc[r] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(operands + kAccAt + 32 * r));
  for (int64_t i = 0; i < iters; ++i) {
    const __m256i a = _mm256_load_si256(reinterpret_cast<const __m256i*>(operands + 32 * (i & 31)));
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) BITFORGE_ACCUMULATE("vpaddd", acc[r], _mm256_madd_epi16(a, w[r]));
  }
#pragma GCC unroll 16
  for (int r = 1; r < R; ++r) acc[0] = _mm256_add_epi32(acc[0], acc[r]);
  return lane_sum(acc[0]);
}

BITFORGE_PROBE("sse2")
uint64_t bitforge_probe_s16_madd_xmm(const uint8_t* operands, int64_t iters) {
  constexpr int R = 4;
  __m128i w[R], acc[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
    w[r] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(operands + kWeightsAt + 16 * r)),
    acc[r] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(operands + kAccAt + 16 * r));
  for (int64_t i = 0; i < iters; ++i) {
    const __m128i a = _mm_load_si128(reinterpret_cast<const __m128i*>(operands + 16 * (i & 63)));
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) BITFORGE_ACCUMULATE_SSE("paddd", acc[r], _mm_madd_epi16(a, w[r]));
  }
#pragma GCC unroll 16
  for (int r = 1; r < R; ++r) acc[0] = _mm_add_epi32(acc[0], acc[r]);
  return lane_sum(acc[0]);
}

// ---- AND + popcount + accumulate on 64-bit lanes ---------------------------------------

BITFORGE_PROBE("avx512f,avx512vpopcntdq")
uint64_t bitforge_probe_popcount_vpopcntdq_zmm(const uint8_t* operands, int64_t iters) {
  constexpr int R = 12;
  __m512i w[R], acc[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
    w[r] = _mm512_loadu_si512(operands + kWeightsAt + 64 * r),
    acc[r] = _mm512_loadu_si512(operands + kAccAt + 64 * r);
  for (int64_t i = 0; i < iters; ++i) {
    const __m512i a = _mm512_load_si512(operands + 64 * (i & 15));
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r)
      acc[r] = _mm512_add_epi64(acc[r], _mm512_popcnt_epi64(_mm512_and_si512(a, w[r])));
  }
#pragma GCC unroll 16
  for (int r = 1; r < R; ++r) acc[0] = _mm512_add_epi64(acc[0], acc[r]);
  return lane_sum(acc[0]);
}

// AVX2 has no vector popcount: count nibbles with a 16-entry vpshufb table (Mula's method),
// add the byte counts for 8 iterations (at most 8 x 8 = 64 per byte, no overflow), then
// widen them with one vpsadbw per accumulator — how a fast AVX2 popcount kernel amortizes
// the widening. `iters` must be a multiple of 8.
BITFORGE_PROBE("avx2")
uint64_t bitforge_probe_popcount_avx2_lookup_ymm(const uint8_t* operands, int64_t iters) {
  constexpr int R = 3;
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,  //
                                       0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  __m256i w[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
    w[r] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(operands + kWeightsAt + 32 * r));
  __m256i total = _mm256_setzero_si256();
  for (int64_t i = 0; i + 8 <= iters; i += 8) {
    __m256i bytes[R];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) bytes[r] = _mm256_setzero_si256();
    for (int64_t j = i; j < i + 8; ++j) {
      const __m256i a =
          _mm256_load_si256(reinterpret_cast<const __m256i*>(operands + 32 * (j & 31)));
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const __m256i x = _mm256_and_si256(a, w[r]);
        const __m256i lo = _mm256_shuffle_epi8(lut, _mm256_and_si256(x, nibble));
        const __m256i hi =
            _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(x, 4), nibble));
        BITFORGE_ACCUMULATE("vpaddb", bytes[r], _mm256_add_epi8(lo, hi));
      }
    }
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r)
      total = _mm256_add_epi64(total, _mm256_sad_epu8(bytes[r], _mm256_setzero_si256()));
  }
  return lane_sum(total);
}

BITFORGE_PROBE("popcnt")
uint64_t bitforge_probe_popcount_scalar(const uint8_t* operands, int64_t iters) {
  constexpr int R = 4;
  const uint64_t* q = reinterpret_cast<const uint64_t*>(operands);
  uint64_t w[R], acc[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) w[r] = q[kWeightsAt / 8 + r], acc[r] = 0;
  for (int64_t i = 0; i < iters; ++i) {
    const uint64_t a = q[i & (kCycleBytes / 8 - 1)];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) acc[r] += static_cast<uint64_t>(__builtin_popcountll(a & w[r]));
  }
  uint64_t s = 0;
  for (uint64_t x : acc) s += x;
  return s;
}

// ---- read bandwidth ------------------------------------------------------------------
// Four streams (the buffer's quarters, read side by side so the prefetchers track four
// sequential streams, as a kernel reading several operands does), two loads per stream per
// step, each summed into its own accumulator. The empty asm between passes tells the
// compiler memory may have changed, so it cannot reuse the first pass's sum.

BITFORGE_PROBE("avx512f")
uint64_t bitforge_probe_read_zmm(const uint8_t* buffer, int64_t bytes, int64_t passes) {
  const int64_t quarter = bytes / 4;
  __m512i acc[8];
#pragma GCC unroll 8
  for (int k = 0; k < 8; ++k) acc[k] = _mm512_setzero_si512();
  for (int64_t p = 0; p < passes; ++p) {
    for (int64_t off = 0; off < quarter; off += 128) {
#pragma GCC unroll 4
      for (int s = 0; s < 4; ++s) {
        const uint8_t* at = buffer + s * quarter + off;
        acc[2 * s] = _mm512_add_epi64(acc[2 * s], _mm512_load_si512(at));
        acc[2 * s + 1] = _mm512_add_epi64(acc[2 * s + 1], _mm512_load_si512(at + 64));
      }
    }
    __asm__ volatile("" ::: "memory");
  }
#pragma GCC unroll 8
  for (int k = 1; k < 8; ++k) acc[0] = _mm512_add_epi64(acc[0], acc[k]);
  return lane_sum(acc[0]);
}

BITFORGE_PROBE("avx2")
uint64_t bitforge_probe_read_ymm(const uint8_t* buffer, int64_t bytes, int64_t passes) {
  const int64_t quarter = bytes / 4;
  __m256i acc[8];
#pragma GCC unroll 8
  for (int k = 0; k < 8; ++k) acc[k] = _mm256_setzero_si256();
  for (int64_t p = 0; p < passes; ++p) {
    for (int64_t off = 0; off < quarter; off += 64) {
#pragma GCC unroll 4
      for (int s = 0; s < 4; ++s) {
        const uint8_t* at = buffer + s * quarter + off;
        acc[2 * s] =
            _mm256_add_epi64(acc[2 * s], _mm256_load_si256(reinterpret_cast<const __m256i*>(at)));
        acc[2 * s + 1] = _mm256_add_epi64(
            acc[2 * s + 1], _mm256_load_si256(reinterpret_cast<const __m256i*>(at + 32)));
      }
    }
    __asm__ volatile("" ::: "memory");
  }
#pragma GCC unroll 8
  for (int k = 1; k < 8; ++k) acc[0] = _mm256_add_epi64(acc[0], acc[k]);
  return lane_sum(acc[0]);
}

// SSE2 is part of x86-64: the read probe of the scalar level.
BITFORGE_PROBE("sse2")
uint64_t bitforge_probe_read_xmm(const uint8_t* buffer, int64_t bytes, int64_t passes) {
  const int64_t quarter = bytes / 4;
  __m128i acc[8];
#pragma GCC unroll 8
  for (int k = 0; k < 8; ++k) acc[k] = _mm_setzero_si128();
  for (int64_t p = 0; p < passes; ++p) {
    for (int64_t off = 0; off < quarter; off += 32) {
#pragma GCC unroll 4
      for (int s = 0; s < 4; ++s) {
        const uint8_t* at = buffer + s * quarter + off;
        acc[2 * s] =
            _mm_add_epi64(acc[2 * s], _mm_load_si128(reinterpret_cast<const __m128i*>(at)));
        acc[2 * s + 1] = _mm_add_epi64(acc[2 * s + 1],
                                       _mm_load_si128(reinterpret_cast<const __m128i*>(at + 16)));
      }
    }
    __asm__ volatile("" ::: "memory");
  }
#pragma GCC unroll 8
  for (int k = 1; k < 8; ++k) acc[0] = _mm_add_epi64(acc[0], acc[k]);
  return lane_sum(acc[0]);
}

// ---- write bandwidth -----------------------------------------------------------------
// The read probe's four streams, stored to instead: two aligned stores per stream per step
// of a value that changes every pass (the empty asm between passes keeps each pass's
// stores: without it the compiler could drop all but the last). Plain stores, as a
// kernel's output is written: a line that misses is read for ownership first.

BITFORGE_PROBE("avx512f")
uint64_t bitforge_probe_write_zmm(uint8_t* buffer, int64_t bytes, int64_t passes) {
  const int64_t quarter = bytes / 4;
  for (int64_t p = 0; p < passes; ++p) {
    const __m512i v = _mm512_set1_epi64(0x0102030405060708LL + p);
    for (int64_t off = 0; off < quarter; off += 128) {
#pragma GCC unroll 4
      for (int s = 0; s < 4; ++s) {
        uint8_t* at = buffer + s * quarter + off;
        _mm512_store_si512(at, v);
        _mm512_store_si512(at + 64, v);
      }
    }
    __asm__ volatile("" ::: "memory");
  }
  return buffer[bytes - 1];
}

BITFORGE_PROBE("avx2")
uint64_t bitforge_probe_write_ymm(uint8_t* buffer, int64_t bytes, int64_t passes) {
  const int64_t quarter = bytes / 4;
  for (int64_t p = 0; p < passes; ++p) {
    const __m256i v = _mm256_set1_epi64x(0x0102030405060708LL + p);
    for (int64_t off = 0; off < quarter; off += 64) {
#pragma GCC unroll 4
      for (int s = 0; s < 4; ++s) {
        uint8_t* at = buffer + s * quarter + off;
        _mm256_store_si256(reinterpret_cast<__m256i*>(at), v);
        _mm256_store_si256(reinterpret_cast<__m256i*>(at + 32), v);
      }
    }
    __asm__ volatile("" ::: "memory");
  }
  return buffer[bytes - 1];
}

BITFORGE_PROBE("sse2")
uint64_t bitforge_probe_write_xmm(uint8_t* buffer, int64_t bytes, int64_t passes) {
  const int64_t quarter = bytes / 4;
  for (int64_t p = 0; p < passes; ++p) {
    const __m128i v = _mm_set1_epi64x(0x0102030405060708LL + p);
    for (int64_t off = 0; off < quarter; off += 32) {
#pragma GCC unroll 4
      for (int s = 0; s < 4; ++s) {
        uint8_t* at = buffer + s * quarter + off;
        _mm_store_si128(reinterpret_cast<__m128i*>(at), v);
        _mm_store_si128(reinterpret_cast<__m128i*>(at + 16), v);
      }
    }
    __asm__ volatile("" ::: "memory");
  }
  return buffer[bytes - 1];
}

// ---- the table -----------------------------------------------------------------------

namespace bitforge::roofline::detail {

namespace {
// 1 MAC = 2 ops. Lanes x MACs per lane x 2 x accumulators (R of each kernel above).
const ComputeProbe kF32FmaZmm{"f32_fma",   "vfmadd231ps zmm",
                              "avx512",    "bitforge_probe_f32_fma_zmm",
                              12 * 16 * 2, bitforge_probe_f32_fma_zmm};
const ComputeProbe kF32FmaYmm{"f32_fma",  "vfmadd231ps ymm",
                              "avx2",     "bitforge_probe_f32_fma_ymm",
                              10 * 8 * 2, bitforge_probe_f32_fma_ymm};
const ComputeProbe kVnniZmm{"u8s8_vnni",     "vpdpbusd zmm",
                            "avx512",        "bitforge_probe_u8s8_vnni_zmm",
                            12 * 16 * 4 * 2, bitforge_probe_u8s8_vnni_zmm};
const ComputeProbe kAmx{"u8s8_amx",
                        "tdpbusd tmm (2x2 tiles of 16x16x64)",
                        "amx",
                        "bitforge_probe_u8s8_amx",
                        4.0 * 16 * 16 * 64 * 2,
                        bitforge_probe_u8s8_amx};
const ComputeProbe kMaddubsZmm{"u8s8_pmaddubsw", "vpmaddubsw+vpmaddwd+vpaddd zmm",
                               "avx512",         "bitforge_probe_u8s8_pmaddubsw_zmm",
                               12 * 16 * 4 * 2,  bitforge_probe_u8s8_pmaddubsw_zmm};
const ComputeProbe kMaddubsYmm{"u8s8_pmaddubsw", "vpmaddubsw+vpmaddwd+vpaddd ymm",
                               "avx2",           "bitforge_probe_u8s8_pmaddubsw_ymm",
                               6 * 8 * 4 * 2,    bitforge_probe_u8s8_pmaddubsw_ymm};
const ComputeProbe kS16Zmm{"s16_madd",      "vpmaddwd+vpaddd zmm",
                           "avx512",        "bitforge_probe_s16_madd_zmm",
                           12 * 16 * 2 * 2, bitforge_probe_s16_madd_zmm};
const ComputeProbe kF32MulAddXmm{"f32_fma", "mulps+addps xmm (no FMA at this level)",
                                 "scalar",  "bitforge_probe_f32_mul_add_xmm",
                                 6 * 4 * 2, bitforge_probe_f32_mul_add_xmm};
const ComputeProbe kS16Xmm{"s16_madd",    "pmaddwd+paddd xmm",
                           "scalar",      "bitforge_probe_s16_madd_xmm",
                           4 * 4 * 2 * 2, bitforge_probe_s16_madd_xmm};
const ComputeProbe kS16Ymm{"s16_madd",    "vpmaddwd+vpaddd ymm",
                           "avx2",        "bitforge_probe_s16_madd_ymm",
                           6 * 8 * 2 * 2, bitforge_probe_s16_madd_ymm};
const ComputeProbe kPopcntZmm{"popcount_vpopcntdq",
                              "vpandq+vpopcntq+vpaddq zmm",
                              "avx512",
                              "bitforge_probe_popcount_vpopcntdq_zmm",
                              12 * 8 * 64 * 2,
                              bitforge_probe_popcount_vpopcntdq_zmm};
const ComputeProbe kLookupYmm{"popcount_avx2_lookup",
                              "vpand+vpshufb x2+vpaddb ymm, vpsadbw per 8",
                              "avx2",
                              "bitforge_probe_popcount_avx2_lookup_ymm",
                              4 * 4 * 64 * 2,
                              bitforge_probe_popcount_avx2_lookup_ymm};
const ComputeProbe kScalar{"popcount_scalar", "and+popcnt+add r64",
                           "scalar",          "bitforge_probe_popcount_scalar",
                           6 * 64 * 2,        bitforge_probe_popcount_scalar};

unsigned long long xcr0() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  __cpuid(1, a, b, c, d);
  if ((c & bit_OSXSAVE) == 0) return 0;
  unsigned lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<unsigned long long>(hi) << 32) | lo;
}
}  // namespace

std::vector<ComputeProbe> compute_probes(const CpuFeatures& f, bool amx_permitted) {
  std::vector<ComputeProbe> out;
  const bool avx512 = f.isa_level() == "avx512";
  if (avx512) {
    out.push_back(kF32FmaZmm);
    if (f.avx512vnni) out.push_back(kVnniZmm);
    if (amx_permitted && cpu_has_amx_int8()) out.push_back(kAmx);
    out.push_back(kMaddubsZmm);
    out.push_back(kS16Zmm);
    if (f.avx512vpopcntdq) out.push_back(kPopcntZmm);
  }
  if (f.avx2 && f.fma) {
    // The same mix at ymm width, for AVX2 code on an AVX-512 machine: a suffix keeps the
    // canonical name for the widest variant.
    for (ComputeProbe p : {kF32FmaYmm, kMaddubsYmm, kS16Ymm}) {
      if (avx512) p.name += "_avx2";
      out.push_back(p);
    }
    out.push_back(kLookupYmm);
  }
  if (f.popcnt) out.push_back(kScalar);
  if (!(f.avx2 && f.fma)) {
    // SSE2 is part of x86-64: the float and int16 paths of the scalar level.
    out.push_back(kF32MulAddXmm);
    out.push_back(kS16Xmm);
  }
  return out;
}

std::vector<ComputeProbe> all_compute_probes() {
  return {kF32FmaZmm, kF32FmaYmm, kF32MulAddXmm, kVnniZmm,   kAmx,       kMaddubsZmm, kMaddubsYmm,
          kS16Zmm,    kS16Ymm,    kS16Xmm,       kPopcntZmm, kLookupYmm, kScalar};
}

ReadProbe read_probe(const CpuFeatures& f) {
  if (f.isa_level() == "avx512")
    return {"vmovdqa64+vpaddq zmm", "bitforge_probe_read_zmm", bitforge_probe_read_zmm};
  if (f.avx2) return {"vmovdqa+vpaddq ymm", "bitforge_probe_read_ymm", bitforge_probe_read_ymm};
  return {"movdqa+paddq xmm", "bitforge_probe_read_xmm", bitforge_probe_read_xmm};
}

WriteProbe write_probe(const CpuFeatures& f) {
  if (f.isa_level() == "avx512")
    return {"vmovdqa64 zmm stores", "bitforge_probe_write_zmm", bitforge_probe_write_zmm};
  if (f.avx2) return {"vmovdqa ymm stores", "bitforge_probe_write_ymm", bitforge_probe_write_ymm};
  return {"movdqa xmm stores", "bitforge_probe_write_xmm", bitforge_probe_write_xmm};
}

std::uint64_t clock_kernel(std::int64_t iters) {
  std::uint64_t x = 0, y = 1;
  __asm__ volatile("" : "+r"(y));  // not a constant the assembler could know
  for (std::int64_t i = 0; i < iters; ++i)
    __asm__ volatile(".rept 100\n\taddq %1, %0\n\t.endr" : "+r"(x) : "r"(y));
  static_assert(kClockAddsPerIter == 100);
  return x;
}

bool cpu_has_amx_int8() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid_max(0, nullptr) < 7) return false;
  __cpuid_count(7, 0, a, b, c, d);
  const bool amx_tile = (d & (1u << 24)) != 0, amx_int8 = (d & (1u << 25)) != 0;
  // XCR0 bits 17 (XTILECFG) and 18 (XTILEDATA): the OS manages the tile state.
  const bool os_tiles = (xcr0() & 0x60000) == 0x60000;
  return amx_tile && amx_int8 && os_tiles;
}

bool request_amx_permission() {
  // Linux hands out the 8 KiB tile-data state only on request (arch_prctl,
  // ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18); without it tdpbusd raises SIGILL.
  static const bool granted = cpu_has_amx_int8() && ::syscall(SYS_arch_prctl, 0x1023, 18) == 0;
  return granted;
}

}  // namespace bitforge::roofline::detail

#else  // not x86-64: no probes yet (ARM would use NEON cnt / sdot here).

namespace bitforge::roofline::detail {
std::vector<ComputeProbe> compute_probes(const CpuFeatures&, bool) {
  return {};
}
std::vector<ComputeProbe> all_compute_probes() {
  return {};
}
ReadProbe read_probe(const CpuFeatures&) {
  return {"", "", nullptr};
}
WriteProbe write_probe(const CpuFeatures&) {
  return {"", "", nullptr};
}
std::uint64_t clock_kernel(std::int64_t) {
  return 0;
}
bool cpu_has_amx_int8() {
  return false;
}
bool request_amx_permission() {
  return false;
}
}  // namespace bitforge::roofline::detail

#endif
