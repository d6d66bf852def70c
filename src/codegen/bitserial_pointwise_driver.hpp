// bitforge codegen (internal): what the pointwise (1x1) microkernels' entry points share,
// whatever their ISA: the extern stage's bounds query, the checks of the buffers' layouts
// (bitserial_microkernel.hpp), and cutting the output region into runs of pixels at unit
// stride, one image and group at a time. Not here: any loop over words or pixels (those
// are the kernels', bitserial_pointwise_avx2.cpp and bitserial_pointwise_avx512.cpp).
#pragma once

#include <HalideRuntime.h>

#include <cstddef>
#include <cstdint>

namespace bitforge::codegen::pointwise {

// The operands of one image and group; strides in elements (words).
struct Operands {
  const void* act;  // pixel 0's first half of word 0 of plane 0 (pixels numbered across rows)
  std::ptrdiff_t act_h, act_wd, act_i;  // steps between halves, words, planes
  const void* wgt;                      // the region's first channel
  std::ptrdiff_t wgt_wd, wgt_j, wgt_o;
  int words, act_planes, wgt_planes, scale_shift;
};

// One run of output pixels [p0, p1) (numbered across rows) whose outputs and terms are
// at unit stride: `out` and `term` are pixel p0's.
struct Run {
  int p0, p1;
  std::int32_t* out;
  std::ptrdiff_t out_o;  // elements between channels
  const std::int32_t* term;
  int channels;
};

using RunFn = void (*)(const Operands&, const Run&);

// The extern stage's arguments (bitserial_microkernel.hpp), and how the kernel reads:
// `halves` per word (2 when split into nibbles, else 1), pixels per block (tiles start
// at a multiple of it), pixels per tile.
struct Call {
  halide_buffer_t *act, *wgt, *pixel_term;
  int words, act_planes, wgt_planes, scale_shift, out_w, out_is_output;
  halide_buffer_t* out;
  int halves, block, tile_pixels;
};

// A kernel's run function specialized for `words` packed words (W, one of the counts Ws
// compiled in, else 0: any) and for a single plane pair or not (S): `tiles` is a generic
// lambda []<int W, bool S>() returning the instance.
template <int... Ws, typename Tiles>
RunFn specialize(int words, bool single, Tiles tiles) {
  RunFn fn = nullptr;
  auto with = [&]<int W>() {
    fn = single ? tiles.template operator()<W, true>() : tiles.template operator()<W, false>();
    return true;
  };
  ((words == Ws && with.template operator()<Ws>()) || ... || with.template operator()<0>());
  return fn;
}

// Answers the bounds query, or runs `run` over every run of the output region. Returns 0,
// or -1 when `run` is null (no code for the tile) or a buffer's layout is not the one
// the kernels read.
int drive(const Call& call, RunFn run);

}  // namespace bitforge::codegen::pointwise
