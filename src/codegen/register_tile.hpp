// bitforge codegen (internal): the register-tile knobs every convolution-shaped space has
// (vector axis and width, tile of output channels x pixels x rows, parallel axis), their
// validity rule and their default, written once for all operator families.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codegen/schedule_space.hpp"
#include "codegen/target.hpp"
#include "ops/workload.hpp"

namespace bitforge::codegen {

struct TileLimits {
  std::int64_t og = 1, ow = 1, oh = 1;  // output channels per group, columns, rows
  int lanes = 1;                        // the target's natural int32 lanes
  int budget = 12;                      // accumulator vectors that fit the register file
  bool scalar = false;                  // the target has no SIMD
  bool dense = false;                   // pixels are one row of N (tile_n, no tile_y)
};
TileLimits tile_limits(const Conv2d& wl, const CodegenTarget& target, bool dense);

// vector_axis, vector_width, tile_o, tile_x (tile_n for dense), tile_y (not dense), parallel.
std::vector<Knob> tile_knobs(bool dense);
// "" if the tile knobs of `c` are valid, else the rule they break.
std::string check_tile(const Config& c, const TileLimits& l);
// The unrolling rules every space shares: the kernel window (`taps` taps; no knob for
// dense) unrolls only with 2 to 9 taps, and the fully unrolled loop body — tile vectors x
// `inner_unroll` (the space's own unrolled reduction factors) x taps if the window unrolls —
// stays within kMaxUnrolledBody vector operations. Past that, compile time grows to tens of
// seconds for no speed (the body no longer fits the uop cache).
std::string check_unrolling(const Config& c, bool dense, std::int64_t taps, std::int64_t inner_unroll);
// Accumulator vectors of the tile: tile_o * tile_x * tile_y / vector_width.
std::int64_t tile_vectors(const Config& c, bool dense);
// The default: about eight accumulator vectors at the natural width, vectorized along
// output channels when a group has enough of them, along columns otherwise.
void set_default_tile(Config& d, const TileLimits& l);

}  // namespace bitforge::codegen
