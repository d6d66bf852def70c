// bitforge codegen (internal): the register-tiled loop nest shared by the schedules of
// every convolution-shaped operator. The output is split into tiles of tile_o output
// channels x tile_x columns x tile_y rows; the accumulator of one tile is computed at the
// innermost tile loop with the reduction outside and the tile inside (an outer-product
// register block), vectorized along output channels or columns.
#pragma once

#include <Halide.h>

#include "codegen/halide_epilogue.hpp"
#include "codegen/schedule_space.hpp"

namespace bitforge::codegen {

struct TileShape {
  int tile_o = 1, tile_x = 1, tile_y = 1, vector = 1;
  bool vector_on_o = true;
  std::string parallel = "none";  // none | pixels | channels
  bool dense = false;             // pixels are columns of one row: parallelize columns
  // Tiles along a row inside the channel tiles (a channel's row stored in one go), not
  // the other way round.
  bool row_tiles_inside = false;
  int groups = 1, og = 1;
};

// The tile knobs of a config (register_tile.hpp) and the group split of the workload.
TileShape tile_shape(const Config& c, std::int64_t groups, std::int64_t og, bool dense);

struct TiledLoops {
  Halide::Func tiled;              // the Func whose loops were tiled
  Halide::Var oo{"oo"}, xo{"xo"}, yo{"yo"};  // tile loops (innermost: oo)
};

// Tiles `st` (its `value` stage if the output is packed, else `out`) and returns the
// loops an accumulator is computed at.
TiledLoops tile_output(OutputStage& st, const TileShape& t);

// Schedules an accumulator `acc(oi, g, x, y, n)` with one update over `reduction` (its
// RVars innermost first) inside the tile at `loops.oo`: tile axes innermost, unrolled,
// one of them vectorized.
void schedule_accumulator(Halide::Func acc, const std::vector<Halide::VarOrRVar>& reduction,
                          const TiledLoops& loops, const TileShape& t);
// The same register block for an accumulator computed inside the update loop `at` of
// another tile's accumulator `outer` (one partial sum per iteration of `at`).
void schedule_pair_accumulator(Halide::Func acc, const std::vector<Halide::VarOrRVar>& reduction,
                               Halide::Func outer, Halide::RVar at, const TileShape& t);

}  // namespace bitforge::codegen
