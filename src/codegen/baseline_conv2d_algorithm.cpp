// The baseline convolution as a Halide algorithm: Y = Σ_{c, r, s} X * W with zero
// padding, accumulated in int32 (integer families) or float32.
#include "codegen/baseline_conv2d.hpp"
#include "codegen/conv2d_geometry.hpp"

namespace bitforge::codegen {

using namespace Halide;

DType baseline_input_dtype(const Conv2d& wl) {
  switch (wl.family()) {
    case OpFamily::Int8: return DType::u8;
    case OpFamily::Int16: return DType::i16;
    default: return DType::f32;
  }
}

DType baseline_weight_dtype(const Conv2d& wl) {
  switch (wl.family()) {
    case OpFamily::Int8: return DType::i8;
    case OpFamily::Int16: return DType::i16;
    default: return DType::f32;
  }
}

BaselineConv2dFuncs define_baseline_conv2d(const Conv2d& wl, GeneratedOperator& op) {
  BaselineConv2dFuncs f;
  const ConvGeometry geo = conv_geometry(wl);
  const int cg = static_cast<int>(geo.cg), og = static_cast<int>(geo.og);
  const int sh = static_cast<int>(wl.stride_h), sw = static_cast<int>(wl.stride_w);
  const int dh = static_cast<int>(wl.dilation_h), dw = static_cast<int>(wl.dilation_w);
  const Type wt = halide_type(baseline_weight_dtype(wl));
  const bool is_float = wl.family() == OpFamily::Float32;
  const Type acc_t = is_float ? Float(32) : Int(32);

  // prepare: weights -> (oi, c, s, r, g), output channels innermost.
  op.weight = ImageParam(wt, 4, "weight");
  Var oi("oi"), c("c"), s("s"), r("r"), g("g");
  const bool oihw = wl.weight_layout == WgtLayout::OIHW;
  op.prepared = Func("reordered_weight");
  op.prepared(oi, c, s, r, g) = oihw ? op.weight(s, r, c, g * og + oi) : op.weight(g * og + oi, c, s, r);
  op.prepared_extents = {og, cg, static_cast<int>(wl.kw), static_cast<int>(wl.kh), static_cast<int>(geo.groups)};
  op.prepared_dtype = baseline_weight_dtype(wl);
  op.prepared_in = ImageParam(wt, 5, "reordered_weight");

  // run
  op.input = ImageParam(halide_type(baseline_input_dtype(wl)), 4, "input");
  Var n("n"), x("x"), y("y");
  Func xpad = padded_input(wl, op.input, [&](Expr v) { return cast(acc_t, v); }, acc_t, "input_padded");
  const GroupIndex group = clamped_group(g, oi, geo.groups, og);
  const Expr gc = group.g, oc = group.oi;
  f.rd = RDom({{0, cg}, {0, static_cast<int>(wl.kw)}, {0, static_cast<int>(wl.kh)}}, "k");
  f.sum = Func("direct_sum");
  f.sum(oi, g, x, y, n) = cast(acc_t, 0);
  f.sum(oi, g, x, y, n) += xpad(gc * cg + f.rd.x, x * sw + f.rd.y * dw, y * sh + f.rd.z * dh, n) *
                           cast(acc_t, op.prepared_in(oc, f.rd.x, f.rd.y, f.rd.z, gc));
  Func acc = grouped_accumulator(f.sum, geo.groups, og);
  op.output = define_output(wl, acc, op.epilogue);
  return f;
}

}  // namespace bitforge::codegen
