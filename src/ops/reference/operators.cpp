// The full reference operators: checks, accumulation, epilogue.
#include "core/error.hpp"
#include "ops/reference/reference.hpp"

namespace bitforge::reference {

namespace {
void check_shape(const Tensor& t, const Shape& expected, const char* name, std::string_view axes,
                 const std::string& key) {
  if (t.shape() != expected)
    fail("{} has shape {} but workload {} needs {} ({})", name, shape_str(t.shape()), key,
         shape_str(expected), axes);
}

Tensor accumulate(const Conv2d& wl, const Tensor& x, const Tensor& w) {
  return wl.family() == OpFamily::BitSerial ? conv2d_accumulate_bitserial(wl, x, w)
                                            : conv2d_accumulate_direct(wl, x, w);
}
}  // namespace

void check_conv2d_operands(const Conv2d& wl, const Tensor& x, const Tensor& w) {
  check_shape(x, wl.input_shape(), "input", wl.layout == ActLayout::NCHW ? "N, C, H, W" : "N, H, W, C",
              wl.key());
  check_shape(w, wl.weight_shape(), "weight",
              wl.weight_layout == WgtLayout::OIHW ? "O, C/groups, KH, KW" : "KH, KW, C/groups, O", wl.key());
  wl.act.validate(x, "input");
  wl.wgt.validate(w, "weight");
}

void check_dense_operands(const Dense& wl, const Tensor& x, const Tensor& w) {
  check_shape(x, wl.input_shape(), "input", "N, C", wl.key());
  check_shape(w, wl.weight_shape(), "weight", "O, C", wl.key());
  wl.act.validate(x, "input");
  wl.wgt.validate(w, "weight");
}

Tensor conv2d(const Conv2d& wl, const Tensor& x, const Tensor& w, const EpilogueParams& params) {
  wl.validate();
  check_conv2d_operands(wl, x, w);
  validate_epilogue_params(wl.epilogue, wl.o, params);
  return apply_epilogue(accumulate(wl, x, w), wl.epilogue, wl.channel_axis(), params);
}

Tensor dense(const Dense& wl, const Tensor& x, const Tensor& w, const EpilogueParams& params) {
  wl.validate();
  check_dense_operands(wl, x, w);
  validate_epilogue_params(wl.epilogue, wl.o, params);
  const Conv2d conv = wl.as_conv2d();
  const Tensor acc = accumulate(conv, x.contiguous().reshaped({wl.n, wl.c, 1, 1}),
                                w.contiguous().reshaped({wl.o, wl.c, 1, 1}));
  return apply_epilogue(acc.reshaped({wl.n, wl.o}), wl.epilogue, 1, params);
}

Tensor run(const Workload& wl, const Tensor& x, const Tensor& w, const EpilogueParams& params) {
  if (const Conv2d* c = std::get_if<Conv2d>(&wl)) return conv2d(*c, x, w, params);
  return dense(std::get<Dense>(wl), x, w, params);
}

}  // namespace bitforge::reference
