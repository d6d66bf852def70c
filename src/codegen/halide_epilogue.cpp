#include "codegen/halide_epilogue.hpp"

#include "core/error.hpp"
#include "quant/bitpack.hpp"

namespace bitforge::codegen {

using namespace Halide;

Type halide_type(DType t) {
  switch (t) {
    case DType::f32: return Float(32);
    case DType::i32: return Int(32);
    case DType::i16: return Int(16);
    case DType::i8: return Int(8);
    case DType::u8: return UInt(8);
    case DType::u16: return UInt(16);
    case DType::u32: return UInt(32);
    case DType::u64: return UInt(64);
  }
  __builtin_unreachable();
}

Func padded_input(const Conv2d& wl, const ImageParam& input, const std::function<Expr(Expr)>& value, Type type,
                  const std::string& name) {
  Var c("c"), px("px"), py("py"), n("n");
  const int H = static_cast<int>(wl.h), W = static_cast<int>(wl.w);
  Expr ix = px - static_cast<int>(wl.pad_left), iy = py - static_cast<int>(wl.pad_top);
  Expr inside = ix >= 0 && ix < W && iy >= 0 && iy < H;
  Expr cx = clamp(ix, 0, W - 1), cy = clamp(iy, 0, H - 1);
  Expr level = wl.layout == ActLayout::NCHW ? input(cx, cy, c, n) : input(c, cx, cy, n);
  Func f(name);
  f(c, px, py, n) = select(inside, value(level), cast(type, 0));
  return f;
}

GroupIndex clamped_group(const Var& g, const Var& oi, std::int64_t groups, std::int64_t og) {
  if (groups == 1) return {Expr(0), Expr(oi)};
  return {clamp(g, 0, static_cast<int>(groups) - 1), clamp(oi, 0, static_cast<int>(og) - 1)};
}

Func grouped_accumulator(const Func& total, std::int64_t groups, std::int64_t og) {
  Var o("o"), x("x"), y("y"), n("n");
  Func acc("accumulator");
  const int g = static_cast<int>(og);
  acc(o, x, y, n) = groups == 1 ? total(o, 0, x, y, n) : total(o % g, o / g, x, y, n);
  return acc;
}

std::vector<Argument> EpilogueInputs::arguments(const Epilogue& e) const {
  switch (e.kind) {
    case Epilogue::Kind::Accumulator: return {};
    case Epilogue::Kind::Affine:
      if (e.activation == Epilogue::Activation::Clip) return {scale, bias, clip_lo, clip_hi};
      return {scale, bias};
    case Epilogue::Kind::Threshold: return {thresholds, descending};
  }
  return {};
}

OutputStage define_output(const Conv2d& wl, const Func& acc, EpilogueInputs& in) {
  OutputStage st;
  st.value = Func("epilogue");
  const Epilogue& e = wl.epilogue;
  Expr a = acc(st.o, st.x, st.y, st.n);
  switch (e.kind) {
    case Epilogue::Kind::Accumulator: st.value(st.o, st.x, st.y, st.n) = a; break;
    case Epilogue::Kind::Affine: {
      // Multiply, round, add, round: strict_float keeps LLVM from contracting to an FMA,
      // so the result is the reference's bit for bit.
      Expr z = strict_float(strict_float(cast<float>(a) * in.scale(st.o)) + in.bias(st.o));
      if (e.activation == Epilogue::Activation::Relu) z = select(z < 0.0f, 0.0f, z);
      if (e.activation == Epilogue::Activation::Clip)
        z = select(z < in.clip_lo, in.clip_lo, select(z > in.clip_hi, in.clip_hi, z));
      st.value(st.o, st.x, st.y, st.n) = z;
      break;
    }
    case Epilogue::Kind::Threshold: {
      // Q = #{t : Y >= T[t]} (or #{t : Y <= T[t]} for a descending channel). Thresholds
      // are non-decreasing, so Q is a position in a sorted list: a branchless binary
      // search finds it in k' steps instead of 2^k' - 1 compares.
      // Descending: #{t : Y <= T[t]} = count - #{t : T[t] < Y}.
      const int count = e.threshold_count();
      Expr down = in.descending(st.o) != 0;
      Expr passed = cast<int32_t>(0);  // #{t : T[t] <= Y}, or #{t : T[t] < Y} when descending
      for (int step = (count + 1) / 2; step >= 1; step /= 2) {
        Expr th = in.thresholds(clamp(passed + step - 1, 0, count - 1), st.o);
        passed = select(select(down, th < a, th <= a), passed + step, passed);
      }
      Expr q = select(down, count - passed, passed);
      st.packed = e.packed;
      // Packed outputs carry Q itself (its bits are the planes, SEMANTICS §2); unpacked
      // ones the level: Q for unsigned, 2Q - (2^k' - 1) for bipolar.
      Expr level = e.out.kind == EncodingKind::Unsigned ? q : 2 * q - static_cast<int>(e.out.max_level());
      st.value(st.o, st.x, st.y, st.n) =
          e.packed ? cast<uint8_t>(q) : cast(halide_type(e.out.level_dtype()), level);
      break;
    }
  }

  // Row-major axis roles of the output in its layout.
  const bool nchw = wl.layout == ActLayout::NCHW;
  std::vector<std::string> roles = nchw ? std::vector<std::string>{"n", "o", "y", "x"}
                                        : std::vector<std::string>{"n", "y", "x", "o"};
  if (!st.packed) {
    std::vector<Var> args;  // Halide args: innermost (last row-major axis) first
    for (auto it = roles.rbegin(); it != roles.rend(); ++it)
      args.push_back(*it == "n" ? st.n : *it == "o" ? st.o : *it == "y" ? st.y : st.x);
    st.out = Func("output");
    st.out(args) = st.value(st.o, st.x, st.y, st.n);
    return st;
  }
  const int wbits = word_bits(e.word);
  const Type word = halide_type(e.word);
  Var wd("o_word"), plane("plane");
  std::vector<std::string> packed_roles = roles;
  for (auto& r : packed_roles)
    if (r == "o") r = "word";
  packed_roles.insert(packed_roles.begin() + e.bit_axis, "plane");
  std::vector<Var> args;
  for (auto it = packed_roles.rbegin(); it != packed_roles.rend(); ++it)
    args.push_back(*it == "n" ? st.n : *it == "word" ? wd : *it == "plane" ? plane : *it == "y" ? st.y : st.x);
  Expr word_value = cast(word, 0);
  for (int l = 0; l < wbits; ++l) {
    Expr o = wd * wbits + l;
    Expr bit = cast(word, (st.value(min(o, static_cast<int>(wl.o) - 1), st.x, st.y, st.n) >> cast<uint8_t>(plane)) & 1);
    word_value = word_value | select(o < static_cast<int>(wl.o), bit << l, cast(word, 0));
  }
  st.out = Func("output");
  st.out(args) = word_value;
  return st;
}

}  // namespace bitforge::codegen
