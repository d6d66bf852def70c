// The bit-serial conv2d's schedule: every decision comes from a knob of its space
// (bitserial_conv2d_space.cpp), applied to the stages of its algorithm.
#include <algorithm>

#include "codegen/bitserial_conv2d.hpp"
#include "codegen/bitserial_microkernel.hpp"
#include "codegen/conv2d_geometry.hpp"
#include "codegen/conv2d_tiling.hpp"
#include "codegen/spaces.hpp"
#include "quant/bitpack.hpp"

namespace bitforge::codegen {

using namespace Halide;

namespace {
// Reads a knob the dense space does not have, with the value dense layers always use.
std::string knob_or(const Config& c, const std::string& knob, const std::string& fixed) {
  return c.values().count(knob) ? c.get(knob) : fixed;
}

// At most `lanes`, and no more than a row of `extent` pixels has (halving): a vector
// whose tail shifts inwards needs a whole one.
int lanes_within(int lanes, std::int64_t extent) {
  while (lanes > 1 && lanes > extent) lanes /= 2;
  return lanes;
}

void schedule_core(const Config& cfg, BitserialConv2dFuncs& f, const TiledLoops& loops, const TileShape& t);
void schedule_packing(const Conv2d& wl, const Config& cfg, const CodegenTarget& target, BitserialConv2dFuncs& f,
                      GeneratedOperator& op, const TiledLoops& loops, const TileShape& t);

void schedule_bitserial_conv2d(const Conv2d& wl, const Config& cfg, const CodegenTarget& target, bool dense,
                               BitserialConv2dFuncs& f, GeneratedOperator& op) {
  const ConvGeometry geo = conv_geometry(wl);
  if (f.sum_is_output) {
    // One call computes the whole output; everything it reads is computed before it.
    f.weight_words.compute_root();
    schedule_packing(wl, cfg, target, f, op, TiledLoops{}, TileShape{});
    return;
  }
  TileShape t = tile_shape(epilogue_tile_config(cfg), geo.groups, geo.og, dense);
  // The pointwise microkernel's sums are rows of pixels per channel: the epilogue reads
  // (and stores) them a channel's row at a time.
  t.row_tiles_inside = f.act_pixels.defined();
  TiledLoops loops = tile_output(op.output, t);

  if (f.act_nibbles.defined() || f.act_pixels.defined()) {
    // The microkernel computes many register tiles per call (its own tiles inside), so a
    // call's fixed cost is spread over them; the weights it reads are prepared. Per row
    // of output tiles: the sums stay in L1 for the epilogue, and the packing may be fused
    // per row too. Per image: one call, whose tiles run across rows, so rows of 7 or 14
    // pixels waste no more than the last tile's overlap (a 4-pixel tile per row of 7
    // computed 8).
    if (microkernel_at(cfg) == "image") f.sum.compute_root();
    else f.sum.compute_at(loops.tiled, loops.yo).store_in(MemoryType::Stack);  // no malloc per row
    // The sums in the order the epilogue reads vectors of them: channels innermost for a
    // tile vectorized along channels, else pixels (with channels innermost, a vector of
    // pixels was gathered, a load per lane). Rows follow each other either way.
    // (The pointwise microkernel stores pixels innermost, whatever the epilogue does.)
    if (t.vector == 1 || !t.vector_on_o || f.act_pixels.defined()) {
      const std::vector<Var> a = f.sum.args();  // (oi, g, x, y, n)
      f.sum.reorder_storage(a[2], a[3], a[0], a[1], a[4]);
    }
    f.weight_words.compute_root();  // prepare's words, before their split
  } else {
    schedule_core(cfg, f, loops, t);
  }
  schedule_packing(wl, cfg, target, f, op, loops, t);
}

void schedule_core(const Config& cfg, BitserialConv2dFuncs& f, const TiledLoops& loops, const TileShape& t) {
  // Reduction loop nest, innermost first.
  const bool separate = f.pair_sum.defined();
  Func core_func = separate ? f.pair_sum : f.sum;
  Stage core = core_func.update();
  RVar wd = f.rd[0];
  std::vector<VarOrRVar> words = {wd};
  const int split = static_cast<int>(cfg.get_int("split_words"));
  if (split > 1) {
    RVar wo("wd_outer"), wi("wd_inner");
    core.split(wd, wo, wi, split, TailStrategy::GuardWithIf).unroll(wi);
    words = {wi, wo};
  }
  std::vector<VarOrRVar> order;
  auto append = [&](std::vector<VarOrRVar> v) { order.insert(order.end(), v.begin(), v.end()); };
  if (separate) {
    // Planes are sum's reduction, outside this one: words innermost, then the taps.
    append(words);
    append({f.rd[1], f.rd[2]});
    schedule_accumulator(f.sum, {f.planes.x, f.planes.y}, loops, t);
    // The pair sums of a tile live in registers beside the tile's sums, one pair at a time.
    schedule_pair_accumulator(f.pair_sum, order, f.sum, f.planes.x, t);
    if (cfg.get_bool("unroll_planes")) f.sum.update().unroll(f.planes.x).unroll(f.planes.y);
  } else {
    RVar i = f.rd[1], j = f.rd[2], s = f.rd[3], r = f.rd[4];
    const std::string lo = cfg.get("loop_order");
    if (lo == "taps_planes_words") { append(words); append({j, i, s, r}); }
    if (lo == "planes_taps_words") { append(words); append({s, r, j, i}); }
    if (lo == "taps_words_planes") { append({j, i}); append(words); append({s, r}); }
    schedule_accumulator(f.sum, order, loops, t);
    if (cfg.get_bool("unroll_planes")) core.unroll(i).unroll(j);
  }
  if (knob_or(cfg, "unroll_window", "0") == "1") {
    if (separate) core.unroll(f.rd[1]).unroll(f.rd[2]); else core.unroll(f.rd[3]).unroll(f.rd[4]);
  }
}

void schedule_packing(const Conv2d& wl, const Config& cfg, const CodegenTarget& target, BitserialConv2dFuncs& f,
                      GeneratedOperator& op, const TiledLoops& loops, const TileShape& t) {
  const ConvGeometry geo = conv_geometry(wl);

  // Activation packing: all at once, or per row of output tiles.
  const bool at_row = knob_or(cfg, "pack_at", "root") == "row";
  // Packed all at once, the rows are packed on the threads the tiles use (with `parallel`
  // set): a serial packing pass would otherwise leave the other cores idle.
  const bool threaded = cfg.get("parallel") != "none";
  auto place = [&](Func& fn, const Var& rows) {
    if (at_row) {
      fn.compute_at(loops.tiled, loops.yo);
    } else {
      fn.compute_root();
      if (threaded) fn.parallel(rows);
    }
  };
  Func& ip = f.input_packed;
  Var pwd = ip.args()[0], pi = ip.args()[1], px = ip.args()[2], py = ip.args()[3];
  place(ip, py);
  const bool copy = f.packed_act.name() != ip.name();
  const bool image = cfg.get("plane_axis") == "image";
  const int pack_lanes = std::clamp(target.vector_bits / word_bits(op.prepared_dtype), 1, 16);
  if (f.input_packed_is_padded) {
    if (image) ip.reorder_storage(pwd, px, py, pi);
  } else {
    // Pixels innermost in storage: the packing stores a vector of pixels per word, and a
    // core vectorized along output columns loads one.
    if (image) ip.reorder_storage(px, pwd, py, pi); else ip.reorder_storage(px, pwd, pi, py);
  }
  if (copy) {
    Func& pa = f.packed_act;
    Var cwd = pa.args()[0], ci = pa.args()[1], cx = pa.args()[2], cy = pa.args()[3];
    place(pa, cy);
    if (image) pa.reorder_storage(cx, cwd, cy, ci); else pa.reorder_storage(cx, cwd, ci, cy);
    pa.reorder(cx, cwd, ci, cy);
    if (pack_lanes > 1 && geo.padded_w >= pack_lanes) pa.vectorize(cx, pack_lanes, TailStrategy::ShiftInwards);
  }
  // Packing vectorizes across pixels, one word per lane; past 16 lanes (narrow words)
  // the code only grows, and most rows are not that wide. Pixels that a rounded-up vector
  // would add lie outside the input (packed straight from it), so the tail shifts
  // inwards instead.
  if (f.input_packed_is_padded) {
    ip.update().reorder(px, f.pack_lane, pwd, pi, py);
    if (pack_lanes > 1) {
      ip.vectorize(px, pack_lanes, TailStrategy::RoundUp);
      ip.update().vectorize(px, pack_lanes, TailStrategy::RoundUp);
    }
  } else {
    // As many lanes as the packed row has pixels.
    const int lanes = lanes_within(pack_lanes, wl.w);
    ip.reorder(px, pi, pwd, py);
    if (lanes > 1) ip.vectorize(px, lanes, TailStrategy::ShiftInwards);
    // All planes of a word from one load of its channels.
    if (wl.act.bits <= 4) ip.unroll(pi);
    if (f.packed_bytes.defined()) {
      // A row of bytes at a time, at byte-wide vectors.
      Func& pb = f.packed_bytes;
      Var bb = pb.args()[0], bi = pb.args()[1], bx = pb.args()[2];
      pb.compute_at(ip, py).reorder(bx, bi, bb).reorder_storage(bx, bi, bb);
      const int byte_lanes = lanes_within(std::clamp(target.vector_bits / 8, 1, 64), wl.w);
      if (byte_lanes > 1) pb.vectorize(bx, byte_lanes, TailStrategy::ShiftInwards);
      if (wl.act.bits <= 4) pb.unroll(bi);
    }
  }
  if (f.act_nibbles.defined()) {
    // Split where the packed words are (their storage keeps the two halves adjacent).
    // All halves, words and planes of a pixel (what the microkernel's bounds query asks
    // for), as constants: the packing's loops over them then keep constant extents.
    const std::vector<Var> a = f.act_nibbles.args();  // (h, wd, i, x, y, n, g)
    place(f.act_nibbles, a[4]);
    f.act_nibbles.bound(a[0], 0, 2).bound(a[1], 0, f.words).bound(a[2], 0, wl.act.bits);
    f.act_nibbles.reorder(a[0], a[3], a[1], a[2]).unroll(a[0]);
  }
  if (f.act_pixels.defined()) {
    // Laid out where the words are packed (per row, their sizes are only known at run
    // time: a heap buffer each), a vector of pixels per store.
    const std::vector<Var> a = f.act_pixels.args();  // (x, y, h, wd, i, n, g)
    place(f.act_pixels, a[1]);
    const int halves = pointwise_halves(microkernel_of(cfg));
    f.act_pixels.bound(a[2], 0, halves).bound(a[3], 0, f.words).bound(a[4], 0, wl.act.bits);
    f.act_pixels.reorder(a[0], a[2], a[1]).unroll(a[2]);
    const int word_lanes =
        lanes_within(std::clamp(target.vector_bits / word_bits(op.prepared_dtype), 1, 16), wl.out_w());
    if (word_lanes > 1) f.act_pixels.vectorize(a[0], word_lanes, TailStrategy::ShiftInwards);
    // The per-pixel term beside them, a vector of pixels at a time.
    Func& pt = f.pixel_term;  // (x, y, n, g)
    place(pt, pt.args()[1]);
    const int lanes = lanes_within(std::clamp(target.vector_bits / 32, 1, 16), wl.out_w());
    if (lanes > 1) pt.vectorize(pt.args()[0], lanes, TailStrategy::GuardWithIf);
  }
  if (f.act_sum.defined()) {
    if (at_row) f.act_sum.compute_at(loops.tiled, loops.yo); else f.act_sum.compute_root();
    const bool update = f.act_sum.has_update_definition();
    if (!at_row && threaded) {
      f.act_sum.parallel(f.act_sum.args()[1]);
      if (update) f.act_sum.update().parallel(f.act_sum.args()[1]);
    }
    // Summed from the packed words, which keep pixels innermost: a vector of pixels per
    // load. (Along channels x columns the sum reads the padded input instead.)
    if (!f.input_packed_is_padded) {
      Var sx = f.act_sum.args()[0];
      const int lanes = std::clamp(target.vector_bits / 32, 1, 16);
      if (lanes > 1 && geo.padded_w >= lanes) {
        f.act_sum.vectorize(sx, lanes, TailStrategy::ShiftInwards);
        if (update) f.act_sum.update().vectorize(sx, lanes, TailStrategy::GuardWithIf);
      }
    }
    // (The pointwise microkernel's term reads it inline: one tap per pixel.)
    if (!f.act_pixels.defined()) f.window_act_sum.compute_at(loops.tiled, loops.xo);
    // A tile's row of pixels as one vector (tiles shift inwards at the edges, so the
    // region is always the output tile's width; with a microkernel, the epilogue's).
    // Only at unit column stride: with a stride, its taps are strided loads, which Halide
    // 14 turned into an aligned vmovdqa at an unaligned address where it peeled a row's
    // only tile (a crash the sweep found: conv2d_b1b1_mb1ic8ih1iw15oc8kh1kw3sw3dw2,
    // pack_at row; also stride 2 with dilation 3). Scalar there, the strided ResNet-18
    // layers' shipped records ran within noise of the vectorized sum (C4, C7, C10).
    if (!f.act_pixels.defined() && !f.window_act_sum.has_update_definition() && t.tile_x >= 4 && wl.stride_w == 1)
      f.window_act_sum.vectorize(f.window_act_sum.args()[0], t.tile_x, TailStrategy::GuardWithIf);
  }
  if (f.weight_sum.defined()) {
    f.weight_sum.compute_root();
    f.channel_constant.compute_root();
    f.border_correction.compute_root();
  }
}
}  // namespace

std::unique_ptr<GeneratedOperator> generate_bitserial_conv2d(const Conv2d& wl, const Config& config,
                                                             const CodegenTarget& target) {
  auto op = std::make_unique<GeneratedOperator>();
  const bool dense = config.values().count("tile_n") != 0;
  const PackAxis axis = knob_or(config, "pack_axis", "c") == "cs" ? PackAxis::ChannelsAndColumns : PackAxis::Channels;
  const PlaneSums sums = config.get("plane_sums") == "separate" ? PlaneSums::Separate : PlaneSums::Shifted;
  CoreMicrokernel mk;
  if (microkernel_of(config) == kNibbleLutAvx2) {
    mk.nibble_lut_avx2 = true;
    mk.tile_pixels = static_cast<int>(config.get_int("tile_x"));
    mk.tile_vectors = static_cast<int>(config.get_int("tile_o") / 4);
  } else if (const std::string m = microkernel_of(config); is_pointwise_microkernel(m)) {
    mk.pointwise = m == kPointwiseNibbleLutAvx2 ? kPointwiseNibbleLutAvx2Symbol : kPointwiseVpopcntAvx512Symbol;
    mk.halves = pointwise_halves(m);
    mk.tile_pixels = static_cast<int>(config.get_int("tile_x"));
    mk.tile_channels = static_cast<int>(config.get_int("tile_o"));
  }
  BitserialConv2dFuncs f = define_bitserial_conv2d(wl, parse_dtype(config.get("word")), axis, sums, mk, *op);
  schedule_bitserial_conv2d(wl, config, target, dense, f, *op);
  return op;
}

std::vector<Argument> GeneratedOperator::run_arguments(const Epilogue& e) const {
  std::vector<Argument> args = {input, prepared_in};
  for (Argument a : epilogue.arguments(e)) args.push_back(a);
  return args;
}

}  // namespace bitforge::codegen
