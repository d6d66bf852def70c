// The bit-serial convolution as a Halide algorithm (no scheduling here: see
// bitserial_conv2d_schedule.cpp).
//
// Levels are affine in their plane values q (SEMANTICS §1): level = s*q + t with
// (s, t) = (1, 0) for unsigned and (2, -(2^k - 1)) for bipolar. So over the in-range taps
//   Y = sa*sw*Σ qa*qw + sa*tw*Σ qa + ta*sw*Σ qw + ta*tw*(number of in-range terms)
// where Σ qa*qw = Σ_ij 2^(i+j) popcount(a_i & w_j) is the bit-serial core. Activations
// are packed with zero bits in the padding, which makes the first two sums exact over
// *all* taps; the last two depend only on the weights and on which taps fall in the
// padding, so they become a per-channel constant plus a small table indexed by the
// output position's border class. The inner loop never tests for padding, and bipolar
// padding still contributes exactly 0.
#include "codegen/conv2d_geometry.hpp"
#include "codegen/generated_operator.hpp"
#include "codegen/bitserial_conv2d.hpp"
#include "codegen/bitserial_microkernel.hpp"
#include "quant/bitpack.hpp"

namespace bitforge::codegen {

using namespace Halide;

namespace {
// Past this many popcounts per pixel the activation plane sum is a reduction loop.
constexpr int kMaxUnrolledActSum = 16;
// Past this many kernel taps the window's activation sum is a reduction loop.
constexpr int kMaxUnrolledWindowSum = 25;

struct Affine {
  int s, t;  // level = s * q + t
};
Affine affine_of(Encoding e) {
  return e.kind == EncodingKind::Unsigned ? Affine{1, 0} : Affine{2, -static_cast<int>(e.max_level())};
}

// Plane value q of a level Expr of encoding e.
Expr planes_of(Expr level, Encoding e) {
  Expr v = cast<int32_t>(level);
  return e.kind == EncodingKind::Unsigned ? v : (v + static_cast<int>(e.max_level())) / 2;
}

// Border class of an output position along one axis (see BorderClasses).
Expr border_class(Expr p, const BorderClasses& b) {
  const int low = static_cast<int>(b.low), first_high = static_cast<int>(b.out - b.high);
  return select(p < low, p, p >= first_high, low + 1 + (p - first_high), low);
}
Expr border_representative(Expr cls, const BorderClasses& b) {
  const int low = static_cast<int>(b.low), first_high = static_cast<int>(b.out - b.high);
  const std::int64_t interior = b.representative(b.low);
  return select(cls < low, cls, cls == low, static_cast<int>(interior < 0 ? 0 : interior),
                first_high + (cls - low - 1));
}

// Half `h` of word `w` for a microkernel that reads `halves` per word: the word itself, or
// its low and high nibbles, each in the low nibble of every byte (what a lookup indexes).
Expr split_halves(Expr w, Expr h, int halves) {
  if (halves == 1) return w;
  return select(h == 0, w, w >> 4) & Internal::make_const(w.type(), kLowNibbles);
}
}  // namespace

BitserialConv2dFuncs define_bitserial_conv2d(const Conv2d& wl, DType word_dtype, PackAxis pack_axis, PlaneSums plane_sums,
                                             const CoreMicrokernel& mk, GeneratedOperator& op) {
  BitserialConv2dFuncs f;
  const ConvGeometry geo = conv_geometry(wl);
  const Encoding ea = wl.act.encoding(), ew = wl.wgt.encoding();
  const int wb = word_bits(word_dtype);
  const Type word = halide_type(word_dtype);
  const int cg = static_cast<int>(geo.cg), og = static_cast<int>(geo.og);
  const int KH = static_cast<int>(wl.kh), KW = static_cast<int>(wl.kw);
  const int sh = static_cast<int>(wl.stride_h), sw = static_cast<int>(wl.stride_w);
  const int dh = static_cast<int>(wl.dilation_h), dw = static_cast<int>(wl.dilation_w);
  const int H = static_cast<int>(wl.h), W = static_cast<int>(wl.w);
  const int pt = static_cast<int>(wl.pad_top), pl = static_cast<int>(wl.pad_left);

  // What one packed lane holds. Packing along channels: a segment per kernel column s,
  // lane = channel. Packing along channels x kernel columns (im2col along a window row):
  // one segment, lane q = (s, c) with c fastest, which fills words when a group has few
  // channels. Either way, lanes past the end are zero bits.
  const bool along_cs = pack_axis == PackAxis::ChannelsAndColumns;
  const int segments = along_cs ? 1 : KW;
  const int lanes = along_cs ? cg * KW : cg;
  const int words = (lanes + wb - 1) / wb;
  f.words = words;
  auto lane_channel = [&](Expr q) { return along_cs ? q % cg : q; };
  auto lane_column = [&](Expr q, Expr segment) { return along_cs ? q / cg : segment; };

  // ---- prepare: weight levels -> packed planes pw(oi, word, j, segment, r, g), oi
  // innermost so a vector of output channels loads contiguously.
  op.weight = ImageParam(halide_type(ew.level_dtype()), 4, "weight");
  Var oi("oi"), wd("wd"), j("j"), s("s"), r("r"), g("g"), c("c");
  Func wq("weight_planes");
  const bool oihw = wl.weight_layout == WgtLayout::OIHW;
  // OIHW is [O, I, KH, KW] row-major: Halide dims (s, r, c, o); HWIO: (o, c, s, r).
  auto wlevel = [&](Expr o, Expr ci, Expr rr, Expr ss) {
    return oihw ? op.weight(ss, rr, ci, o) : op.weight(o, ci, ss, rr);
  };
  wq(c, oi, r, s, g) = planes_of(wlevel(g * og + oi, c, r, s), ew);
  {
    RDom lane(0, wb, "lane");
    Expr q = min(wd * wb + lane, lanes - 1);
    Expr bit = select(wd * wb + lane < lanes, (wq(lane_channel(q), oi, r, lane_column(q, s), g) >> j) & 1, 0);
    f.weight_words = Func("packed_weight_words");
    f.weight_words(oi, wd, j, s, r, g) = cast(word, 0);
    f.weight_words(oi, wd, j, s, r, g) = f.weight_words(oi, wd, j, s, r, g) | (cast(word, bit) << cast(word, lane));
  }
  op.prepared_dtype = word_dtype;
  // The weight word of (oi, wd, j, s, r, g) as the run pipeline reads it.
  std::function<Expr(Expr, Expr, Expr, Expr, Expr, Expr)> weight_word;
  if (mk.nibble_lut_avx2) {
    // Blocks of 4V channels split into nibble halves (bitserial_microkernel.hpp).
    const int V = mk.tile_vectors, B = 4 * V, blocks = (og + B - 1) / B;
    Var k("k"), h("h"), ob("ob");
    Expr ch = ob * B + (k % 4) * V + k / 4;
    Expr w = f.weight_words(min(ch, og - 1), wd, j, s, r, g);
    op.prepared = Func("packed_weight");
    op.prepared(k, h, j, wd, s, r, ob, g) = select(ch < og, split_halves(w, h, 2), cast(word, 0));
    op.prepared_extents = {B, 2, ew.bits, words, segments, KH, blocks, static_cast<int>(geo.groups)};
    op.prepared_in = ImageParam(word, 8, "packed_weight");
    weight_word = [&op, V, B](Expr o, Expr wd_, Expr j_, Expr s_, Expr r_, Expr g_) {
      Expr k_ = (o % B % V) * 4 + o % B / V, ob_ = o / B;
      return op.prepared_in(k_, 0, j_, wd_, s_, r_, ob_, g_) | (op.prepared_in(k_, 1, j_, wd_, s_, r_, ob_, g_) << 4);
    };
  } else if (mk.pointwise != nullptr) {
    // Each word whole, or split into its nibble halves side by side (bitserial_microkernel.hpp).
    Var h("h");
    Expr w = f.weight_words(oi, wd, j, 0, 0, g);
    op.prepared = Func("packed_weight");
    op.prepared(h, wd, j, oi, g) = split_halves(w, h, mk.halves);
    op.prepared_extents = {mk.halves, words, ew.bits, og, static_cast<int>(geo.groups)};
    op.prepared_in = ImageParam(word, 5, "packed_weight");
    weight_word = [&op, halves = mk.halves](Expr o, Expr wd_, Expr j_, Expr, Expr, Expr g_) {
      return halves == 1 ? op.prepared_in(0, wd_, j_, o, g_)
                         : op.prepared_in(0, wd_, j_, o, g_) | (op.prepared_in(1, wd_, j_, o, g_) << 4);
    };
  } else {
    op.prepared = f.weight_words;
    op.prepared_extents = {og, words, ew.bits, segments, KH, static_cast<int>(geo.groups)};
    op.prepared_in = ImageParam(word, 6, "packed_weight");
    weight_word = [&op](Expr o, Expr wd_, Expr j_, Expr s_, Expr r_, Expr g_) {
      return op.prepared_in(o, wd_, j_, s_, r_, g_);
    };
  }

  // ---- run: pack activations, zero bits in the padding. Packed along channels, a
  // column `col` is a padded input column (shared by the kernel's columns); along
  // channels x columns it is an output column.
  op.input = ImageParam(halide_type(ea.level_dtype()), 4, "input");
  Var px("px"), py("py"), n("n"), i("i"), x("x"), y("y");
  // Only packing along channels x columns (and its plane sums) reads the padded input.
  Func xpad;
  if (along_cs)
    xpad = padded_input(wl, op.input, [&](Expr level) { return planes_of(level, ea); }, Int(32),
                        "input_planes_padded");
  f.input_packed = Func("input_packed");
  // A strided 1x1 convolution without padding reads one input row in sh: pack only those,
  // at output rows (packing dominates a 1x1 layer's time). Columns are all packed: a
  // strided vector load costs more than the packing it saves.
  const bool sampled = !along_cs && KH == 1 && KW == 1 && geo.padded_h == H && geo.padded_w == W && sh > 1;
  auto column_of = [&](Expr ox, Expr tap) { return along_cs ? ox : ox * sw + tap * dw; };
  auto row_of = [&](Expr oy, Expr tap) { return sampled ? oy : oy * sh + tap * dh; };
  if (along_cs) {
    RDom lane(0, wb, "lane");
    Expr q = min(wd * wb + lane, lanes - 1);
    Expr column = px * sw + lane_column(q, 0) * dw;
    Expr bit = select(wd * wb + lane < lanes, (xpad(g * cg + lane_channel(q), column, py, n) >> i) & 1, 0);
    f.input_packed(wd, i, px, py, n, g) = cast(word, 0);
    f.input_packed(wd, i, px, py, n, g) = f.input_packed(wd, i, px, py, n, g) | (cast(word, bit) << cast(word, lane));
    f.pack_lane = lane.x;
    f.packed_act = f.input_packed;
    f.input_packed_is_padded = true;
  } else {
    // The input itself is packed, with neither clamps nor padding tests (they keep the
    // loads of a vector of pixels contiguous); the padding is then whole zero words. The
    // lanes are one expression rather than a reduction, so a vector of words stays in a
    // register until all its lanes are in. Lanes past the group's channels are zero.
    // Words wider than a byte are put together from bytes of packed lanes (`packed_bytes`),
    // which vectorize four (u32) or eight (u64) times as many pixels per register as the
    // words do: assembling the bits is the packing's cost.
    const Expr input_row = sampled ? py * sh : Expr(py);  // the input row packed at row py
    auto pack_lanes_of = [&](Type t, Expr first_lane) {
      const int bits = t.bits();
      Expr packed = cast(t, 0);
      for (int lane = 0; lane < bits; ++lane) {
        Expr ch = g * cg + min(first_lane + lane, cg - 1);
        Expr level = wl.layout == ActLayout::NCHW ? op.input(px, input_row, ch, n) : op.input(ch, px, input_row, n);
        Expr bit = select(first_lane + lane < cg, cast(t, (planes_of(level, ea) >> i) & 1), cast(t, 0));
        packed = packed | (bit << lane);
      }
      return packed;
    };
    if (wb == 8) {
      f.input_packed(wd, i, px, py, n, g) = pack_lanes_of(word, wd * 8);
    } else {
      Var b("b");
      f.packed_bytes = Func("input_packed_bytes");
      f.packed_bytes(b, i, px, py, n, g) = pack_lanes_of(UInt(8), b * 8);
      Expr packed = cast(word, 0);
      for (int k = 0; k < wb / 8; ++k)
        packed = packed | (cast(word, f.packed_bytes(wd * (wb / 8) + k, i, px, py, n, g)) << (8 * k));
      f.input_packed(wd, i, px, py, n, g) = packed;
    }
    if (geo.padded_h == H && geo.padded_w == W) {
      f.packed_act = f.input_packed;
    } else {
      Expr ix = px - pl, iy = py - pt;
      f.packed_act = Func("packed_act");
      f.packed_act(wd, i, px, py, n, g) =
          select(ix >= 0 && ix < W && iy >= 0 && iy < H,
                 f.input_packed(wd, i, clamp(ix, 0, W - 1), clamp(iy, 0, H - 1), n, g), cast(word, 0));
    }
  }

  const GroupIndex group = clamped_group(g, oi, geo.groups, og);
  const Expr gc = group.g, oc = group.oi;

  const Affine A = affine_of(ea), Wa = affine_of(ew);
  // sa*tw*Σ qa: the activations' plane values summed over each window (weights bipolar).
  if (Wa.t != 0) {
    f.act_sum = Func("act_plane_sum");
    if (along_cs) {
      RDom channel(0, cg, "act_sum_c");
      f.act_sum(px, py, n, g) = 0;
      f.act_sum(px, py, n, g) += xpad(g * cg + channel, px, py, n);
    } else {
      // From the packed words: Σ_c q = Σ_i 2^i popcount(plane i), a few popcounts per
      // pixel instead of a pass over every channel value. One expression when there are
      // few (a single loop nest, no separate pass to zero the sums).
      auto plane_popcount = [&](Expr wd_, Expr i_) {
        return cast<int32_t>(popcount(f.packed_act(wd_, i_, px, py, n, g))) << i_;
      };
      if (words * ea.bits <= kMaxUnrolledActSum) {
        Expr total = 0;
        for (int w = 0; w < words; ++w)
          for (int p = 0; p < ea.bits; ++p) total = total + plane_popcount(w, p);
        f.act_sum(px, py, n, g) = total;
      } else {
        RDom planes({{0, words}, {0, ea.bits}}, "act_sum_k");
        f.act_sum(px, py, n, g) = 0;
        f.act_sum(px, py, n, g) += plane_popcount(planes.x, planes.y);
      }
    }
    f.window_act_sum = Func("window_act_sum");
    // act_sum is indexed by (padded) input column in both packings, unlike packed_act.
    if (KW * KH <= kMaxUnrolledWindowSum) {
      // One expression: no zeroing pass, no sum kept in memory between taps, and a
      // vector of pixels per load.
      Expr window = 0;
      for (int r = 0; r < KH; ++r)
        for (int s_ = 0; s_ < KW; ++s_) window = window + f.act_sum(x * sw + s_ * dw, row_of(y, r), n, g);
      f.window_act_sum(x, y, n, g) = window;
    } else {
      RDom win({{0, KW}, {0, KH}}, "win");
      f.window_act_sum(x, y, n, g) = 0;
      f.window_act_sum(x, y, n, g) += f.act_sum(x * sw + win.x * dw, row_of(y, win.y), n, g);
    }
  }

  // ---- the bit-serial core: Σ_taps Σ_ij 2^(i+j) popcount(a_i & w_j). Either every
  // popcount is shifted by its plane pair's weight on its way into one sum, or each plane
  // pair is summed on its own (`pair_sum`, no shift in the inner loop) and the pair sums
  // are shifted once each; same value, a choice of the schedule space.
  // Popcounts are summed in lanes as wide as the words: a 64-bit word's count would
  // otherwise be narrowed to 32 bits on every step (vpmovqd on AVX-512, two shuffles on
  // AVX2). Every sum fits in int32 (the workload's overflow rule), so the total narrows once.
  const Type lane_sum = wb == 64 ? Int(64) : Int(32);
  f.sum = Func("bitserial_sum");
  if (mk.nibble_lut_avx2) {
    // The same sum from a hand-written extern stage (bitserial_microkernel.hpp), fed the
    // activations split into nibbles.
    Var h("h");
    Expr a = f.packed_act(wd, i, px, py, n, g);
    f.act_nibbles = Func("act_nibbles");
    f.act_nibbles(h, wd, i, px, py, n, g) = split_halves(a, h, 2);
    const int row_step = sampled ? 1 : sh;
    f.sum.define_extern(kNibbleLutAvx2Symbol,
                        {f.act_nibbles, op.prepared_in, words, ea.bits, ew.bits, KH, KW, row_step, sw, dh, dw,
                         mk.tile_pixels, mk.tile_vectors},
                        Int(32), {oi, g, x, y, n}, NameMangling::C);
  } else if (mk.pointwise != nullptr) {
    // Pixels as lanes (bitserial_microkernel.hpp): the words (or their halves) of output
    // pixel (x, y), the input's at its 1x1 window (no padding). Rows past the image repeat
    // the last (a tile may read past it; those lanes are not stored).
    Var h("h");
    const int OH = static_cast<int>(wl.out_h());
    Expr a = f.packed_act(wd, i, column_of(x, 0), row_of(min(y, OH - 1), 0), n, g);
    f.act_pixels = Func("act_pixel_words");
    f.act_pixels(x, y, h, wd, i, n, g) = split_halves(a, h, mk.halves);
    f.pixel_term = Func("pixel_term");
    f.pixel_term(x, y, n, g) = Wa.t != 0 ? A.s * Wa.t * f.window_act_sum(x, y, n, g) : Expr(0);
    const int scale_shift = (A.s == 2) + (Wa.s == 2);  // A.s * Wa.s = 2^scale_shift
    f.sum_is_output = pointwise_writes_output(wl);
    const std::vector<ExternFuncArgument> args = {f.act_pixels, op.prepared_in, f.pixel_term, words, ea.bits, ew.bits,
                                                  scale_shift, static_cast<int>(wl.out_w()), mk.tile_pixels,
                                                  mk.tile_channels, static_cast<int>(f.sum_is_output)};
    if (f.sum_is_output) {
      // The result itself, in the output's layout (x, y, o, n): nothing is left to generate.
      f.sum.define_extern(mk.pointwise, args, Int(32), {x, y, oi, n}, NameMangling::C);
      op.output.out = f.sum;
      return f;
    }
    f.sum.define_extern(mk.pointwise, args, Int(32), {oi, g, x, y, n}, NameMangling::C);
  } else if (plane_sums == PlaneSums::Shifted) {
    f.sum(oi, g, x, y, n) = cast(lane_sum, 0);
    f.rd = RDom({{0, words}, {0, ea.bits}, {0, ew.bits}, {0, segments}, {0, KH}}, "k");
    RVar rwd = f.rd[0], ri = f.rd[1], rj = f.rd[2], rs = f.rd[3], rr = f.rd[4];
    Expr a = f.packed_act(rwd, ri, column_of(x, rs), row_of(y, rr), n, gc);
    Expr w = weight_word(oc, rwd, rj, rs, rr, gc);
    f.sum(oi, g, x, y, n) += cast(lane_sum, popcount(a & w)) << cast(lane_sum, ri + rj);
  } else {
    f.sum(oi, g, x, y, n) = cast(lane_sum, 0);
    f.rd = RDom({{0, words}, {0, segments}, {0, KH}}, "k");
    RVar rwd = f.rd[0], rs = f.rd[1], rr = f.rd[2];
    Var pi("pi"), pj("pj");
    f.pair_sum = Func("plane_pair_sum");
    f.pair_sum(oi, g, x, y, n, pi, pj) = cast(lane_sum, 0);
    Expr a = f.packed_act(rwd, pi, column_of(x, rs), row_of(y, rr), n, gc);
    Expr w = weight_word(oc, rwd, pj, rs, rr, gc);
    f.pair_sum(oi, g, x, y, n, pi, pj) += cast(lane_sum, popcount(a & w));
    f.planes = RDom({{0, ea.bits}, {0, ew.bits}}, "planes");
    f.sum(oi, g, x, y, n) += f.pair_sum(oi, g, x, y, n, f.planes.x, f.planes.y) << cast(lane_sum, f.planes.x + f.planes.y);
  }

  // The pointwise microkernel's sums are already scaled and corrected per pixel.
  Expr total = mk.pointwise != nullptr ? f.sum(oi, g, x, y, n) : A.s * Wa.s * cast<int32_t>(f.sum(oi, g, x, y, n));
  if (Wa.t != 0 && mk.pointwise == nullptr) total += A.s * Wa.t * f.window_act_sum(x, y, n, gc);

  // ta*sw*Σ qw + ta*tw*terms over in-range taps (activations bipolar): all taps' value
  // per channel, minus what the border class's out-of-range taps would add.
  if (A.t != 0) {
    RDom pw_k({{0, words}, {0, ew.bits}}, "wsum_k");
    f.weight_sum = Func("weight_plane_sum");  // Σ_c qw per (oi, g, tap)
    f.weight_sum(oi, g, s, r) = 0;
    // The lanes of tap column s in word wd: all of them when packed along channels, the
    // s-th run of cg lanes when packed along channels x columns.
    auto lanes_below = [&](Expr k) {  // a word with its k lowest bits set, 0 <= k <= wb
      return select(k >= wb, ~cast(word, 0), (cast(word, 1) << cast(word, clamp(k, 0, wb - 1))) - cast(word, 1));
    };
    Expr lo = clamp(s * cg - pw_k.x * wb, 0, wb), hi = clamp((s + 1) * cg - pw_k.x * wb, 0, wb);
    Expr mask = along_cs ? lanes_below(hi) & ~lanes_below(lo) : ~cast(word, 0);
    f.weight_sum(oi, g, s, r) += cast<int32_t>(popcount(weight_word(oi, pw_k.x, pw_k.y, along_cs ? Expr(0) : Expr(s), r, g) & mask))
                                 << pw_k.y;
    Expr tap_value = A.t * Wa.s * f.weight_sum(oi, g, s, r) + A.t * Wa.t * cg;
    Func tap("tap_constant");
    tap(oi, g, s, r) = tap_value;
    RDom taps({{0, KW}, {0, KH}}, "taps");
    f.channel_constant = Func("channel_constant");
    f.channel_constant(oi, g) = 0;
    f.channel_constant(oi, g) += tap(oi, g, taps.x, taps.y);
    Var cx("cx"), cy("cy");
    Expr rx = border_representative(cx, geo.cols), ry = border_representative(cy, geo.rows);
    Expr ix = rx * sw - pl + taps.x * dw, iy = ry * sh - pt + taps.y * dh;
    Expr outside = ix < 0 || ix >= W || iy < 0 || iy >= H;
    f.border_correction = Func("border_correction");
    f.border_correction(oi, g, cx, cy) = 0;
    f.border_correction(oi, g, cx, cy) -= select(outside, tap(oi, g, taps.x, taps.y), 0);
    total += f.channel_constant(oc, gc) + f.border_correction(oc, gc, border_class(x, geo.cols), border_class(y, geo.rows));
  }

  f.total = Func("bitserial_total");
  f.total(oi, g, x, y, n) = total;
  Func acc = grouped_accumulator(f.total, geo.groups, og);
  op.output = define_output(wl, acc, op.epilogue);
  return f;
}

}  // namespace bitforge::codegen
