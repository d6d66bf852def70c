#include "codegen/conv2d_tiling.hpp"

namespace bitforge::codegen {

using namespace Halide;

TileShape tile_shape(const Config& c, std::int64_t groups, std::int64_t og, bool dense) {
  TileShape t;
  t.tile_o = static_cast<int>(c.get_int("tile_o"));
  t.tile_x = static_cast<int>(c.get_int(dense ? "tile_n" : "tile_x"));
  t.tile_y = dense ? 1 : static_cast<int>(c.get_int("tile_y"));
  t.vector = static_cast<int>(c.get_int("vector_width"));
  t.vector_on_o = c.get("vector_axis") == "o";
  t.parallel = c.get("parallel");
  t.dense = dense;
  t.groups = static_cast<int>(groups);
  t.og = static_cast<int>(og);
  return t;
}

TiledLoops tile_output(OutputStage& st, const TileShape& t) {
  TiledLoops loops;
  if (st.packed) {
    // The packed output reads many channels per word: materialize the per-element values
    // (a byte each) and pack them in a second, cheap pass.
    st.value.compute_root();
    loops.tiled = st.value;
  } else {
    loops.tiled = st.out;
  }
  Func& T = loops.tiled;
  Var o = st.o, ot("ot"), xt("xt"), yt("yt"), gv("go");
  Var och = o;
  if (t.groups > 1) {
    Var oi("oi_out");
    T.split(o, gv, oi, t.og, TailStrategy::RoundUp);  // O = groups * og exactly
    och = oi;
  }
  // ShiftInwards keeps every tile full-size (the space bounds tiles by the extents), so
  // the accumulator's loops have constant extents and unroll.
  T.split(och, loops.oo, ot, t.tile_o, TailStrategy::ShiftInwards)
      .split(st.x, loops.xo, xt, t.tile_x, TailStrategy::ShiftInwards)
      .split(st.y, loops.yo, yt, t.tile_y, TailStrategy::ShiftInwards);
  Var vo("v_outer"), vi("v_inner");
  // The tile loops, innermost first.
  const std::vector<VarOrRVar> tiles = t.row_tiles_inside ? std::vector<VarOrRVar>{loops.xo, loops.oo, loops.yo}
                                                          : std::vector<VarOrRVar>{loops.oo, loops.xo, loops.yo};
  if (t.vector_on_o) {
    T.reorder({ot, xt, yt, tiles[0], tiles[1], tiles[2]});
    if (t.vector > 1) T.split(ot, vo, vi, t.vector).vectorize(vi).unroll(vo);
    else T.unroll(ot);
    T.unroll(xt);
  } else {
    T.reorder({xt, ot, yt, tiles[0], tiles[1], tiles[2]});
    if (t.vector > 1) T.split(xt, vo, vi, t.vector).vectorize(vi).unroll(vo);
    else T.unroll(xt);
    T.unroll(ot);
  }
  T.unroll(yt);
  if (t.parallel == "pixels") T.parallel(t.dense ? loops.xo : loops.yo);
  if (t.parallel == "channels") T.parallel(loops.oo);
  return loops;
}

namespace {
// The register block of an accumulator computed once per tile: tile axes innermost,
// unrolled, one of them vectorized; the reduction outside them.
void schedule_register_tile(Func acc, const std::vector<VarOrRVar>& reduction, const TileShape& t) {
  Var oi = acc.args()[0], g = acc.args()[1], x = acc.args()[2], y = acc.args()[3];
  // The vectorized axis innermost in storage too, so every accumulator access is a dense
  // vector. (Strided ones also trip a Halide 14 AVX2 bug: aligned loads from an unaligned
  // stack slot.)
  if (!t.vector_on_o) acc.reorder_storage(x, oi, g, y);
  Var vo("acc_vo"), vi("acc_vi");
  const Var vec = t.vector_on_o ? oi : x, other = t.vector_on_o ? x : oi;
  if (t.vector > 1) acc.split(vec, vo, vi, t.vector).vectorize(vi).unroll(vo);
  Stage u = acc.update();
  std::vector<VarOrRVar> order = {t.vector_on_o ? oi : x, t.vector_on_o ? x : oi, y};
  order.insert(order.end(), reduction.begin(), reduction.end());
  u.reorder(order);
  Var uo("upd_vo"), ui("upd_vi");
  if (t.vector > 1) u.split(vec, uo, ui, t.vector).vectorize(ui).unroll(uo);
  else u.unroll(vec);
  u.unroll(other).unroll(y);
}
}  // namespace

void schedule_accumulator(Func acc, const std::vector<VarOrRVar>& reduction, const TiledLoops& loops,
                          const TileShape& t) {
  acc.compute_at(loops.tiled, loops.oo);
  schedule_register_tile(acc, reduction, t);
}

void schedule_pair_accumulator(Func acc, const std::vector<VarOrRVar>& reduction, Func outer, RVar at,
                               const TileShape& t) {
  acc.compute_at(outer, at);
  schedule_register_tile(acc, reduction, t);
}

}  // namespace bitforge::codegen
