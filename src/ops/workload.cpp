#include "ops/workload.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

#include "core/error.hpp"
#include "quant/bitpack.hpp"

namespace bitforge {

std::string_view layout_name(ActLayout l) { return l == ActLayout::NCHW ? "NCHW" : "NHWC"; }
std::string_view layout_name(WgtLayout l) { return l == WgtLayout::OIHW ? "OIHW" : "HWIO"; }

namespace {
std::string upper(std::string_view s) {
  std::string u(s);
  std::transform(u.begin(), u.end(), u.begin(), [](unsigned char ch) { return std::toupper(ch); });
  return u;
}

// Accumulator, epilogue and overflow rules shared by conv2d and dense.
void validate_family_and_epilogue(OperandType act, OperandType wgt, const Epilogue& e,
                                  std::int64_t bound_terms, int output_rank) {
  OpFamily family = op_family(act, wgt);
  if (family == OpFamily::Float32) {
    if (e.kind == Epilogue::Kind::Threshold)
      fail("epilogue {} needs an integer operator; f32 x f32 allows f32 and affine epilogues",
           e.token(true));
    return;
  }
  // Saturating at int64 is fine: any product that large is refused anyway.
  std::int64_t bound = bound_terms;
  for (std::int64_t f : {act.max_abs(), wgt.max_abs()})
    bound = bound > std::numeric_limits<std::int64_t>::max() / f ? std::numeric_limits<std::int64_t>::max()
                                                                : bound * f;
  if (bound > std::numeric_limits<std::int32_t>::max())
    fail("the accumulator bound {} terms x {} x {} = {} exceeds int32 (max {}); reduce the "
         "reduction size or the bit widths",
         bound_terms, act.max_abs(), wgt.max_abs(), bound, std::numeric_limits<std::int32_t>::max());
  if (e.kind == Epilogue::Kind::Threshold && e.packed) {
    bitpacked_shape(Shape(static_cast<std::size_t>(output_rank), 1), e.out.bits, 1, e.bit_axis,
                    e.word);  // refuses a bit axis outside 0..rank
  }
}

Shape epilogue_output_shape(const Epilogue& e, Shape acc, int channel_axis) {
  if (e.kind != Epilogue::Kind::Threshold || !e.packed) return acc;
  return bitpacked_shape(acc, e.out.bits, channel_axis, e.bit_axis, e.word);
}

DType epilogue_output_dtype(const Epilogue& e, bool is_float) {
  switch (e.kind) {
    case Epilogue::Kind::Accumulator: return is_float ? DType::f32 : DType::i32;
    case Epilogue::Kind::Affine: return DType::f32;
    case Epilogue::Kind::Threshold: return e.packed ? e.word : e.out.level_dtype();
  }
  __builtin_unreachable();
}

// Every extent and parameter must fit int32: generated kernels index with int32, and
// the output-size arithmetic then cannot overflow int64.
constexpr std::int64_t kMaxParam = std::numeric_limits<std::int32_t>::max();

void require_positive(std::int64_t v, const char* what) {
  if (v < 1 || v > kMaxParam) fail("{} = {} is out of range (allowed: 1..{})", what, v, kMaxParam);
}
}  // namespace

ActLayout parse_act_layout(std::string_view s) {
  std::string u = upper(s);
  if (u == "NCHW") return ActLayout::NCHW;
  if (u == "NHWC") return ActLayout::NHWC;
  fail("unknown activation layout '{}' (allowed: NCHW, NHWC)", s);
}

WgtLayout parse_wgt_layout(std::string_view s) {
  std::string u = upper(s);
  if (u == "OIHW") return WgtLayout::OIHW;
  if (u == "HWIO") return WgtLayout::HWIO;
  fail("unknown weight layout '{}' (allowed: OIHW, HWIO)", s);
}

namespace {
// SEMANTICS §3: floor((in + pads - dilation*(k - 1) - 1) / stride) + 1. The numerator is
// negative when the window is larger than the padded input; C++ division truncates toward
// zero, which would turn that into an output of size 1 instead of an error.
std::int64_t output_extent(std::int64_t padded_in, std::int64_t k, std::int64_t stride, std::int64_t dilation) {
  const std::int64_t span = padded_in - dilation * (k - 1) - 1;
  return (span >= 0 ? span / stride : -((-span + stride - 1) / stride)) + 1;
}
}  // namespace

std::int64_t Conv2d::out_h() const { return output_extent(h + pad_top + pad_bottom, kh, stride_h, dilation_h); }
std::int64_t Conv2d::out_w() const { return output_extent(w + pad_left + pad_right, kw, stride_w, dilation_w); }
std::int64_t Conv2d::macs() const { return n * o * out_h() * out_w() * (c / groups) * kh * kw; }
std::int64_t Conv2d::accumulator_bound() const {
  return (c / groups) * kh * kw * act.max_abs() * wgt.max_abs();
}

Shape Conv2d::input_shape() const {
  return layout == ActLayout::NCHW ? Shape{n, c, h, w} : Shape{n, h, w, c};
}
Shape Conv2d::weight_shape() const {
  return weight_layout == WgtLayout::OIHW ? Shape{o, c / groups, kh, kw} : Shape{kh, kw, c / groups, o};
}
Shape Conv2d::accumulator_shape() const {
  return layout == ActLayout::NCHW ? Shape{n, o, out_h(), out_w()} : Shape{n, out_h(), out_w(), o};
}
Shape Conv2d::output_shape() const {
  return epilogue_output_shape(epilogue, accumulator_shape(), channel_axis());
}
DType Conv2d::output_dtype() const { return epilogue_output_dtype(epilogue, act.is_float()); }

void Conv2d::validate() const {
  require_positive(n, "batch N");
  require_positive(c, "input channels C");
  require_positive(h, "input height H");
  require_positive(w, "input width W");
  require_positive(o, "output channels O");
  require_positive(kh, "kernel height");
  require_positive(kw, "kernel width");
  require_positive(stride_h, "stride height");
  require_positive(stride_w, "stride width");
  require_positive(dilation_h, "dilation height");
  require_positive(dilation_w, "dilation width");
  require_positive(groups, "groups");
  for (std::int64_t p : {pad_top, pad_left, pad_bottom, pad_right})
    if (p < 0 || p > kMaxParam) fail("padding {} is out of range (allowed: 0..{})", p, kMaxParam);
  if (c % groups != 0) fail("groups = {} does not divide input channels C = {}", groups, c);
  if (o % groups != 0) fail("groups = {} does not divide output channels O = {}", groups, o);
  if (out_h() < 1 || out_w() < 1)
    fail("output size {}x{} is not positive (input {}x{}, kernel {}x{}, dilation {}x{}, padding "
         "{},{},{},{}, stride {}x{})",
         out_h(), out_w(), h, w, kh, kw, dilation_h, dilation_w, pad_top, pad_left, pad_bottom,
         pad_right, stride_h, stride_w);
  validate_family_and_epilogue(act, wgt, epilogue, (c / groups) * kh * kw, 4);
}

std::int64_t Dense::accumulator_bound() const { return c * act.max_abs() * wgt.max_abs(); }
Shape Dense::output_shape() const { return epilogue_output_shape(epilogue, accumulator_shape(), 1); }
DType Dense::output_dtype() const { return epilogue_output_dtype(epilogue, act.is_float()); }

Conv2d Dense::as_conv2d() const {
  Conv2d conv;
  conv.act = act;
  conv.wgt = wgt;
  conv.n = n;
  conv.c = c;
  conv.h = conv.w = 1;
  conv.o = o;
  conv.epilogue = Epilogue::accumulator();  // the epilogue runs on [N, O], see reference
  return conv;
}

void Dense::validate() const {
  require_positive(n, "batch N");
  require_positive(c, "input features C");
  require_positive(o, "output features O");
  validate_family_and_epilogue(act, wgt, epilogue, c, 2);
}

std::int64_t workload_macs(const Workload& w) {
  return std::visit([](const auto& x) { return x.macs(); }, w);
}

std::string workload_key(const Workload& w) {
  return std::visit([](const auto& x) { return x.key(); }, w);
}

}  // namespace bitforge
