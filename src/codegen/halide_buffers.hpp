// bitforge codegen (internal): reading and answering Halide buffers from the hand-written
// microkernels' extern stages (coordinates in Halide's global frame). Not here: any
// kernel's layout (bitserial_microkernel.hpp) or loops.
#pragma once

#include <HalideRuntime.h>

#include <cstddef>

namespace bitforge::codegen {

// Element offset of `coords` in `b`.
template <int N>
std::ptrdiff_t offset_of(const halide_buffer_t* b, const int (&coords)[N]) {
  std::ptrdiff_t off = 0;
  for (int d = 0; d < N; ++d) off += static_cast<std::ptrdiff_t>(coords[d] - b->dim[d].min) * b->dim[d].stride;
  return off;
}

// The address of the element at `coords` (which may lie outside the buffer, for an
// origin the kernel offsets back into it).
template <int N>
const void* element_at(const halide_buffer_t* b, const int (&coords)[N]) {
  return b->host + offset_of(b, coords) * static_cast<std::ptrdiff_t>((b->type.bits + 7) / 8);
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

}  // namespace bitforge::codegen
